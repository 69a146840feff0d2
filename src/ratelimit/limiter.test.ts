import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DomainConfig } from '../contracts/ratelimit.ts';
import { Limiter, type Counter } from './limiter.ts';
import { DomainMatcher, type Entry } from './matcher.ts';

/** Redis's INCRBY in a Map; remembers every key and TTL it was given. */
class MemoryCounter implements Counter {
  readonly counts = new Map<string, number>();
  readonly ttls = new Map<string, number>();
  calls = 0;
  async increment(key: string, hits: number, ttl: number): Promise<number> {
    this.calls++;
    const n = (this.counts.get(key) ?? 0) + hits;
    this.counts.set(key, n);
    this.ttls.set(key, ttl);
    return n;
  }
}

const limit = (requestsPerUnit: number, unit: 'second' | 'minute' | 'hour' | 'day' = 'minute') => ({ requestsPerUnit, unit });
const e = (key: string, value: string): Entry => ({ key, value });

function setup(config: Omit<DomainConfig, 'domain'>, nowMs = 1_700_000_010_000, localCache = true) {
  const counter = new MemoryCounter();
  let now = nowMs;
  const limiter = new Limiter({ counter, now: () => now, localCache });
  limiter.configure([new DomainMatcher({ domain: 'd', ...config })]);
  const ask = (...descriptors: Entry[][]) => limiter.decide({ domain: 'd', descriptors: descriptors.map((entries) => ({ entries })) });
  return { counter, limiter, ask, advance: (ms: number) => (now += ms) };
}

test('one per minute: the second request in the window is over the limit; keys as envoyproxy/ratelimit', async () => {
  const { ask, counter, advance } = setup({ descriptors: [{ key: 'generic_key', value: 'counter', rateLimit: limit(1) }] });
  const first = await ask([e('generic_key', 'counter')]);
  assert.equal(first.code, 'OK');
  assert.deepEqual(first.statuses[0], { code: 'OK', limit: limit(1), remaining: 0, resetSeconds: 30 });
  const second = await ask([e('generic_key', 'counter')]);
  assert.equal(second.code, 'OVER_LIMIT');
  assert.equal(second.retryAfterSeconds, 30);
  assert.deepEqual([...counter.counts.keys()], ['d_generic_key_counter_1699999980']);
  assert.equal(counter.ttls.get('d_generic_key_counter_1699999980'), 60);
  advance(30_000); // the next minute: a new window
  assert.equal((await ask([e('generic_key', 'counter')])).code, 'OK');
});

test('units: second, hour and day windows start on their boundaries', async () => {
  const { ask, counter } = setup({
    descriptors: [
      { key: 's', rateLimit: limit(5, 'second') },
      { key: 'h', rateLimit: limit(5, 'hour') },
      { key: 'd', rateLimit: limit(5, 'day') },
    ],
  });
  await ask([e('s', 'x')], [e('h', 'x')], [e('d', 'x')]);
  assert.deepEqual([...counter.counts.keys()].sort(), ['d_d_x_1699920000', 'd_h_x_1699999200', 'd_s_x_1700000010']);
});

test('matching: a value wins over a key-only node; the limit is the last entry’s; nested descriptors', async () => {
  const { ask } = setup({
    descriptors: [
      {
        key: 'remote_address',
        descriptors: [{ key: 'path', value: '/slow', rateLimit: limit(1) }],
      },
      { key: 'user', rateLimit: limit(2) },
      { key: 'user', value: 'vip', rateLimit: limit(100) },
    ],
  });
  assert.equal((await ask([e('remote_address', '1.2.3.4')])).statuses[0]?.limit, undefined, 'no limit on the parent alone');
  await ask([e('remote_address', '1.2.3.4'), e('path', '/slow')]);
  assert.equal((await ask([e('remote_address', '1.2.3.4'), e('path', '/slow')])).code, 'OVER_LIMIT');
  assert.equal((await ask([e('remote_address', '5.6.7.8'), e('path', '/slow')])).code, 'OK', 'each address has its own counter');
  assert.equal((await ask([e('user', 'vip')])).statuses[0]?.remaining, 99);
  assert.equal((await ask([e('user', 'x'), e('extra', 'y')])).statuses[0]?.limit, undefined, 'more entries than the tree: no limit');
});

