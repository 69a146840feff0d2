// Discovery benchmark: a Consul catalog of S services × I instances (registered in a real dev agent through
// /v1/txn, 64 operations a call), HTTPRoutes using U of the services (Service backendRefs), the controller run
// as its own process (`portico controller --discovery consul`) and a real Envoy. Measured over F health flips
// (an instance's check critical, then passing again):
//   - propagation: the flip → Envoy's EDS for that cluster showing the change (polled on Envoy's admin API);
//   - the floor, in the same run: Consul's own /v1/health/service blocking query waking up for the same flip
//     (what any watcher has to wait for before it can act);
//   - the controller's CPU (idle with U blocking queries open, and during the flips) and RSS, from /proc.
// Run: . scripts/env.sh && node bench/discovery.ts [services=5000] [instances=10] [used=1000] [flips=50]
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEnvoy } from '../src/app/envoy.ts';
import { findBinary } from '../src/lib/binaries.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { freePorts, startProcess, waitFor } from '../test/support/components.ts';
import { startConsul } from '../test/support/consul.ts';
import { gatewayWith } from '../test/support/fixtures.ts';

const [services = 5000, instances = 10, used = 1000, flips = 50] = process.argv.slice(2).map(Number);
const cleanups: (() => unknown)[] = [];
const t = { after: (fn: () => unknown) => void cleanups.push(fn) };
const NODES = 250;
const clusterOf = (s: number) => `service/default/svc-${s}/8080`;
const instanceAddress = (s: number, i: number) => `10.${(s >> 8) & 255}.${s & 255}.${i + 1}`;

type TxnOp = Record<string, unknown>;

async function txn(api: string, ops: TxnOp[]): Promise<void> {
  const res = await fetch(`${api}/v1/txn`, { method: 'PUT', body: JSON.stringify(ops) });
  if (!res.ok) throw new Error(`/v1/txn: ${res.status} ${await res.text()}`);
}

const checkOp = (s: number, i: number, status: 'passing' | 'critical'): TxnOp => ({
  Check: { Verb: 'set', Check: { Node: `node-${(s * instances + i) % NODES}`, CheckID: `svc-${s}-${i}`, Name: 'bench', Status: status, ServiceID: `svc-${s}-${i}` } },
});

/** Nodes, then every instance with a passing check, 64 operations per transaction, a few transactions at once. */
async function register(api: string): Promise<number> {
  const started = performance.now();
  const nodes: TxnOp[] = Array.from({ length: NODES }, (_, n) => ({ Node: { Verb: 'set', Node: { Node: `node-${n}`, Address: `10.255.${n >> 8}.${n & 255}` } } }));
  const ops: TxnOp[] = [];
  for (let s = 0; s < services; s++) {
    for (let i = 0; i < instances; i++) {
      const node = `node-${(s * instances + i) % NODES}`;
      ops.push({ Service: { Verb: 'set', Node: node, Service: { ID: `svc-${s}-${i}`, Service: `svc-${s}`, Address: instanceAddress(s, i), Port: 8080 } } }, checkOp(s, i, 'passing'));
    }
  }
  const batches: TxnOp[][] = [];
  for (const list of [nodes, ops]) for (let k = 0; k < list.length; k += 64) batches.push(list.slice(k, k + 64));
  await txn(api, batches.shift() ?? []); // nodes first: services need them
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < batches.length) await txn(api, batches[next++] as TxnOp[]);
  }));
  return performance.now() - started;
}

function routesYaml(port: number): string {
  const head = gatewayWith(`    - { name: http, protocol: HTTP, port: ${port} }`);
  const routes = Array.from({ length: used }, (_, s) => `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r-${s}, namespace: default }
spec:
  parentRefs: [{ name: gw }]
  rules: [{ matches: [{ path: { value: /svc-${s} } }], backendRefs: [{ name: svc-${s}, port: 8080 }] }]
`);
  return head + routes.join('');
}

/** Envoy's hosts of a cluster as served by EDS (config dump of that one ClusterLoadAssignment). */
async function edsHosts(adminPort: number, s: number): Promise<number> {
  const url = `http://127.0.0.1:${adminPort}/config_dump?include_eds&resource=dynamic_endpoint_configs&name_regex=${encodeURIComponent(`^${clusterOf(s)}$`)}`;
  const body = (await (await fetch(url)).json()) as { configs?: { endpoint_config?: { endpoints?: { lb_endpoints?: unknown[] }[] } }[] };
  return (body.configs?.[0]?.endpoint_config?.endpoints ?? []).reduce((n, l) => n + (l.lb_endpoints?.length ?? 0), 0);
}

