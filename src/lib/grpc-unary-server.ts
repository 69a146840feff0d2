// A unary gRPC server on node:http2, for the two data-path services Envoy calls on every request (ext_authz
// Check, RLS ShouldRateLimit). grpc-js allocates a few kilobytes of call objects per call (metadata, call
// streams, deadline timers, interceptor chains); at thousands of calls a second that garbage, promoted while
// calls wait on Redis, brings mark-compact pauses that set the services' p99 (bench/README.md). This serves only
// what those callers send: unary calls, uncompressed messages, h2c on TCP or a Unix socket. Handlers get the
// message bytes and return the answer's bytes; decoding stays with each service.
// Deadlines are the caller's: Envoy resets a stream at its own timeout, and an answer to a reset stream is dropped.
import { rm } from 'node:fs/promises';
import { constants, createServer, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { parseHostPort } from './address.ts';
import { PorticoError } from './errors.ts';

/** The gRPC status codes this server answers with (grpc/doc/statuscodes.md). */
export const GrpcStatus = {
  OK: 0,
  INTERNAL: 13,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
  UNIMPLEMENTED: 12,
} as const;

/** A handler's way to answer with a non-OK status; `message` is sent to the caller (no secrets in it). */
export class GrpcStatusError extends Error {
  readonly grpcStatus: number;
  constructor(grpcStatus: number, message: string) {
    super(message);
    this.name = 'GrpcStatusError';
    this.grpcStatus = grpcStatus;
  }
}

export type UnaryHandler = (request: Buffer) => Buffer | Promise<Buffer>;

export interface UnaryServerOptions {
  /** Full method paths (`/package.Service/Method`) and their handlers. */
  methods: Readonly<Record<string, UnaryHandler>>;
  /** Called for a handler that threw something other than a GrpcStatusError (answered INTERNAL). */
  onError(err: unknown): void;
}

/** gRPC's default receive limit. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** A message's prefix: a compressed flag and a 4-byte big-endian length. */
const PREFIX_BYTES = 5;

const RESPONSE_HEADERS = { [constants.HTTP2_HEADER_STATUS]: 200, [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc' };
const OK_TRAILERS = { 'grpc-status': '0' };
const WAIT_FOR_TRAILERS = { waitForTrailers: true };

export class UnaryGrpcServer {
  readonly #methods: ReadonlyMap<string, UnaryHandler>;
  readonly #onError: (err: unknown) => void;
  readonly #sessions = new Set<Http2Session>();
  // Streams of many concurrent calls share a session: Node's default 10 MB of session memory would refuse
  // calls (ENHANCE_YOUR_CALM) under a burst that a gRPC server is expected to queue.
  readonly #server = createServer({ maxSessionMemory: 1024 });

  constructor(opts: UnaryServerOptions) {
    this.#methods = new Map(Object.entries(opts.methods));
    this.#onError = opts.onError;
    this.#server.on('stream', (stream, headers) => this.#onStream(stream, headers));
    this.#server.on('session', (session) => {
      this.#sessions.add(session);
      session.on('close', () => this.#sessions.delete(session));
      // A peer that goes away mid-call emits an error; the session is closed either way.
      session.on('error', () => {});
    });
  }

  /**
   * `host:port` (port 0: any free one) or `unix:/path` (a socket file left by an earlier run is replaced);
   * resolves to the port bound, 0 for a socket.
   */
  async listen(address: string): Promise<number> {
    const path = address.startsWith('unix:') ? address.slice('unix:'.length) : undefined;
    if (path) await rm(path, { force: true });
    const tcp = path ? undefined : parseHostPort(address, 'listen address');
    await new Promise<void>((resolve, reject) => {
      const failed = (err: Error) => reject(new PorticoError('PORTICO_IO', `cannot listen on ${address}: ${err.message}`, { cause: err }));
      this.#server.once('error', failed);
      const bound = () => {
        this.#server.off('error', failed);
        resolve();
      };
      if (path) this.#server.listen(path, bound);
      else this.#server.listen(tcp?.port, tcp?.host, bound);
    });
    const bound = this.#server.address();
    return typeof bound === 'object' && bound ? bound.port : 0;
  }

  /** Stops accepting, lets calls in flight finish (GOAWAY: callers move to another instance), then cuts the rest. */
  async close(graceMs = 2000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const s of this.#sessions) s.close();
    const timer = setTimeout(() => this.#sessions.forEach((s) => s.destroy()), graceMs);
    await closed;
    clearTimeout(timer);
  }

  #onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    // A caller that resets the stream (its deadline passed) makes it emit an error: nothing to answer then.
    stream.on('error', () => {});
    const handler = this.#methods.get(headers[constants.HTTP2_HEADER_PATH] as string);
    if (headers[constants.HTTP2_HEADER_METHOD] !== 'POST' || !String(headers[constants.HTTP2_HEADER_CONTENT_TYPE]).startsWith('application/grpc')) {
      stream.respond({ [constants.HTTP2_HEADER_STATUS]: 415 }, { endStream: true });
      return;
    }
    if (!handler) return trailersOnly(stream, GrpcStatus.UNIMPLEMENTED, `unknown method ${String(headers[constants.HTTP2_HEADER_PATH])}`);
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= PREFIX_BYTES + MAX_MESSAGE_BYTES) chunks.push(chunk);
    });
    stream.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      const message = messageOf(body, size);
      if (typeof message === 'string') return trailersOnly(stream, message === TOO_LARGE ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.INTERNAL, message);
      this.#call(stream, handler, message);
    });
  }

  #call(stream: ServerHttp2Stream, handler: UnaryHandler, message: Buffer): void {
    let answer: Buffer | Promise<Buffer>;
    try {
      answer = handler(message);
    } catch (err) {
      return this.#failed(stream, err);
    }
    if (answer instanceof Promise) {
      answer.then(
        (bytes) => respond(stream, bytes),
        (err: unknown) => this.#failed(stream, err),
      );
    } else respond(stream, answer);
  }

  #failed(stream: ServerHttp2Stream, err: unknown): void {
    if (err instanceof GrpcStatusError) return trailersOnly(stream, err.grpcStatus, err.message);
    this.#onError(err);
    trailersOnly(stream, GrpcStatus.INTERNAL, 'internal error');
  }
}