test('set-style: entries in any order; the first matching rule and every alwaysApply rule', async () => {
  const { ask, counter } = setup({
    descriptors: [
      {
        key: 'portico.set',
        value: 'x',
        setDescriptors: [
          { simpleDescriptors: [{ key: 'type', value: 'messenger' }, { key: 'number' }], rateLimit: limit(1) },
          { simpleDescriptors: [{ key: 'type' }], rateLimit: limit(10) },
          { simpleDescriptors: [{ key: 'number' }], rateLimit: limit(3), alwaysApply: true },
        ],
      },
    ],
  });
  const first = await ask([e('portico.set', 'x'), e('number', '411'), e('type', 'messenger')]);
  assert.equal(first.code, 'OK');
  assert.deepEqual([...counter.counts.keys()].map((k) => k.replace(/_\d+$/, '')).sort(), [
    'd_portico.set_x_set0_type_messenger_number_411',
    'd_portico.set_x_set2_number_411',
  ]);
  assert.equal((await ask([e('portico.set', 'x'), e('type', 'messenger'), e('number', '411')])).code, 'OVER_LIMIT');
  assert.equal((await ask([e('portico.set', 'x'), e('type', 'whatsapp')])).statuses[0]?.limit?.requestsPerUnit, 10);
});

test('weights: only the highest-weight rules count (and alwaysApply ones); the others are not even counted', async () => {
  const { ask, counter } = setup({
    descriptors: [
      { key: 'a', rateLimit: limit(1), weight: 1 },
      { key: 'b', rateLimit: limit(1) },
      { key: 'c', rateLimit: limit(1), alwaysApply: true },
    ],
  });
  await ask([e('a', '1')], [e('b', '1')], [e('c', '1')]);
  assert.deepEqual([...counter.counts.keys()].map((k) => k.replace(/_\d+$/, '')).sort(), ['d_a_1', 'd_c_1']);
});

test('shadow mode counts and reports but never denies, and stays out of the local cache', async () => {
  const { ask, limiter, counter } = setup({ descriptors: [{ key: 'k', rateLimit: limit(1), shadowMode: true }] });
  for (let i = 0; i < 3; i++) assert.equal((await ask([e('k', 'v')])).code, 'OK');
  assert.equal(limiter.stats.shadowOverLimit, 2);
  assert.equal(counter.calls, 3);
});

test('the local cache answers keys over the limit without the counter until the window ends', async () => {
  const { ask, counter, limiter, advance } = setup({ descriptors: [{ key: 'k', rateLimit: limit(1, 'second') }] });
  await ask([e('k', 'v')]);
  await ask([e('k', 'v')]);
  assert.equal((await ask([e('k', 'v')])).code, 'OVER_LIMIT');
  assert.equal(counter.calls, 2);
  assert.equal(limiter.stats.cacheHits, 1);
  advance(1000);
  assert.equal((await ask([e('k', 'v')])).code, 'OK');
});

test('a new configuration empties the local cache: a limit raised mid-window applies at once', async () => {
  const { ask, limiter } = setup({ descriptors: [{ key: 'k', rateLimit: limit(1, 'hour') }] });
  await ask([e('k', 'v')]);
  assert.equal((await ask([e('k', 'v')])).code, 'OVER_LIMIT');
  limiter.configure([new DomainMatcher({ domain: 'd', descriptors: [{ key: 'k', rateLimit: limit(10, 'hour') }] })]);
  assert.equal((await ask([e('k', 'v')])).code, 'OK');
  assert.equal(limiter.stats.cacheHits, 0);
});

test('hits_addend counts that many requests; unknown domain: no limits', async () => {
  const { limiter } = setup({ descriptors: [{ key: 'k', rateLimit: limit(10) }] });
  const d = await limiter.decide({ domain: 'd', hitsAddend: 4, descriptors: [{ entries: [e('k', 'v')] }] });
  assert.deepEqual(d.statuses.map((s) => [s.code, s.remaining]), [['OK', 6]]);
  assert.equal((await limiter.decide({ domain: 'd', hitsAddend: 7, descriptors: [{ entries: [e('k', 'v')] }] })).code, 'OVER_LIMIT');
  assert.equal((await limiter.decide({ domain: 'other', descriptors: [{ entries: [e('k', 'v')] }] })).code, 'OK');
});