/** utime+stime (ms) and RSS (MB) of a process, from /proc. */
function usage(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuMs: (ticks * 1000) / 100, rssMb: Math.round(Number(rss?.[1] ?? 0) / 1024) };
}

/** Waits for the next change of a service's passing instances, as a plain Consul watcher would. */
async function consulWake(api: string, s: number, index: string, started: () => number): Promise<number> {
  await fetch(`${api}/v1/health/service/svc-${s}?passing&index=${index}&wait=60s`);
  return performance.now() - started();
}

async function flip(api: string, adminPort: number, s: number, status: 'passing' | 'critical', expect: number): Promise<{ portico: number; consul: number }> {
  const head = await fetch(`${api}/v1/health/service/svc-${s}?passing`);
  const index = head.headers.get('x-consul-index') ?? '0';
  let at = 0;
  const woke = consulWake(api, s, index, () => at);
  await new Promise((r) => setTimeout(r, 20)); // the floor's query is parked in Consul before the flip
  at = performance.now();
  await txn(api, [checkOp(s, 0, status)]);
  while ((await edsHosts(adminPort, s)) !== expect) await new Promise((r) => setTimeout(r, 2));
  return { portico: performance.now() - at, consul: await woke };
}

const pct = (sorted: number[], p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN);
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50Ms: pct(s, 50), p99Ms: pct(s, 99), maxMs: Math.round(s.at(-1) ?? NaN) };
};

try {
  // Each watched service holds a connection for its blocking query: Consul's default limit (200 per client
  // address) must be raised above the services used, as docs/discovery.md says.
  const consul = await startConsul(t, { args: ['-log-level=error', '-hcl', `limits { http_max_conns_per_client = ${used + 200} }`] });
  const registerMs = await register(consul.api);
  const [port = 0, xdsPort = 0] = await freePorts(2);
  const dir = await mkdtemp(join(tmpdir(), 'portico-bench-discovery-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'all.yaml'), routesYaml(port));
  const controller = await startProcess(
    resolve(import.meta.dirname, '../bin/portico'),
    ['controller', '--config-dir', dir, '--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', 'off', '--discovery', 'consul', '--consul-address', consul.api, '--log-level', 'warn'],
    { name: 'portico controller' },
  );
  t.after(() => controller.stop());
  const envoy = await startEnvoy({ envoyBin: findBinary('envoy'), gateway: 'default/gw', xdsHost: '127.0.0.1', xdsPort, logger: silentLogger });
  t.after(() => envoy.stop());
  const loadStarted = performance.now();
  await waitFor(async () => (await edsHosts(envoy.adminPort, used - 1).catch(() => 0)) === instances, { timeoutMs: 300_000, intervalMs: 200, what: 'every cluster to have its endpoints' });
  const initialMs = performance.now() - loadStarted;

  await new Promise((r) => setTimeout(r, 5000)); // the last initial answers and start-up GC settle first
  const idle0 = usage(controller.pid);
  await new Promise((r) => setTimeout(r, 10_000));
  const idle1 = usage(controller.pid);
  const portico: number[] = [];
  const floor: number[] = [];
  for (let f = 0; f < flips; f++) {
    const s = (f * 7919) % used;
    for (const [status, expect] of [['critical', instances - 1], ['passing', instances]] as const) {
      const r = await flip(consul.api, envoy.adminPort, s, status, expect);
      portico.push(r.portico);
      floor.push(r.consul);
    }
  }
  const busy = usage(controller.pid);
  const ours = stats(portico);
  const consulFloor = stats(floor);
  console.log(
    JSON.stringify({
      services,
      instances: services * instances,
      usedServices: used,
      healthChanges: portico.length,
      registerMs: Math.round(registerMs),
      initialEndpointsMs: Math.round(initialMs),
      flipToEnvoyEds: ours,
      consulWakeFloor: consulFloor,
      ratioP50: Number((ours.p50Ms / Math.max(1, consulFloor.p50Ms)).toFixed(2)),
      ratioP99: Number((ours.p99Ms / Math.max(1, consulFloor.p99Ms)).toFixed(2)),
      controllerCpu: { idlePercent: Number(((idle1.cpuMs - idle0.cpuMs) / 100).toFixed(1)), msPerHealthChange: Math.round((busy.cpuMs - idle1.cpuMs) / portico.length) },
      controllerRssMb: busy.rssMb,
    }),
  );
} finally {
  for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch((err: unknown) => console.error(err));
}
