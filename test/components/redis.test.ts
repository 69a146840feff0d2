// Smoke test: the redis-server scripts/setup.sh linked starts on a free loopback port with a temp dir
// and no persistence, answers PING and SET/GET through redis-cli, and stops.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startRedis } from '../support/redis.ts';

test('redis: starts on a random port, PING and SET/GET through redis-cli', { timeout: 30_000 }, async (t) => {
  const redis = await startRedis(t);
  assert.equal(await redis.cli('PING'), 'PONG');
  assert.equal(await redis.cli('SET', 'portico:smoke', 'ok'), 'OK');
  assert.equal(await redis.cli('GET', 'portico:smoke'), 'ok');
  assert.match(await redis.cli('INFO', 'server'), /redis_version:[7-9]\./);
});
