// The RLS server shell: bytes that are no RateLimitRequest are the caller's mistake, answered INVALID_ARGUMENT and
// not logged as a failure of the service; a request that decodes is decided as usual.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { captureLogs } from '../../test/support/logs.ts';
import { Limiter } from './limiter.ts';
import { encodeRequest, SHOULD_RATE_LIMIT } from './rls.ts';
import { RateLimitServer } from './server.ts';

test('a message that is no RateLimitRequest: INVALID_ARGUMENT, nothing logged at error level', async (t) => {
  const logs = captureLogs('debug');
  const limiter = new Limiter({ counter: { increment: async () => 1 }, localCache: false });
  const server = new RateLimitServer({ limiter, logger: logs.logger });
  const port = await server.listen('127.0.0.1:0');
  const same = (b: Buffer) => b;
  const Client = grpc.makeGenericClientConstructor({ M: { path: SHOULD_RATE_LIMIT, requestStream: false, responseStream: false, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same } }, 'S');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { M(req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void };
  t.after(async () => {
    client.close();
    await server.close();
  });
  const call = (body: Buffer) => new Promise<Buffer>((resolve, reject) => client.M(body, (err, res) => (err ? reject(err) : resolve(res as Buffer))));
  await assert.rejects(call(Buffer.from([0xff, 0xff, 0xff])), (err: grpc.ServiceError) => err.code === grpc.status.INVALID_ARGUMENT && /^malformed RateLimitRequest/.test(err.details));
  assert.ok(Buffer.isBuffer(await call(encodeRequest({ domain: 'none', descriptors: [{ entries: [{ key: 'k', value: 'v' }] }] }))));
  assert.equal(logs.entries.filter((l) => Number(l.level) >= 50).length, 0, logs.text());
});
