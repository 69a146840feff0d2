// A redis-server on a free loopback port with a temp dir and no persistence, for component and end-to-end
// tests; it can be stopped and started again on the same port (Redis outages under traffic).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, requireBinary, startProcess, tempDir, type AfterHook, type ProcessHandle } from './components.ts';

const run = promisify(execFile);

export interface RedisHandle {
  port: number;
  url: string;
  /** redis-cli against it; resolves to its trimmed output. */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was persisted). */
  start(): Promise<void>;
}

export async function startRedis(t: AfterHook): Promise<RedisHandle> {
  const server = requireBinary('redis-server');
  const cliBin = requireBinary('redis-cli');
  const dir = await tempDir('redis', t);
  const port = await freePort();
  const cli = async (...args: string[]) => (await run(cliBin, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 })).stdout.trim();
  // No RDB snapshots, no AOF: nothing outlives the test but the temp dir, which goes too.
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes'];
  let proc: ProcessHandle | undefined;
  const start = async () => {
    proc = await startProcess(server, args, { cwd: dir, timeoutMs: 15_000, readyWhen: async () => (await cli('PING')) === 'PONG' });
  };
  const stop = async () => {
    await proc?.stop();
    proc = undefined;
  };
  await start();
  t.after(stop);
  return { port, url: `redis://127.0.0.1:${port}`, cli, stop, start };
}
