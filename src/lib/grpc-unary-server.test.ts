// The unary gRPC server against grpc-js's client (a real gRPC implementation) and raw HTTP/2 for what no
// well-behaved client sends: statuses and messages as gRPC defines them, broken requests answered, a call reset
// by its caller dropped, and calls in flight finished on close.
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { tempDir } from '../../test/support/components.ts';
import { GrpcStatus, GrpcStatusError, UnaryGrpcServer, type UnaryHandler } from './grpc-unary-server.ts';

const same = (b: Buffer) => b;
const definition = (path: string) => ({ M: { path, requestStream: false, responseStream: false, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same } });
type Client = grpc.Client & { M(req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void };

async function serve(t: { after(fn: () => unknown): void }, methods: Record<string, UnaryHandler>, address = '127.0.0.1:0') {
  const errors: unknown[] = [];
  const server = new UnaryGrpcServer({ methods, onError: (err) => errors.push(err) });
  const port = await server.listen(address);
  const target = address.startsWith('unix:') ? address : `127.0.0.1:${port}`;
  const clients: grpc.Client[] = [];
  t.after(async () => {
    clients.forEach((c) => c.close());
    await server.close(100);
  });
  const call = (path: string, body: Buffer) => {
    const client = new (grpc.makeGenericClientConstructor(definition(path), 'S'))(target, grpc.credentials.createInsecure()) as unknown as Client;
    clients.push(client);
    return new Promise<Buffer>((resolve, reject) => client.M(body, (err, res) => (err ? reject(err) : resolve(res as Buffer))));
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
  const unix = await serve(t, methods, socket);
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
