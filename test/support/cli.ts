// bin/portico as a user runs it: its path, the environment to run it in, a run to completion, and a real Envoy
// bootstrapped by `portico bootstrap`.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, type ProcessHandle } from './components.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PORTICO = join(ROOT, 'bin', 'portico');

/**
 * This process's environment without PORTICO_* settings that would change what is tested (the cache location
 * stays), with PORTICO_NODE = the Node.js running the tests (22.18+), and `extra` on top.
 */
export function porticoEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PORTICO_') || k === 'PORTICO_CACHE') env[k] = v;
  return { ...env, PORTICO_NODE: process.execPath, ...extra };
}

/** `bin/portico args`, run to completion from the repository's root. */
export function portico(args: string[], extraEnv: Record<string, string> = {}): SpawnSyncReturns<string> {
  const res = spawnSync(PORTICO, args, { cwd: ROOT, env: porticoEnv(extraEnv), encoding: 'utf8', timeout: 60_000 });
  if (res.error) throw res.error;
  return res;
}

/** A finished run, for assertion messages. */
export function show(res: SpawnSyncReturns<string>): string {
  return `exit ${res.status}${res.signal ? ` (${res.signal})` : ''}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`;
}

export interface RunningEnvoy {
  proc: ProcessHandle;
  admin: (path: string) => Promise<string>;
  /** Envoy's clusters by name (/clusters?format=json). */
  clusters: () => Promise<string[]>;
  stat: (name: string) => Promise<number>;
}

/** A real Envoy for `gateway`, its bootstrap written by `portico bootstrap … bootstrapArgs` into `dir`. */
export async function startBootstrappedEnvoy(t: TestContext, envoy: string, dir: string, name: string, bootstrapArgs: string[], gateway = 'default/gw'): Promise<RunningEnvoy> {
  const adminPort = await freePort();
  const res = portico(['bootstrap', '--gateway', gateway, '--node-id', `${gateway}/${name}`, '--admin-port', String(adminPort), ...bootstrapArgs]);
  assert.equal(res.status, 0, show(res));
  const config = join(dir, `${name}.yaml`);
  await writeFile(config, res.stdout, { mode: 0o600 });
  const admin = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${adminPort}${path}`);
    if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
    return r.text();
  };
  const proc = await startProcess(envoy, ['-c', config, '--disable-hot-restart', '--log-level', 'warn', '--drain-time-s', '1'], {
    name: `envoy ${name}`,
    cwd: dir,
    readyWhen: async () => (await admin('/server_info')).length > 0, // up, not LIVE: without config it never initializes
  });
  t.after(() => proc.stop());
  const clusters = async () => {
    const body = JSON.parse(await admin('/clusters?format=json')) as { cluster_statuses?: { name: string }[] };
    return (body.cluster_statuses ?? []).map((c) => c.name);
  };
  const stat = async (stat: string) => {
    const text = await admin(`/stats?filter=${encodeURIComponent(`^${stat.replace(/\./g, '\\.')}$`)}`);
    const m = /: (\d+)\s*$/m.exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { proc, admin, clusters, stat };
}
