// A unary gRPC server on node:http2, for the two data-path services Envoy calls on every request (ext_authz
// Check, RLS ShouldRateLimit). grpc-js allocates a few kilobytes of call objects per call (metadata, call
// streams, deadline timers, interceptor chains); at thousands of calls a second that garbage, promoted while
// calls wait on Redis, brings mark-compact pauses that set the services' p99 (bench/README.md). This serves only
// what those callers send: unary calls, uncompressed messages, h2c on TCP or a Unix socket. Handlers get the
// message bytes and return the answer's bytes; decoding stays with each service.
// Deadlines are the caller's: Envoy resets a stream at its own timeout, and an answer to a reset stream is dropped.
// Whoever can reach the port is bounded (GrpcServerLimits): streams and memory per connection, message size,
// bytes buffered per connection, time to send a request, idle connections; a message over a cap is answered
// RESOURCE_EXHAUSTED as soon as its length prefix says so, before any of it is buffered. It can serve TLS
// (optionally requiring client certificates) and require a bearer token (UNAUTHENTICATED without it).
import { rm } from 'node:fs/promises';
import {
  constants,
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import { parseHostPort } from './address.ts';
import { bearerMatches } from './bearer.ts';
import { PorticoError } from './errors.ts';

/** The gRPC status codes this server answers with (grpc/doc/statuscodes.md). */
export const GrpcStatus = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
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

/** What one client may take of the server. Every field has a default (DEFAULT_GRPC_LIMITS). */
export interface GrpcServerLimits {
  /** Largest request message (gRPC's default receive limit); a larger one is RESOURCE_EXHAUSTED. */
  maxMessageBytes: number;
  /** Request bytes buffered across the calls of one connection; the call that would go over is RESOURCE_EXHAUSTED. */
  maxBufferedBytesPerConnection: number;
  /** SETTINGS_MAX_CONCURRENT_STREAMS: calls in flight on one connection (Envoy opens another connection beyond). */
  maxConcurrentStreams: number;
  /** nghttp2's memory for one connection (MB): frames, header tables, queued answers; beyond, new streams are refused. */
  maxSessionMemoryMb: number;
  /** Largest header block of a call (SETTINGS_MAX_HEADER_LIST_SIZE). */
  maxHeaderListBytes: number;
  /** A call whose request has not arrived whole this long after its headers is answered DEADLINE_EXCEEDED. */
  requestTimeoutMs: number;
  /** A connection with no frame at all this long is closed gracefully (GOAWAY; the caller reconnects when it needs to). */
  idleTimeoutMs: number;
  /** Connections beyond this many are closed as soon as they are accepted. */
  maxConnections: number;
}

export const DEFAULT_GRPC_LIMITS: Readonly<GrpcServerLimits> = {
  maxMessageBytes: 4 * 1024 * 1024,
  maxBufferedBytesPerConnection: 16 * 1024 * 1024,
  // Envoy's default circuit breaker allows 1024 requests in flight per cluster: one connection can carry them.
  maxConcurrentStreams: 1024,
  // Node's default (10 MB) refuses calls (ENHANCE_YOUR_CALM) under a burst a gRPC server is expected to queue;
  // 1024 streams with their headers and answers stay well under this.
  maxSessionMemoryMb: 128,
  maxHeaderListBytes: 16 * 1024,
  // Envoy gives a check or a decision well under a second (its own timeout resets the stream sooner).
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 300_000,
  maxConnections: 10_000,
};

/** Serving over TLS and requiring a bearer token; absent: h2c and no token. */
export interface GrpcServerSecurity {
  /** PEM contents; with `ca`, callers must present a client certificate it signed. */
  tls?: { cert: string; key: string; ca?: string };
  /** Required as `authorization: Bearer <token>` metadata on every call. */
  token?: string;
}

export interface UnaryServerOptions {
  /** Full method paths (`/package.Service/Method`) and their handlers. */
  methods: Readonly<Record<string, UnaryHandler>>;
  /** Called for a handler that threw something other than a GrpcStatusError (answered INTERNAL), and for server errors. */
  onError(err: unknown): void;
  limits?: Partial<GrpcServerLimits>;
  security?: GrpcServerSecurity;
}

/** How a service's server is exposed: its caps and its TLS and token (the `portico extauth`/`ratelimit` flags). */
export type GrpcServing = Pick<UnaryServerOptions, 'limits' | 'security'>;

/** A message's prefix: a compressed flag and a 4-byte big-endian length. */
const PREFIX_BYTES = 5;

const RESPONSE_HEADERS = { [constants.HTTP2_HEADER_STATUS]: 200, [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc' };
const OK_TRAILERS = { 'grpc-status': '0' };
const WAIT_FOR_TRAILERS = { waitForTrailers: true };

export class UnaryGrpcServer {
  readonly #methods: ReadonlyMap<string, UnaryHandler>;
  readonly #onError: (err: unknown) => void;
  readonly #limits: GrpcServerLimits;
  readonly #token: string | undefined;
  readonly #sessions = new Set<Http2Session>();
  /** Request bytes held per connection, for maxBufferedBytesPerConnection. */
  readonly #buffered = new WeakMap<Http2Session, number>();
  readonly #server: Http2Server | Http2SecureServer;
  readonly #deadlines: Deadlines;

  constructor(opts: UnaryServerOptions) {
    this.#methods = new Map(Object.entries(opts.methods));
    this.#onError = opts.onError;
    this.#limits = { ...DEFAULT_GRPC_LIMITS, ...opts.limits };
    this.#token = opts.security?.token;
    this.#deadlines = new Deadlines(this.#limits.requestTimeoutMs);
    this.#server = createHttp2Server(this.#limits, opts.security?.tls);
    this.#server.maxConnections = this.#limits.maxConnections;
    this.#server.on('stream', (stream, headers) => this.#onStream(stream, headers));
    this.#server.on('session', (session) => {
      this.#sessions.add(session);
      this.#buffered.set(session, 0);
      session.on('close', () => this.#sessions.delete(session));
      // A peer that goes away mid-call, or sends what HTTP/2 forbids, emits an error; the session is closed either way.
      session.on('error', () => {});
      session.setTimeout(this.#limits.idleTimeoutMs, () => session.close());
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
        // From now on an error is one accept that failed (EMFILE): reported, and the server keeps accepting.
        this.#server.on('error', this.#onError);
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
    this.#deadlines.stop();
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
      return void stream.close(constants.NGHTTP2_NO_ERROR);
    }
    if (this.#token !== undefined && !bearerMatches(headers.authorization, this.#token)) {
      return refuse(stream, GrpcStatus.UNAUTHENTICATED, "this service needs 'authorization: Bearer <token>' metadata");
    }
    if (!handler) return refuse(stream, GrpcStatus.UNIMPLEMENTED, `unknown method ${String(headers[constants.HTTP2_HEADER_PATH])}`);
    this.#receive(stream, (message) => this.#call(stream, handler, message));
  }

  /** Buffers the request within the caps, then hands its one message on (or answers what is wrong with it). */
  #receive(stream: ServerHttp2Stream, received: (message: Buffer) => void): void {
    const { session } = stream;
    const { maxMessageBytes, maxBufferedBytesPerConnection } = this.#limits;
    const chunks: Buffer[] = [];
    let size = 0;
    const hold = (bytes: number) => session && this.#buffered.set(session, (this.#buffered.get(session) ?? 0) + bytes);
    const release = () => {
      hold(-size);
      size = 0;
    };
    const stop = (status: number, message: string) => {
      stream.removeAllListeners('data');
      stream.removeAllListeners('end');
      chunks.length = 0;
      release();
      refuse(stream, status, message);
    };
    const timedOut = () => stop(GrpcStatus.DEADLINE_EXCEEDED, `the request did not arrive within ${this.#limits.requestTimeoutMs} ms`);
    this.#deadlines.add(timedOut);
    stream.once('close', () => {
      this.#deadlines.delete(timedOut);
      release();
    });
    let announced = -1;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      hold(chunk.length);
      chunks.push(chunk);
      // The length prefix is enough to refuse a message over the cap: none of the rest is waited for.
      if (announced < 0 && size >= PREFIX_BYTES) announced = (chunks.length === 1 ? chunk : Buffer.concat(chunks)).readUInt32BE(1);
      if (announced > maxMessageBytes || size > PREFIX_BYTES + maxMessageBytes) return stop(GrpcStatus.RESOURCE_EXHAUSTED, `message larger than ${maxMessageBytes} bytes`);
      if (session && (this.#buffered.get(session) ?? 0) > maxBufferedBytesPerConnection) {
        return stop(GrpcStatus.RESOURCE_EXHAUSTED, `more than ${maxBufferedBytesPerConnection} request bytes buffered on this connection`);
      }
    });
    stream.on('end', () => {
      this.#deadlines.delete(timedOut);
      const message = messageOf(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
      if (typeof message === 'string') return refuse(stream, GrpcStatus.INTERNAL, message);
      received(message);
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

/**
 * Requests still arriving, timed out between timeoutMs/2 and timeoutMs after they started: two generations
 * swapped on a timer, rather than a timer per call (a call is a few dozen bytes; a Timeout is more garbage).
 */
class Deadlines {
  #current = new Set<() => void>();
  #previous = new Set<() => void>();
  readonly #timer: NodeJS.Timeout;

  constructor(timeoutMs: number) {
    this.#timer = setInterval(() => {
      const expired = this.#previous;
      this.#previous = this.#current;
      this.#current = new Set();
      for (const onTimeout of expired) onTimeout();
    }, timeoutMs / 2).unref();
  }

  add(onTimeout: () => void): void {
    this.#current.add(onTimeout);
  }

  delete(onTimeout: () => void): void {
    if (!this.#current.delete(onTimeout)) this.#previous.delete(onTimeout);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** An h2c server, or TLS with ALPN h2 only; the caps that are HTTP/2 settings are set here. */
function createHttp2Server(limits: GrpcServerLimits, tls: GrpcServerSecurity['tls']): Http2Server | Http2SecureServer {
  const options = {
    maxSessionMemory: limits.maxSessionMemoryMb,
    maxHeaderListPairs: 64,
    settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderListBytes, enablePush: false },
  };
  if (!tls) return createServer(options);
  return createSecureServer({ ...options, cert: tls.cert, key: tls.key, ...(tls.ca && { ca: tls.ca, requestCert: true, rejectUnauthorized: true }) });
}

/** The one message of a unary request, or what is wrong with the body. */
function messageOf(body: Buffer): Buffer | string {
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

/**
 * A status before the request was read whole, then RST_STREAM(NO_ERROR): the caller stops sending the rest
 * (RFC 9113 8.1), and nothing more of it is received.
 */
function refuse(stream: ServerHttp2Stream, status: number, message: string): void {
  trailersOnly(stream, status, message);
  if (!stream.destroyed && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
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
