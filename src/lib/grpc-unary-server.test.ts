// The unary gRPC server against grpc-js's client (a real gRPC implementation) and raw HTTP/2 for what no
// well-behaved client sends: statuses and messages as gRPC defines them, broken requests answered, a call reset
// by its caller dropped, and calls in flight finished on close.
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { tempDir } from '../../test/support/components.ts';
import { makeCertificates } from '../../test/support/tls.ts';
import { GrpcStatus, GrpcStatusError, UnaryGrpcServer, type GrpcServerLimits, type GrpcServerSecurity, type UnaryHandler } from './grpc-unary-server.ts';

const same = (b: Buffer) => b;
const definition = (path: string) => ({ M: { path, requestStream: false, responseStream: false, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same } });
type Client = grpc.Client & { M(req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void };

interface ServeOptions {
  address?: string;
  limits?: Partial<GrpcServerLimits>;
  security?: GrpcServerSecurity;
  /** Client credentials and metadata for call() (default: plaintext, none). */
  credentials?: grpc.ChannelCredentials;
  metadata?: Record<string, string>;
}

async function serve(t: { after(fn: () => unknown): void }, methods: Record<string, UnaryHandler>, opts: ServeOptions = {}) {
  const address = opts.address ?? '127.0.0.1:0';
  const errors: unknown[] = [];
  const server = new UnaryGrpcServer({ methods, onError: (err) => errors.push(err), ...(opts.limits && { limits: opts.limits }), ...(opts.security && { security: opts.security }) });
  const port = await server.listen(address);
  const target = address.startsWith('unix:') ? address : `127.0.0.1:${port}`;
  const clients: grpc.Client[] = [];
  t.after(async () => {
    clients.forEach((c) => c.close());
    await server.close(100);
  });
  const call = (path: string, body: Buffer, metadata = opts.metadata, credentials = opts.credentials ?? grpc.credentials.createInsecure()) => {
    const client = new (grpc.makeGenericClientConstructor(definition(path), 'S'))(target, credentials) as unknown as Client & {
      M(req: Buffer, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void;
    };
    clients.push(client);
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(metadata ?? {})) md.set(k, v);
    return new Promise<Buffer>((resolve, reject) => client.M(body, md, (err, res) => (err ? reject(err) : resolve(res as Buffer))));
  };
  return { server, port, errors, call };
}

/** A raw HTTP/2 POST: the response headers, trailers and body. */
function raw(port: number, headers: Record<string, string>, body: Buffer) {
  const session = connect(`http://127.0.0.1:${port}`);
  return new Promise<{ headers: Record<string, unknown>; trailers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers', ...headers });
    const out = { headers: {}, trailers: {}, body: Buffer.alloc(0) };
    stream.on('response', (h) => (out.headers = h));
    stream.on('trailers', (h) => (out.trailers = h));
    stream.on('data', (c: Buffer) => (out.body = Buffer.concat([out.body, c])));
    stream.on('error', reject);
    stream.on('close', () => (session.close(), resolve(out)));
    stream.end(body);
  });
}

function frame(message: Buffer, compressed = 0): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = compressed;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

test('answers a unary call, from a sync or an async handler, over TCP and a Unix socket', async (t) => {
  const methods = { '/s.S/Upper': (b: Buffer) => Buffer.from(b.toString().toUpperCase()), '/s.S/Later': async (b: Buffer) => Buffer.concat([b, b]) };
  const tcp = await serve(t, methods);
  assert.equal((await tcp.call('/s.S/Upper', Buffer.from('abc'))).toString(), 'ABC');
  assert.equal((await tcp.call('/s.S/Later', Buffer.from('ab'))).toString(), 'abab');
  assert.equal((await tcp.call('/s.S/Later', Buffer.alloc(0))).length, 0, 'an empty message is a message');
  const socket = `unix:${join(await tempDir('grpc-unary', t), 's.sock')}`;
  const unix = await serve(t, methods, { address: socket });
  assert.equal((await unix.call('/s.S/Upper', Buffer.from('x'.repeat(100_000)))).length, 100_000, 'a message over several DATA frames');
});

test('statuses: unknown method, a handler’s GrpcStatusError, a bug (INTERNAL, reported, no detail to the caller)', async (t) => {
  const { call, errors } = await serve(t, {
    '/s.S/Busy': () => {
      throw new GrpcStatusError(GrpcStatus.UNAVAILABLE, 'redis: connection refused, 100% down, café');
    },
    '/s.S/Bug': async () => {
      throw new TypeError('secret detail');
    },
  });
  await assert.rejects(call('/s.S/Nope', Buffer.from('x')), { code: grpc.status.UNIMPLEMENTED, details: 'unknown method /s.S/Nope' });
  await assert.rejects(call('/s.S/Busy', Buffer.from('x')), { code: grpc.status.UNAVAILABLE, details: 'redis: connection refused, 100% down, café' });
  await assert.rejects(call('/s.S/Bug', Buffer.from('x')), { code: grpc.status.INTERNAL, details: 'internal error' });
  assert.equal((errors[0] as Error).message, 'secret detail');
});

