import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '../api/resource.ts';
import { ResourceStore, type StoreSnapshot } from './store.ts';

const route = (name: string, spec: unknown): Resource => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace: 'default' },
  spec,
});

function collect(store: ResourceStore): StoreSnapshot[] {
  const seen: StoreSnapshot[] = [];
  store.subscribe((s) => seen.push(s));
  return seen;
}

test('generation rises on each spec change only', () => {
  const store = new ResourceStore();
  const seen = collect(store);
  store.update('dir', { resources: [route('a', { x: 1 })], rejected: [] });
  store.flush();
  store.update('dir', { resources: [route('a', { x: 1 })], rejected: [] });
  store.flush();
  store.update('dir', { resources: [route('a', { x: 2 })], rejected: [] });
  store.flush();
  assert.deepEqual(seen.map((s) => s.resources[0]?.metadata.generation), [1, 1, 2]);
  assert.deepEqual(seen.map((s) => s.version), [1, 2, 3]);
});

test('a creation order is kept only from a source that vouches for it (Consul KV CreateIndex), never from the document', () => {
  const withOrder = (name: string, creationIndex: number): Resource => ({ ...route(name, {}), metadata: { name, namespace: 'default', generation: 5, creationIndex, creationTimestamp: '2000-01-01T00:00:00Z' } });
  const store = new ResourceStore();
  const seen = collect(store);
  store.update('dir', { resources: [withOrder('folder', 1)], rejected: [] });
  store.update('consulKv', { resources: [withOrder('kv', 42)], rejected: [], ownMetadata: true });
  store.flush();
  const byName = new Map(seen[0]?.resources.map((r) => [r.metadata.name, r.metadata]));
  assert.equal(byName.get('folder')?.creationIndex, undefined, 'a folder resource has no creation order');
  assert.equal(byName.get('kv')?.creationIndex, 42);
});

test('a rejected new version keeps the last good one; deleting it removes it', () => {
  const store = new ResourceStore();
  const seen = collect(store);
  store.update('dir', { resources: [route('a', { x: 1 })], rejected: [] });
  store.flush();
  const rejected = { id: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'default', name: 'a' }, source: { file: 'a.yaml' }, problems: [{ message: 'bad' }] };
  store.update('dir', { resources: [], rejected: [rejected] });
  store.flush();
  assert.deepEqual(seen[1]?.resources.map((r) => r.spec), [{ x: 1 }]);
  assert.equal(seen[1]?.rejected.length, 1);
  store.update('dir', { resources: [], rejected: [] });
  store.flush();
  assert.deepEqual(seen[2]?.resources, []);
});

// Mocked timers and clock: the count of snapshots is exact, whatever the machine's load. The clock moves a
// millisecond at a time, since a mocked timer sees the clock where the tick ends, not where the timer was due.
function advance(t: TestContext, ms: number): void {
  for (let i = 0; i < ms; i++) t.mock.timers.tick(1);
}

test('a burst of updates is debounced, but never past the maximum delay', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const store = new ResourceStore({ holdOffMs: 30, maxDelayMs: 100 });
  const emittedAt: number[] = [];
  store.subscribe(() => emittedAt.push(Date.now() - 1_000_000));
  const seen = collect(store);
  // 12 updates 15 ms apart (t = 0 … 165 ms): the first goes out at once; each later one holds the next snapshot
  // off by 30 ms, but never more than 100 ms after the first update it carries (15 ms → 115 ms).
  for (let i = 0; i < 12; i++) {
    store.update('dir', { resources: [route('a', { i })], rejected: [] });
    advance(t, 15);
  }
  advance(t, 60);
  store.close();
  assert.deepEqual(emittedAt, [1, 115, 195], 'at once (a 0 ms timer fires at 1 ms); at the maximum delay; 30 ms after the last update');
  assert.deepEqual(seen.map((s) => (s.resources[0]?.spec as { i: number }).i), [0, 7, 11]);
});

