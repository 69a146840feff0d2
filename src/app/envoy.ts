// Runs a real Envoy for one Gateway, bootstrapped to fetch everything from the controller over ADS.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { PorticoError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { renderBootstrap } from '../xds/translator/bootstrap.ts';

export interface EnvoyOptions {
  envoyBin: string;
  gateway: string;
  xdsHost: string;
  xdsPort: number;
  logger: Logger;
  /** Envoy's own log level (default warning). */
  logLevel?: string;
  /** Where Envoy's access log / stdout goes; default: discarded. */
  stdout?: 'inherit' | 'ignore';
  /** More command-line arguments, e.g. `--config-yaml` to run an Envoy stricter than its defaults (tests). */
  extraArgs?: readonly string[];
}

export interface EnvoyHandle {
  adminPort: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startEnvoy(o: EnvoyOptions): Promise<EnvoyHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-envoy-'));
  const nodeId = `${o.gateway}/${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const bootstrapPath = join(dir, 'bootstrap.yaml');
  await writeFile(bootstrapPath, stringify(renderBootstrap({ gateway: o.gateway, nodeId, xds: [{ host: o.xdsHost, port: o.xdsPort }], adminPort: 0 })));
  const adminPath = join(dir, 'admin-address');
  const child = spawn(
    o.envoyBin,
    ['-c', bootstrapPath, '--admin-address-path', adminPath, '--disable-hot-restart', '--log-level', o.logLevel ?? 'warning', '--drain-time-s', '1', ...(o.extraArgs ?? [])],
    { stdio: ['ignore', o.stdout ?? 'ignore', 'pipe'] },
  );
  const log = o.logger.child({ envoy: nodeId });
  let stderrTail = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString()).slice(-4000);
    for (const line of d.toString().split('\n').filter(Boolean)) log.warn(line);
  });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000).then(() => child.kill('SIGKILL'))]);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const adminPort = await waitForAdmin(adminPath, child, () => stderrTail);
    log.info({ adminPort, gateway: o.gateway }, 'envoy started');
    return { adminPort, process: child, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitForAdmin(path: string, child: ChildProcess, tail: () => string): Promise<number> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new PorticoError('PORTICO_IO', `envoy exited with code ${child.exitCode}: ${tail()}`);
    const text = await readFile(path, 'utf8').catch(() => '');
    const port = Number(text.trim().split(':').pop());
    if (port > 0) return port;
    await sleep(50);
  }
  throw new PorticoError('PORTICO_IO', `envoy did not open its admin port within 15 s: ${tail()}`);
}