test('broken requests get an answer, never a hang: not gRPC, compressed, no message, two messages, too large', async (t) => {
  const { port } = await serve(t, { '/s.S/M': (b) => b });
  const path = { ':path': '/s.S/M' };
  assert.equal((await raw(port, { ...path, 'content-type': 'application/json' }, Buffer.from('{}'))).headers[':status'], 415);
  const status = async (body: Buffer) => {
    const r = await raw(port, path, body);
    return [r.headers['grpc-status'] ?? r.trailers['grpc-status'], decodeURIComponent(String(r.headers['grpc-message'] ?? ''))];
  };
  assert.deepEqual(await status(frame(Buffer.from('x'), 1)), [String(GrpcStatus.INTERNAL), 'compressed messages are not supported']);
  assert.deepEqual(await status(Buffer.alloc(0)), [String(GrpcStatus.INTERNAL), 'a unary call needs exactly one message']);
  assert.deepEqual(await status(Buffer.concat([frame(Buffer.from('a')), frame(Buffer.from('b'))])), [String(GrpcStatus.INTERNAL), 'a unary call needs exactly one message']);
  assert.deepEqual(await status(frame(Buffer.alloc(4 * 1024 * 1024 + 1))), [String(GrpcStatus.RESOURCE_EXHAUSTED), 'message larger than 4194304 bytes']);
  const ok = await raw(port, path, frame(Buffer.from('hi')));
  assert.deepEqual([ok.trailers['grpc-status'], ok.body.subarray(5).toString()], ['0', 'hi']);
});

test('a call its caller resets is dropped; close() lets calls in flight finish', async (t) => {
  const { resolve: release, promise: released } = Promise.withResolvers<void>();
  const { server, port, call } = await serve(t, { '/s.S/Slow': async (b) => (await released, b) });
  const session = connect(`http://127.0.0.1:${port}`);
  const reset = session.request({ ':method': 'POST', ':path': '/s.S/Slow', 'content-type': 'application/grpc' });
  reset.on('error', () => {});
  reset.end(frame(Buffer.from('gone')));
  const inFlight = call('/s.S/Slow', Buffer.from('kept'));
  await new Promise((r) => setTimeout(r, 100));
  reset.close(0x8); // CANCEL, as Envoy does at its timeout
  session.close();
  const closed = server.close(5000);
  release();
  assert.equal((await inFlight).toString(), 'kept');
  await closed;
});

/** A raw HTTP/2 gRPC request whose body is written but not ended; resolves to the status it is answered with. */
function statusWithoutEnd(session: ReturnType<typeof connect>, body: Buffer) {
  const stream = session.request({ ':method': 'POST', ':path': '/s.S/M', 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => {});
  stream.write(body);
  return new Promise<[string, string]>((resolve) => {
    stream.on('response', (h) => resolve([String(h['grpc-status']), decodeURIComponent(String(h['grpc-message']))]));
    stream.on('close', () => resolve(['closed', '']));
  });
}

test('caps: a length prefix over the message cap is refused before the rest comes, bytes per connection, a request that never ends', async (t) => {
  const { port } = await serve(t, { '/s.S/M': (b) => b }, { limits: { maxMessageBytes: 800, maxBufferedBytesPerConnection: 1000, requestTimeoutMs: 400 } });
  const session = connect(`http://127.0.0.1:${port}`);
  t.after(() => session.destroy());
  session.on('error', () => {});
  const huge = Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]); // claims 4 GB
  assert.deepEqual(await statusWithoutEnd(session, huge), [String(GrpcStatus.RESOURCE_EXHAUSTED), 'message larger than 800 bytes']);
  const partOf700 = Buffer.concat([Buffer.from([0, 0, 0, 0x02, 0xbc]), Buffer.alloc(600)]);
  const first = statusWithoutEnd(session, partOf700);
  assert.deepEqual(await statusWithoutEnd(session, partOf700), [String(GrpcStatus.RESOURCE_EXHAUSTED), 'more than 1000 request bytes buffered on this connection']);
  assert.deepEqual(await first, [String(GrpcStatus.DEADLINE_EXCEEDED), 'the request did not arrive within 400 ms'], 'the one that was within the caps, never ended');
  assert.equal(session.remoteSettings.maxConcurrentStreams, 1024, 'the default stream cap is advertised');
  const ok = await raw(port, { ':path': '/s.S/M' }, frame(Buffer.alloc(700)));
  assert.equal(ok.trailers['grpc-status'], '0', 'a refused call releases what it held');
});

test('TLS with client certificates and a bearer token: a real grpc-js client with the token passes; without it, with a wrong one, or without a certificate it is refused', async (t) => {
  const c = makeCertificates();
  const mtls = grpc.credentials.createSsl(Buffer.from(c.ca), Buffer.from(c.clientKey), Buffer.from(c.clientCert));
  const { call } = await serve(t, { '/s.S/M': (b) => b }, { security: { tls: { cert: c.serverCert, key: c.serverKey, ca: c.ca }, token: 'tok-1' }, credentials: mtls });
  assert.equal((await call('/s.S/M', Buffer.from('hi'), { authorization: 'Bearer tok-1' })).toString(), 'hi');
  await assert.rejects(call('/s.S/M', Buffer.from('hi'), {}), { code: grpc.status.UNAUTHENTICATED });
  await assert.rejects(call('/s.S/M', Buffer.from('hi'), { authorization: 'Bearer tok-2' }), { code: grpc.status.UNAUTHENTICATED });
  await assert.rejects(call('/s.S/Nope', Buffer.from('hi'), {}), { code: grpc.status.UNAUTHENTICATED }, 'no method is told to a caller without the token');
  const noClientCert = grpc.credentials.createSsl(Buffer.from(c.ca));
  await assert.rejects(call('/s.S/M', Buffer.from('hi'), { authorization: 'Bearer tok-1' }, noClientCert), { code: grpc.status.UNAVAILABLE });
  await assert.rejects(call('/s.S/M', Buffer.from('hi'), { authorization: 'Bearer tok-1' }, grpc.credentials.createInsecure()), { code: grpc.status.UNAVAILABLE }, 'plaintext to a TLS port');
});
