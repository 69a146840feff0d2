import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { captureLogs } from '../../../test/support/logs.ts';
import { Backoff } from '../../lib/backoff.ts';
import { silentLogger } from '../../lib/logger.ts';
import { SnapshotCache } from '../cache/snapshot-cache.ts';
import { TYPE_URLS } from '../resources.ts';
import { AdsServer } from '../server/ads.ts';
import { parseTokens, TokenTable } from '../server/identity.ts';
import type { AckEvent, NackEvent } from '../server/stream.ts';
import { type JsonObject, SERVICE_NODE_KEYS } from '../../contracts/service-config.ts';
import { fromStruct, serviceConfigResources, toStruct } from '../service-config.ts';
import { ServiceConfigClient } from './service-config-client.ts';

const KEY = SERVICE_NODE_KEYS.extauth;
const serve = (cache: SnapshotCache, items: { name: string; config: JsonObject }[]) => cache.set(KEY, { [TYPE_URLS.serviceConfig]: serviceConfigResources(items) });

async function startServer(t: TestContext, cache: SnapshotCache, port = 0) {
  const server = new AdsServer({ cache, logger: silentLogger, tokens: new TokenTable(parseTokens('service/extauth s3cret')) });
  const bound = await server.listen('127.0.0.1', port);
  t.after(() => server.close());
  return { server, port: bound };
}

function client(t: TestContext, port: number, configs: Map<string, JsonObject>[], reject?: (items: ReadonlyMap<string, JsonObject>) => string | undefined) {
  const c = new ServiceConfigClient({
    address: `127.0.0.1:${port}`,
    nodeKey: KEY,
    token: 's3cret',
    logger: silentLogger,
    backoff: new Backoff({ initialMs: 20, maxMs: 100 }),
    onConfig: (items) => {
      const why = reject?.(items);
      if (why) throw new Error(why);
      configs.push(new Map(items));
    },
  });
  t.after(() => c.stop());
  c.start();
  return c;
}

test('JSON survives the Struct round trip: nesting, lists, null, empty values', () => {
  const value: JsonObject = { a: 'x', n: 0, f: 1.5, b: false, z: null, list: [1, 'two', { three: [] }], empty: {}, s: '' };
  assert.deepEqual(fromStruct(toStruct(value)), value);
});

test('a service gets its configuration, ACKs it, gets each change, and NACKs one it cannot apply', async (t) => {
  const cache = new SnapshotCache();
  serve(cache, [{ name: 'default/basic', config: { users: { test: 'h' } } }]);
  const { server, port } = await startServer(t, cache);
  const acks: AckEvent[] = [];
  const nacks: NackEvent[] = [];
  server.on('ack', (e: AckEvent) => acks.push(e));
  server.on('nack', (e: NackEvent) => nacks.push(e));
  const configs: Map<string, JsonObject>[] = [];
  const c = client(t, port, configs, (items) => (items.has('default/bad') ? 'default/bad: unknown hash scheme' : undefined));
  await c.ready();
  assert.deepEqual([...configs[0]!], [['default/basic', { users: { test: 'h' } }]]);
  await waitUntil(() => acks.length === 1);
  assert.equal(acks[0]?.nodeKey, KEY);

  serve(cache, [{ name: 'default/bad', config: {} }]);
  await waitUntil(() => nacks.length === 1);
  assert.equal(nacks[0]?.message, 'default/bad: unknown hash scheme');
  assert.equal(configs.length, 1, 'the rejected version is not applied');
  const kept = c.version;

  serve(cache, [{ name: 'default/basic', config: { users: {} } }, { name: 'default/keys', config: { header: 'api-key' } }]);
  await waitUntil(() => configs.length === 2);
  assert.deepEqual([...configs[1]!.keys()], ['default/basic', 'default/keys']);
  assert.notEqual(c.version, kept);
});

test('a version applied without some items is current, and NACKed with one line per item left out', async (t) => {
  const cache = new SnapshotCache();
  serve(cache, [{ name: 'a', config: {} }, { name: 'b', config: {} }]);
  const { server, port } = await startServer(t, cache);
  const nacks: NackEvent[] = [];
  server.on('nack', (e: NackEvent) => nacks.push(e));
  const c = new ServiceConfigClient({ address: `127.0.0.1:${port}`, nodeKey: KEY, token: 's3cret', logger: silentLogger, onConfig: () => ['b: cannot be compiled'] });
  t.after(() => c.stop());
  c.start();
  await c.ready();
  await waitUntil(() => nacks.length === 1);
  assert.equal(nacks[0]?.message, 'applied without 1 item(s):\nb: cannot be compiled');
  assert.equal(c.version, nacks[0]?.version, 'the version is the current one: a reconnect does not ask for it again');
});

test('the client keeps its configuration while the controller is away and resumes when it is back', async (t) => {
  const cache = new SnapshotCache();
  serve(cache, [{ name: 'a', config: { v: 1 } }]);
  const first = await startServer(t, cache);
  const configs: Map<string, JsonObject>[] = [];
  const c = client(t, first.port, configs);
  await c.ready();
  assert.equal(c.connected, true);
  await first.server.close();
  await waitUntil(() => !c.connected);

  const cache2 = new SnapshotCache();
  serve(cache2, [{ name: 'a', config: { v: 2 } }]);
  await startServer(t, cache2, first.port);
  await waitUntil(() => configs.length === 2, 5000);
  assert.deepEqual(configs[1]!.get('a'), { v: 2 });
  assert.equal(c.connected, true);
});

test('a wrong token ends the stream; the client retries, says why, and never logs the token', async (t) => {
  const cache = new SnapshotCache();
  serve(cache, []);
  const { port } = await startServer(t, cache);
  const logs = captureLogs();
  const c = new ServiceConfigClient({ address: `127.0.0.1:${port}`, nodeKey: KEY, token: 'wrong-token', logger: logs.logger, backoff: new Backoff({ initialMs: 20, maxMs: 40 }), onConfig: () => {} });
  t.after(() => c.stop());
  c.start();
  await waitUntil(() => logs.entries.filter((e) => e.code === 'UNAUTHENTICATED').length >= 2);
  assert.equal(c.connected, false);
  assert.match(String(logs.entries[0]?.msg), new RegExp(`lost the configuration stream from the controller at 127.0.0.1:${port}`));
  assert.equal(logs.entries[0]?.details, "the bearer token is not one of this server's tokens");
  assert.doesNotMatch(logs.text(), /wrong-token/);
});

async function waitUntil(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
