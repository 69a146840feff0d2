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

/** A stand-in for Consul's transactions (unit test only): refuses any batch holding `refused`, as Consul does (409, the op's index). */
function txnAnswer(refused: string, written: string[], batches: number[]): ConsulConnection {
  const create = async (ops: Array<{ KV: { Key: string } }>) => {
    batches.push(ops.length);
    const at = ops.findIndex((o) => o.KV.Key === refused);
    if (at >= 0) throw Object.assign(new Error('Conflict'), { response: { statusCode: 409, body: { Errors: [{ OpIndex: at, What: `Permission denied: token lacks permission 'key:write' on "${refused}"` }] } } });
    written.push(...ops.map((o) => o.KV.Key));
  };
  return { client: { transaction: { create } }, describe: () => 'http://127.0.0.1:8500', close: () => {} } as unknown as ConsulConnection;
}

test('consul status target: a transaction Consul refuses is split until only the refused status is left out', async () => {
  const written: string[] = [];
  const batches: number[] = [];
  const target = consulStatusTarget({ consul: txnAnswer('s/7', written, batches), prefix: 's' });
  const put = new Map(Array.from({ length: 10 }, (_, i) => [`s/${i}`, `status ${i}`]));
  const failed = await target.apply({ put, remove: [] });
  assert.deepEqual([...failed.keys()], ['s/7']);
  assert.match(failed.get('s/7')?.message ?? '', /^permission denied writing statuses under s\/7 at http:\/\/127\.0\.0\.1:8500/);
  assert.deepEqual(written.sort(), ['s/0', 's/1', 's/2', 's/3', 's/4', 's/5', 's/6', 's/8', 's/9']);
  assert.ok(batches.length <= 9, `${batches.length} transactions`);
});

test('consul status target: a failed fence (operation 0) is not split: the new leader writes', async () => {
  const written: string[] = [];
  const target = consulStatusTarget({ consul: txnAnswer('lock', written, []), prefix: 's', fence: () => ({ key: 'lock', session: 'x' }) });
  await assert.rejects(target.apply({ put: new Map([['s/a', 'a'], ['s/b', 'b']]), remove: [] }), /^ConsulError: permission denied writing statuses under s\/a/);
  assert.deepEqual(written, []);
});

test('consul status target: transactions stay under Consul\'s request size, not only its 64 operations', async () => {
  const written: string[] = [];
  const batches: number[] = [];
  const target = consulStatusTarget({ consul: txnAnswer('none', written, batches), prefix: 's' });
  const put = new Map(Array.from({ length: 20 }, (_, i) => [`s/${i}`, 'x'.repeat(60 * 1024)]));
  assert.deepEqual([...(await target.apply({ put, remove: [] })).keys()], []);
  assert.equal(written.length, 20);
  assert.ok(batches.every((n) => n <= 4), `operations per transaction: ${batches.join(', ')}`);
});
