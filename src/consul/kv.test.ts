import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsulConnection } from './client.ts';
import { requestTimeoutMs } from './blocking.ts';
import { kvRead } from './kv.ts';

/** A stand-in for the consul client (unit test only) that records what kvRead asks it for. */
function recordingConnection(): { connection: ConsulConnection; asked: Array<Record<string, unknown>> } {
  const asked: Array<Record<string, unknown>> = [];
  const get = async (opts: Record<string, unknown>) => {
    asked.push(opts);
    return [{ headers: { 'x-consul-index': '42' } }, [{ Key: 'portico/x', ModifyIndex: 42, Value: 'v' }]];
  };
  const connection = { client: { kv: { get } }, describe: () => 'http://127.0.0.1:8500', close: () => {} } as unknown as ConsulConnection;
  return { connection, asked };
}

test('kvRead: a blocking read times out only after the wait plus Consul\'s jitter plus a margin', async () => {
  const { connection, asked } = recordingConnection();
  const answer = await kvRead(connection, { key: 'portico/', recurse: true, index: 7, waitSeconds: 300 });
  assert.equal(answer.index, 42);
  assert.equal(asked[0]?.wait, '300s');
  assert.equal(asked[0]?.timeout, requestTimeoutMs(300_000));
  assert.ok((asked[0]?.timeout as number) > 300_000 + 300_000 / 16, 'a quiet root must not time out while Consul still holds the query');
  await kvRead(connection, { key: 'portico/', recurse: true });
  assert.equal(asked[1]?.wait, undefined, 'index 0: a plain read');
  assert.equal(asked[1]?.timeout, requestTimeoutMs(0));
});
