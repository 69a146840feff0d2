import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsulConnection } from '../consul/client.ts';
import { consulStatusTarget } from './consul-target.ts';

/** A stand-in for Consul's KV read (unit test only): one fixed answer. */
function kvAnswer(items: Array<{ Key: string; Value: string }>, headers: Record<string, string> = {}): ConsulConnection {
  const get = async () => [{ headers: { 'x-consul-index': '9', ...headers } }, items.map((i) => ({ ...i, ModifyIndex: 9 }))];
  return { client: { kv: { get } }, describe: () => 'http://127.0.0.1:8500', close: () => {} } as unknown as ConsulConnection;
}

test('consul status target: the leader lock is never taken for a (stale) status, wherever it is', async () => {
  const items = [
    { Key: 'portico-status/gateway.networking.k8s.io/HTTPRoute/default/web', Value: 'status' },
    { Key: 'portico-status/.leader', Value: 'host:1' },
    { Key: 'portico-status/leader', Value: 'host:1' },
  ];
  const target = consulStatusTarget({ consul: kvAnswer(items), prefix: 'portico-status', lockKey: 'portico-status/leader' });
  assert.deepEqual([...(await target.load!()).keys()], ['portico-status/gateway.networking.k8s.io/HTTPRoute/default/web']);
});

test('consul status target: statuses hidden by ACLs are a permission problem naming the rule, not an empty prefix', async () => {
  const target = consulStatusTarget({ consul: kvAnswer([], { 'x-consul-results-filtered-by-acls': 'true' }), prefix: 'portico-status' });
  await assert.rejects(target.load!(), /^ConsulError: permission denied reading portico-status\/ at http:\/\/127\.0\.0\.1:8500; the token needs key_prefix "portico-status\/" \{ policy = "write" \}$/);
});
