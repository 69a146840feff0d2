import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import type { ConsulConnection } from '../../consul/client.ts';
import type { KvItem } from '../../consul/kv.ts';
import { silentLogger } from '../../lib/logger.ts';
import { ConsulKvResourceProvider } from './consul-kv.ts';
import type { SourceSnapshot } from '../../api/source.ts';

const KEY = 'portico/gateway.networking.k8s.io/v1/HTTPRoute/default/web';
const value = (path: string, extraMeta = '') => `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web${extraMeta}}\nspec: {rules: [{matches: [{path: {type: PathPrefix, value: ${path}}}]}]}\n`;

/** A stand-in for Consul's KV endpoint (unit test only): answers from a script, then holds the request until cancelled. */
function scriptedConsul(script: Array<{ index: number; items: KvItem[] }>): ConsulConnection {
  const get = (opts: { ctx: EventEmitter }) => {
    const next = script.shift();
    if (next) return Promise.resolve([{ headers: { 'x-consul-index': String(next.index) } }, next.items]);
    return new Promise((_, reject) => opts.ctx.once('cancel', () => reject(new Error('cancelled'))));
  };
  return { client: { kv: { get } }, describe: () => 'http://127.0.0.1:8500', close: () => {} } as unknown as ConsulConnection;
}

async function published(script: Array<{ index: number; items: KvItem[] }>, count: number): Promise<SourceSnapshot[]> {
  const snaps: SourceSnapshot[] = [];
  const provider = new ConsulKvResourceProvider({ consul: scriptedConsul(script), logger: silentLogger });
  await provider.start((s) => snaps.push(s));
  for (let i = 0; i < 50 && snaps.length < count; i++) await new Promise((r) => setTimeout(r, 20));
  await provider.stop();
  return snaps;
}

test('consul KV source: a resource\'s generation is its key\'s ModifyIndex and its creation order the CreateIndex, whatever the value says, the same for any reader', async () => {
  const forged = ", generation: 99, creationTimestamp: '2000-01-01T00:00:00Z'";
  const writes = [
    { index: 10, items: [{ Key: KEY, CreateIndex: 10, ModifyIndex: 10, Value: value('/a', forged) }] },
    { index: 14, items: [{ Key: KEY, CreateIndex: 10, ModifyIndex: 14, Value: value('/b') }] },
  ];
  const first = await published(structuredClone(writes), 2);
  assert.deepEqual(first.map((s) => s.resources.map((r) => r.metadata.generation)), [[10], [14]], 'grows with each write');
  assert.deepEqual(first.map((s) => s.resources.map((r) => r.metadata.creationIndex)), [[10], [10]], 'created once');
  assert.ok(first.every((s) => s.ownMetadata), 'the store is told to keep them');
  // A controller started later (or this one restarted) reads the key once: the same generation and order.
  const later = await published([writes[1]!], 1);
  assert.deepEqual(later.map((s) => s.resources.map((r) => [r.metadata.generation, r.metadata.creationIndex])), [[[14, 10]]]);
});
