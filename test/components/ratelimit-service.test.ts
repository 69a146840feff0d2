// `portico ratelimit`'s service against a real Redis, called as Envoy calls it: limits from an envoyproxy/
// ratelimit config file, two replicas sharing one Redis counting as one, exact counts under concurrency, and
// a Redis outage (fail open, counted and reported on the admin endpoint; limits again once Redis is back,
// without a restart of the service).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/lib/logger.ts';
import { startRateLimitService } from '../../src/ratelimit/service.ts';
import { tempDir, waitFor } from '../support/components.ts';
import { startRedis } from '../support/redis.ts';
import { OK, OVER_LIMIT, rlsClient, type RlsClient } from '../support/rls-client.ts';

const CONFIG = `
domain: test
descriptors:
  - key: generic_key
    value: ten
    rate_limit: { unit: hour, requests_per_unit: 10 }
  - key: generic_key
    value: outage
    rate_limit: { unit: hour, requests_per_unit: 5 }
  - key: generic_key
    value: hundred
    rate_limit: { unit: hour, requests_per_unit: 100 }
`;

test('rate-limit service on Redis', { timeout: 60_000 }, async (t) => {
  const redis = await startRedis(t);
  const dir = await tempDir('rls', t);
  const configFile = join(dir, 'limits.yaml');
  await writeFile(configFile, CONFIG);
  const start = async (listen: string, adminAddress?: string) => {
    const service = await startRateLimitService({ listen, redisUrl: redis.url, configFile, ...(adminAddress && { adminAddress }), logger: silentLogger });
    t.after(() => service.close());
    return service;
  };
  const a = await start('127.0.0.1:0', '127.0.0.1:0');
  await start(`unix:${join(dir, 'rls.sock')}`);
  const one = rlsClient(`127.0.0.1:${a.port}`);
  const two = rlsClient(`unix:${join(dir, 'rls.sock')}`);
  t.after(() => (one.close(), two.close()));
  const admin = async (path: string) => (await fetch(`http://127.0.0.1:${a.adminPort}${path}`)).text();
  const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await admin('/metrics'))?.[1]);

  await t.test('two replicas sharing one Redis count as one (TCP and Unix socket)', async () => {
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push((await (i % 2 ? one : two).askKeys('test', ['generic_key', 'ten'])).overall_code);
    assert.deepEqual(answers, [...Array(10).fill(OK), OVER_LIMIT, OVER_LIMIT]);
  });

  await t.test('exact under concurrency: 300 calls at once against a limit of 100', async () => {
    const all = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? one : two).askKeys('test', ['generic_key', 'hundred'])));
    assert.equal(all.filter((d) => d.overall_code === OK).length, 100);
    const [key] = (await redis.cli('KEYS', 'test_generic_key_hundred_*')).split('\n');
    assert.equal(await redis.cli('GET', key as string), '300');
    assert.ok(Number(await redis.cli('TTL', key as string)) > 3500, 'the key expires with its window');
  });

  await t.test('Redis down: fails open; back: limits again, each replica reconnected by itself', async () => {
    const ask = (client: RlsClient) => client.askKeys('test', ['generic_key', 'outage']);
    await redis.stop();
    for (let i = 0; i < 8; i++) assert.equal((await ask(one)).overall_code, OK, 'fail open while Redis is down');
    assert.equal(await metric('portico_ratelimit_failed_open_total'), 8);
    assert.equal(await metric('portico_ratelimit_redis_up'), 0);
    assert.match(await admin('/healthz'), /"degraded": \[\s*"redis"/);
    await redis.start();
    // Fail-open answers are OK too: a replica is back once its call moves the counter in the restarted Redis.
    const count = async () => Number(await redis.cli('GET', (await redis.cli('KEYS', 'test_generic_key_outage_*')).split('\n')[0] || 'none')) || 0;
    const counts = async (client: RlsClient) => {
      const before = await count();
      await ask(client);
      return (await count()) > before;
    };
    for (const client of [one, two]) await waitFor(() => counts(client), { timeoutMs: 15_000, what: 'the replica to count in Redis again' });
    const allowed = 5 - (await count());
    const after = [];
    for (let i = 0; i < 6; i++) after.push((await ask(i % 2 ? one : two)).overall_code);
    assert.deepEqual(after, [...Array(allowed).fill(OK), ...Array(6 - allowed).fill(OVER_LIMIT)]);
    assert.equal(await metric('portico_ratelimit_redis_up'), 1);
  });
});
