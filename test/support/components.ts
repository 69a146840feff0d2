// Helpers for tests that run the real components (Envoy, Consul, OpenBao, Nomad, Redis): find the binary
// scripts/setup.sh installed, pick free loopback ports, make temp dirs, start a process and wait until it
// is ready, stop it. A missing binary THROWS (the test fails, it never skips): the set-up installs them all.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findBinary } from '../../src/lib/binaries.ts';

export type ComponentBinary = 'envoy' | 'consul' | 'nomad' | 'bao' | 'redis-server' | 'redis-cli' | 'moto_server';

/** The scripts/setup.sh component that installs each binary. */
const SETUP_COMPONENT: Record<ComponentBinary, string> = {
  envoy: 'envoy',
  consul: 'consul',
  nomad: 'nomad',
  bao: 'openbao',
  'redis-server': 'redis',
  'redis-cli': 'redis',
  moto_server: 'moto',
};

/** The path of a component's binary (see findBinary: $PORTICO_<NAME>, the set-up cache, PATH). Throws when there is none. */
export function requireBinary(name: ComponentBinary): string {
  return findBinary(name, `run 'scripts/setup.sh ${SETUP_COMPONENT[name]}' (or 'make test', which runs the whole set-up)`);
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it; a tiny race with other processes remains). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** Several distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Something with an `after` hook: node:test's TestContext, or a suite. */
export interface AfterHook {
  after(fn: () => unknown): void;
}

/** A new empty directory under the OS temp dir, named portico-<prefix>-XXXXXX; removed after `t` when given. */
export async function tempDir(prefix: string, t?: AfterHook): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `portico-${prefix}-`));
  t?.after(() => rm(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is awaited, for the timeout message; a function is called at the timeout (it can say the last state). */
  what?: string | (() => string);
  /** Checked before each try: a message stops the wait at once with that error (e.g. "the process exited"). */
  abortIf?: () => string | undefined;
}

/**
 * Polls `predicate` until it returns true. A predicate that throws counts as "not yet" and its error is
 * quoted if the wait times out. Rejects after `timeoutMs` (default 10 s).
 */
export async function waitFor(predicate: () => boolean | Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const abort = opts.abortIf?.();
    if (abort !== undefined) throw new Error(abort);
    try {
      if (await predicate()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = typeof opts.what === 'function' ? opts.what() : (opts.what ?? 'a condition');
      const cause = lastError === undefined ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await sleep(Math.min(intervalMs, Math.max(1, deadline - Date.now())));
  }
}

/**
 * The Raft leader's address a Consul or Nomad agent reports at /v1/status/leader ("" until the dev server
 * has elected itself; throws while the HTTP API is not up).
 */
export async function raftLeader(httpApi: string): Promise<string> {
  const res = await fetch(`${httpApi}/v1/status/leader`);
  if (!res.ok) throw new Error(`${httpApi}/v1/status/leader answered ${res.status}`);
  return (await res.json()) as string;
}

export interface StartOptions {
  /** Added to (and overriding) this process's environment. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Resolves true once the process is ready (polled; throwing counts as not ready). Default: started. */
  readyWhen?: () => boolean | Promise<boolean>;
  /** How long readiness may take (default 30 s). */
  timeoutMs?: number;
  intervalMs?: number;
  /** SIGTERM → SIGKILL grace on stop (default 5 s). */
  graceMs?: number;
  /** Name used in messages (default: the binary's file name). */
  name?: string;
}

export interface ProcessHandle {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The last few KB of its stdout and stderr, interleaved as they came. */
  output(): string;
  /** Why it is not running ("exited with code 1"), or undefined while it runs. */
  exitReason(): string | undefined;
  /** Throws (with the output tail) if the process is no longer running. */
  assertRunning(): void;
  /**
   * SIGTERM to its process group, SIGKILL after the grace period. Rejects if the process had already
   * exited on its own before stop() was called: a component dying under a test must fail it loudly.
   */
  stop(): Promise<void>;
}

const OUTPUT_TAIL = 8000;
const running = new Set<ChildProcess>();

// Should the test process end without stop() being called (a crash, a forgotten t.after), take the
// process groups we started with it rather than leave servers listening.
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // the whole group: components may fork helpers (Nomad's executors)
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Starts `bin args` in its own process group and waits until `readyWhen` holds. Rejects, with the output
 * tail, when it exits first, cannot be started, or is not ready within `timeoutMs` (it is killed then).
 */
export async function startProcess(bin: string, args: readonly string[], opts: StartOptions = {}): Promise<ProcessHandle> {
  const name = opts.name ?? bin.split('/').pop() ?? bin;
  const child = spawn(bin, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let reason: string | undefined;
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (err) => {
      reason ??= `could not be started: ${err.message}`;
      running.delete(child);
      resolve();
    });
    child.once('exit', (code, signal) => {
      reason ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
      running.delete(child);
      resolve();
    });
  });
  const describe = () => `${name} ${reason ?? 'is running'}; its output ends with:\n${tail.trimEnd() || '(nothing)'}`;

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const diedEarly = reason !== undefined && !stopping;
      stopping = true;
      if (reason === undefined) {
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), opts.graceMs ?? 5000);
        await exited;
        clearTimeout(timer);
      }
      // Helpers it forked may still hold ports: the group goes too.
      killGroup(child, 'SIGKILL');
      if (diedEarly) throw new Error(`${describe()}\n(it stopped before the test was done with it)`);
    })();
    return stopped;
  };

  const handle: ProcessHandle = {
    name,
    get pid() {
      return child.pid ?? -1;
    },
    child,
    output: () => tail,
    exitReason: () => reason,
    assertRunning: () => {
      if (reason !== undefined) throw new Error(describe());
    },
    stop,
  };

  try {
    await waitFor(opts.readyWhen ?? (() => child.pid !== undefined), {
      timeoutMs: opts.timeoutMs ?? 30_000,
      intervalMs: opts.intervalMs ?? 100,
      what: () => `${name} to be ready; ${describe()}`,
      abortIf: () => (reason === undefined ? undefined : `${describe()}\n(before it was ready)`),
    });
  } catch (err) {
    stopping = true;
    await stop().catch(() => undefined);
    throw err;
  }
  return handle;
}

export interface Restartable {
  process(): ProcessHandle;
  /** Stops it (a component outage under test); it is not stopped again at the end. */
  stop(): Promise<void>;
  /** Starts it again (stopping it first if it runs). */
  restart(): Promise<void>;
}

/** A component process a test can stop and start again; stopped at the end of the test if it runs then. */
export async function restartable(t: AfterHook, start: () => Promise<ProcessHandle>): Promise<Restartable> {
  let proc = await start();
  let stopped = false;
  t.after(() => (stopped ? undefined : proc.stop()));
  return {
    process: () => proc,
    stop: async () => {
      stopped = true;
      await proc.stop();
    },
    restart: async () => {
      if (!stopped) await proc.stop();
      proc = await start();
      stopped = false;
    },
  };
}
