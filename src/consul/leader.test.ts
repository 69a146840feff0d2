import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../lib/errors.ts';
import { silentLogger } from '../lib/logger.ts';
import type { ConsulConnection } from './client.ts';
import { LeaderElection, MIN_TTL_SECONDS, sessionTiming } from './leader.ts';

test('sessionTiming: Consul invalidates a session 2×its TTL after the last renewal, so it gets half the configured TTL', () => {
  for (const ttl of [MIN_TTL_SECONDS, 30, 3600]) {
    const { sessionTtlMs, renewEveryMs } = sessionTiming(ttl);
    assert.equal(2 * sessionTtlMs, ttl * 1000, `ttl ${ttl}: a dead leader's lock is freed within the configured TTL`);
    assert.ok(sessionTtlMs >= 10_000, "at least Consul's session_ttl_min");
    assert.ok(renewEveryMs * 3 <= sessionTtlMs, 'three renewals within the session TTL');
  }
});

test('LeaderElection: a TTL too short for Consul is refused with the setting named', () => {
  const consul = {} as ConsulConnection;
  assert.throws(() => new LeaderElection({ consul, key: 'k', ttlSeconds: 15, logger: silentLogger, onChange: () => {} }), (e: unknown) => e instanceof ConfigError && /leaderElection\.ttlSeconds 15: at least 20/.test(e.message));
});
