// Smoke test: the redis-server scripts/setup.sh linked starts on a free loopback port with a temp dir
// and no persistence, answers PING and SET/GET through redis-cli, and stops.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, requireBinary, startProcess, tempDir } from '../support/components.ts';

const run = promisify(execFile);

test('redis: starts on a random port, PING and SET/GET through redis-cli', { timeout: 30_000 }, async (t) => {
  const server = requireBinary('redis-server');
  const cli = requireBinary('redis-cli');
  const dir = await tempDir('redis-smoke', t);
  const port = await freePort();
  const redis = async (...args: string[]) => (await run(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 })).stdout.trim();

  // No RDB snapshots, no AOF: nothing outlives the test but the temp dir, which goes too.
  const proc = await startProcess(
    server,
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes'],
    { cwd: dir, timeoutMs: 15_000, readyWhen: async () => (await redis('PING')) === 'PONG' },
  );
  t.after(() => proc.stop());

  assert.equal(await redis('PING'), 'PONG');
  assert.equal(await redis('SET', 'portico:smoke', 'ok'), 'OK');
  assert.equal(await redis('GET', 'portico:smoke'), 'ok');
  assert.match(await redis('INFO', 'server'), /redis_version:[7-9]\./);
  proc.assertRunning();
});
