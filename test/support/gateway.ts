// End-to-end harness: the Portico controller (in-process) on a temp config folder, named echo backends,
// and a real Envoy bootstrapped for the Gateway. Everything on loopback with random ports, stopped in t.after().
// Resource YAML may use ${PORT} (the Gateway's listener port), ${<name>} for each extra port asked for, and
// ${<backend name>} (that backend's port).
import { mkdtemp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { Controller, type ControllerOptions } from '../../src/app/controller.ts';
import { startEnvoy, type EnvoyHandle } from '../../src/app/envoy.ts';
import { startEcho, type EchoServer } from '../../src/echo/server.ts';
import { findBinary } from '../../src/lib/binaries.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { statusPath } from '../../src/status/file-writer.ts';
import { parse } from 'yaml';
import { freePorts, waitFor } from './components.ts';
import { fill } from './fixtures.ts';
import { httpRequest, type HttpOptions, type HttpResult } from './http.ts';

export interface GatewayEnv {
  configDir: string;
  port: number;
  /** The extra ports asked for, by name. */
  ports: Record<string, number>;
  controller: Controller;
  envoy: EnvoyHandle;
  backends: Record<string, number>;
  write(file: string, yaml: string): Promise<void>;
  remove(file: string): Promise<void>;
  get(path: string, opts?: HttpOptions): Promise<HttpResult>;
  /** Polls until `check` holds for the answer to `path` (config reaching Envoy takes a moment). */
  until(path: string, check: (r: HttpResult) => boolean, opts?: HttpOptions & { timeoutMs?: number }): Promise<HttpResult>;
  /** The status file of a resource, e.g. status('gateway.networking.k8s.io/HTTPRoute/default/web'). */
  status(key: string): Promise<Record<string, unknown> | undefined>;
}

/**
 * Envoy run stricter than its defaults, which Portico's validation follows: a regex's RE2 program may be 20, not
 * 100. A regex between the two is accepted by Portico and refused by this Envoy (a real NACK for the tests of
 * Envoy's rejections).
 */
export const STRICT_REGEX_ENVOY = ['--config-yaml', JSON.stringify({ layered_runtime: { layers: [{ name: 'strict', static_layer: { 're2.max_program_size.error_level': 20 } }] } })];

export async function startGateway(
  t: TestContext,
  opts: { gateway?: string; backends?: string[]; ports?: string[]; files: Record<string, string>; controller?: Partial<ControllerOptions>; envoyArgs?: string[] },
): Promise<GatewayEnv> {
  const envoyBin = findBinary('envoy', "run 'scripts/setup.sh envoy' (or 'make test', which runs the whole set-up)");
  const configDir = await mkdtemp(join(tmpdir(), 'portico-e2e-'));
  const echoes: EchoServer[] = [];
  const backends: Record<string, number> = {};
  for (const name of opts.backends ?? ['echo']) {
    const echo = await startEcho({ name });
    echoes.push(echo);
    backends[name] = echo.port;
  }
  t.after(() => Promise.all(echoes.map((e) => e.close())));
  const [port = 0, ...extra] = await freePorts(1 + (opts.ports?.length ?? 0));
  const ports = Object.fromEntries((opts.ports ?? []).map((name, i) => [name, extra[i] as number]));
  const write = async (file: string, yaml: string) => {
    const path = join(configDir, file);
    await mkdir(dirname(path), { recursive: true });
    // Atomic replace, like an editor's save; the dot-named temp file is ignored by the file source.
    const tmp = join(dirname(path), `.${basename(path)}.tmp`);
    await writeFile(tmp, fill(yaml, { ...backends, ...ports, PORT: port }));
    await rename(tmp, path);
  };
  for (const [file, yaml] of Object.entries(opts.files)) await write(file, yaml);

  const controller = new Controller({ configDir, xdsAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0', logger: silentLogger, ...opts.controller });
  await controller.start();
  t.after(() => controller.stop());
  const envoy = await startEnvoy({ envoyBin, gateway: opts.gateway ?? 'default/gw', xdsHost: '127.0.0.1', xdsPort: controller.xdsPort, logger: silentLogger, ...(opts.envoyArgs && { extraArgs: opts.envoyArgs }) });
  t.after(() => envoy.stop());
  // Hooks run in the order they were added: the folder goes once nothing can write status files into it.
  t.after(() => rm(configDir, { recursive: true, force: true }));

  const get = (path: string, o?: HttpOptions) => httpRequest(port, path, o);
  const until = async (path: string, check: (r: HttpResult) => boolean, o: HttpOptions & { timeoutMs?: number } = {}) => {
    let last: HttpResult | undefined;
    await waitFor(async () => {
      last = await get(path, o).catch(() => undefined);
      return last !== undefined && check(last);
    }, { timeoutMs: o.timeoutMs ?? 10_000, intervalMs: 25, what: `GET ${path} (last answer: ${last?.status} ${last?.body.slice(0, 200)})` });
    return last as HttpResult;
  };
  const status = async (key: string) => {
    const text = await readFile(statusPath(controller.statusDir, key), 'utf8').catch(() => undefined);
    return text === undefined ? undefined : (parse(text) as Record<string, unknown>);
  };
  return { configDir, port, ports, controller, envoy, backends, write, remove: (f) => rm(join(configDir, f), { force: true }), get, until, status };
}

/**
 * How many requests with `key` a backend has seen, asked of the backend directly (not through Envoy), once it
 * has seen at least `atLeast`: mirrored copies travel beside the primary request and may land after its answer,
 * so the question waits for them instead of sleeping. Each question is itself a request with that key and is
 * subtracted; ask about a key in one call only.
 */
export async function attemptsSeen(gw: GatewayEnv, name: string, key: string, atLeast = 1): Promise<number> {
  let asked = 0;
  let seen = 0;
  await waitFor(async () => {
    const r = await httpRequest(gw.backends[name] as number, `/?key=${key}`);
    asked++;
    seen = Number(r.json?.attempt) - asked;
    return seen >= atLeast;
  }, { timeoutMs: 10_000, intervalMs: 25, what: () => `${name} to see ${atLeast} request(s) with key ${key} (seen ${seen})` });
  return seen;
}

/** The answers to `total` requests to `path`, by backend name (or status when there is none), sent 25 at a time. */
export async function countBackends(gw: GatewayEnv, path: string, total: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < total; i += 25) {
    const batch = await Promise.all(Array.from({ length: Math.min(25, total - i) }, () => gw.get(path)));
    for (const r of batch) counts[String(r.json?.backend ?? r.status)] = (counts[String(r.json?.backend ?? r.status)] ?? 0) + 1;
  }
  return counts;
}