const TOO_LARGE = `message larger than ${MAX_MESSAGE_BYTES} bytes`;

/** The one message of a unary request, or what is wrong with the body. */
function messageOf(body: Buffer, size: number): Buffer | string {
  if (size > PREFIX_BYTES + MAX_MESSAGE_BYTES) return TOO_LARGE;
  if (body.length < PREFIX_BYTES) return 'a unary call needs exactly one message';
  // Nobody was told this server decompresses (no grpc-accept-encoding), so a compressed message is a broken caller.
  if (body[0] !== 0) return 'compressed messages are not supported';
  const length = body.readUInt32BE(1);
  if (body.length !== PREFIX_BYTES + length) return 'a unary call needs exactly one message';
  return body.subarray(PREFIX_BYTES);
}

function respond(stream: ServerHttp2Stream, message: Buffer): void {
  if (stream.destroyed || stream.closed) return;
  // One buffer, one DATA frame: copying a message of a few dozen bytes costs less than a second write.
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, PREFIX_BYTES);
  stream.respond(RESPONSE_HEADERS, WAIT_FOR_TRAILERS);
  stream.once('wantTrailers', () => stream.sendTrailers(OK_TRAILERS));
  stream.end(frame);
}

/** A status with no message: headers and trailers in one HEADERS frame, as gRPC allows. */
function trailersOnly(stream: ServerHttp2Stream, status: number, message: string): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond(
    { ...RESPONSE_HEADERS, 'grpc-status': String(status), 'grpc-message': percentEncoded(message) },
    { endStream: true },
  );
}

/** grpc-message's encoding: printable ASCII but `%` as it is, every other byte of the UTF-8 as %XX. */
function percentEncoded(message: string): string {
  return message.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}
