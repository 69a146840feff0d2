// The password cache and the bcrypt pool: successes only, least recently used out, wrong passwords never
// remembered; bcrypt off the event loop; a full queue answered at once (503) rather than queued for ever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { basicAuthStep } from './basic-auth.ts';
import { BcryptPool, QUEUE_MAX } from './bcrypt-pool.ts';
import { SuccessCache, successes, verifyPassword } from './passwords.ts';

const sha = (password: string) => `{SHA}${createHash('sha1').update(password).digest('base64')}`;

test('success cache: bounded, the least recently used goes first', () => {
  const cache = new SuccessCache(3);
  for (const k of ['a', 'b', 'c']) cache.add(k);
  assert.equal(cache.hit('a'), true);
  cache.add('d');
  assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => cache.hit(k)), [true, false, true, true]);
  assert.equal(cache.size, 3);
});

test('only successes are cached: wrong passwords neither grow the cache nor evict a good entry', async () => {
  const hash = sha('right');
  assert.equal(await verifyPassword('right', hash), true);
  const size = successes.size;
  for (let i = 0; i < 200; i++) assert.equal(await verifyPassword(`wrong ${i}`, hash), false);
  assert.equal(successes.size, size);
  assert.equal(await verifyPassword('right', hash), true);
  assert.equal(successes.size, size, 'a hit adds nothing');
  assert.equal(await verifyPassword('right', sha('rotated')), false, 'a changed hash never matches an old success');
});

test('wrong bcrypt passwords are checked off the event loop: a 5 ms timer keeps firing meanwhile', async () => {
  const hash = bcrypt.hashSync('right', 10);
  await verifyPassword('warm-up', hash); // starts the workers
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => verifyPassword(`wrong ${i}`, hash)));
  const elapsed = performance.now() - started;
  clearInterval(timer);
  assert.deepEqual(new Set(results), new Set([false]));
  // In the loop (bcryptjs's async compare: chunks of up to 100 ms) the timer would fire about once per check.
  assert.ok(ticks >= (elapsed / 5) * 0.3, `${ticks} ticks in ${Math.round(elapsed)} ms`);
});

test('past the queue bound a basic-auth check is answered 503 at once; the queued ones are still checked', async () => {
  const step = basicAuthStep({ realm: 'r', users: [{ user: 'u', hash: bcrypt.hashSync('right', 4) }] });
  const header = { authorization: `Basic ${Buffer.from('u:wrong').toString('base64')}` };
  const decisions = await Promise.all(Array.from({ length: QUEUE_MAX + 20 }, () => step({ headers: header, path: '/', method: 'GET', raw: new Uint8Array() })));
  const statuses = decisions.map((d) => (d.allow ? 200 : d.status));
  assert.ok(statuses.includes(503) && statuses.includes(401) && !statuses.includes(200), JSON.stringify([...new Set(statuses)]));
  assert.ok(statuses.filter((s) => s === 503).length <= 20);
});

test('bcrypt workers that cannot start: checks still answer, in the event loop, with a warning', async () => {
  const warned = new Promise<Error>((r) => process.once('warning', r));
  const pool = new BcryptPool(new URL('./no-such-worker.ts', import.meta.url));
  const hash = bcrypt.hashSync('right', 4);
  assert.deepEqual(await Promise.all([pool.compare('right', hash), pool.compare('wrong', hash)]), [true, false]);
  assert.match((await warned).message, /bcrypt worker threads cannot start/);
  assert.equal(await pool.compare('right', hash), true);
});