test('after a quiet spell an update is emitted at once, not after the hold-off', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const store = new ResourceStore({ holdOffMs: 500, maxDelayMs: 1000 });
  const seen = collect(store);
  store.update('dir', { resources: [route('a', { i: 1 })], rejected: [] });
  store.update('other', { resources: [route('b', {})], rejected: [] });
  advance(t, 1);
  assert.equal(seen.length, 1, 'one snapshot for updates made together, without waiting 500 ms');
  assert.deepEqual(seen[0]?.resources.map((r) => r.metadata.name), ['a', 'b']);
  store.update('dir', { resources: [route('a', { i: 2 })], rejected: [] });
  advance(t, 499);
  assert.equal(seen.length, 1, 'an update right after an emit is held off');
  advance(t, 1);
  assert.equal(seen.length, 2, 'and goes out once the hold-off has passed');
  store.close();
});

test('sources merge in order; the first to publish a name wins a clash', () => {
  const store = new ResourceStore();
  const seen = collect(store);
  store.update('first', { resources: [route('a', { from: 'first' })], rejected: [] });
  store.update('second', { resources: [route('a', { from: 'second' }), route('b', {})], rejected: [] });
  store.flush();
  assert.deepEqual(seen[0]?.resources.map((r) => [r.metadata.name, r.spec]), [['a', { from: 'first' }], ['b', {}]]);
});

test('with a precedence, the source listed first wins a clash whichever publishes first', () => {
  const store = new ResourceStore({ precedence: ['directory', 'consulKv'] });
  const seen = collect(store);
  store.update('consulKv', { resources: [route('a', { from: 'kv' }), route('b', {})], rejected: [] });
  store.update('late', { resources: [route('a', { from: 'late' }), route('c', {})], rejected: [] });
  store.flush();
  store.update('directory', { resources: [route('a', { from: 'directory' })], rejected: [] });
  store.flush();
  assert.deepEqual(seen[0]?.resources.map((r) => [r.metadata.name, r.spec]), [['a', { from: 'kv' }], ['b', {}], ['c', {}]], 'a listed source comes before one that is not');
  assert.deepEqual(seen[1]?.resources.map((r) => [r.metadata.name, r.spec]), [['a', { from: 'directory' }], ['b', {}], ['c', {}]]);
  store.close();
});

test('a source that owns its generations (Consul KV: ModifyIndex) has them kept: the same in every store, across restarts', () => {
  const kv = (spec: unknown, generation: number): Resource => ({ ...route('a', spec), metadata: { name: 'a', namespace: 'default', generation } });
  const generations = (store: ResourceStore, ...snaps: Resource[][]) => {
    const seen = collect(store);
    for (const resources of snaps) {
      store.update('consulKv', { resources, rejected: [], ownMetadata: true });
      store.flush();
    }
    return seen.map((s) => s.resources[0]?.metadata.generation);
  };
  // One store saw three writes of the key, another (a second controller, or this one restarted) only the last.
  assert.deepEqual(generations(new ResourceStore(), [kv({ x: 1 }, 17)], [kv({ x: 2 }, 23)], [kv({ x: 2 }, 31)]), [17, 23, 31], 'every write of the key counts');
  assert.deepEqual(generations(new ResourceStore(), [kv({ x: 2 }, 31)]), [31]);
  // Without ownMetadata a value's own generation is not trusted: the store counts.
  const counted = new ResourceStore();
  const seen = collect(counted);
  counted.update('dir', { resources: [kv({ x: 1 }, 99)], rejected: [] });
  counted.flush();
  assert.equal(seen[0]?.resources[0]?.metadata.generation, 1);
});

test('a rejected new version of a source-owned resource keeps the last good one with its generation', () => {
  const store = new ResourceStore();
  const seen = collect(store);
  const good: Resource = { ...route('a', { x: 1 }), metadata: { name: 'a', namespace: 'default', generation: 40 } };
  store.update('consulKv', { resources: [good], rejected: [], ownMetadata: true });
  store.flush();
  const rejected = { id: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'default', name: 'a' }, source: { key: 'portico/x' }, problems: [{ message: 'bad' }] };
  store.update('consulKv', { resources: [], rejected: [rejected], ownMetadata: true });
  store.flush();
  assert.deepEqual(seen.map((s) => s.resources[0]?.metadata.generation), [40, 40]);
});
