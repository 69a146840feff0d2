// Propagation benchmark: file write → a real Envoy serving the new route (404 → 200), over N edits with
// R HTTPRoutes loaded — and, as the peer in the same run, the floor Envoy itself sets: the same config
// changes pushed straight into the xDS cache, already translated (no file, no store, no translation).
// Run: . scripts/env.sh && node bench/propagation.ts [routes=1000] [edits=100]
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Resource } from '../src/api/resource.ts';
import { Controller } from '../src/app/controller.ts';
import { startEnvoy, type EnvoyHandle } from '../src/app/envoy.ts';
import { runPipeline } from '../src/app/pipeline.ts';
import { startEcho } from '../src/echo/server.ts';
import { findBinary } from '../src/lib/binaries.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { SnapshotCache } from '../src/xds/cache/snapshot-cache.ts';
import { AdsServer } from '../src/xds/server/ads.ts';
import { freePort } from '../test/support/components.ts';
import { httpRequest } from '../test/support/http.ts';
import { syntheticResources, syntheticRoute, toDocument } from './generate.ts';

const routes = Number(process.argv[2] ?? 1000);
const edits = Number(process.argv[3] ?? 100);
const envoyBin = findBinary('envoy');
const echo = await startEcho({ name: 'echo' });
const probeHeaders = { host: 'host-0.example.com', headers: { 'x-tenant': 't0' } };

/** The probe route of edit i; an index that is a multiple of 140 (7 × 20) gives the host and `x-tenant: t0` the probe sends. */
function probe(i: number): Resource {
  return { ...syntheticRoute(140 * (routes + i), `/probe-${i}`), metadata: { name: 'probe', namespace: 'default' } };
}

async function measure(port: number, edit: (i: number) => Promise<void>): Promise<number[]> {
  await until(port, '/svc-0', 30_000);
  const latencies: number[] = [];
  for (let i = 0; i < edits; i++) {
    const started = performance.now();
    await edit(i);
    await until(port, `/probe-${i}`, 5000);
    latencies.push(performance.now() - started);
  }
  return latencies.sort((a, b) => a - b);
}

async function portico(): Promise<number[]> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'portico-bench-'));
  const base = syntheticResources(routes, { port, upstreamPort: echo.port });
  await writeFile(join(dir, 'all.yaml'), base.map((r) => stringify(toDocument(r))).join('---\n'));
  const controller = new Controller({ configDir: dir, xdsAddress: '127.0.0.1:0', adminAddress: 'off', logger: silentLogger });
  await controller.start();
  const envoy = await startEnvoy({ envoyBin, gateway: 'default/gw', xdsHost: '127.0.0.1', xdsPort: controller.xdsPort, logger: silentLogger });
  try {
    return await measure(port, async (i) => {
      await writeFile(join(dir, '.probe.tmp'), stringify(toDocument(probe(i))));
      await rename(join(dir, '.probe.tmp'), join(dir, 'probe.yaml'));
    });
  } finally {
    await stopAll(envoy, () => controller.stop());
    await rm(dir, { recursive: true, force: true });
  }
}

async function envoyAlone(): Promise<number[]> {
  const port = await freePort();
  const base = syntheticResources(routes, { port, upstreamPort: echo.port });
  const translated = Array.from({ length: edits }, (_, i) => runPipeline([...base, probe(i)], []).xds.get('default/gw') ?? {});
  const cache = new SnapshotCache();
  cache.set('default/gw', runPipeline(base, []).xds.get('default/gw') ?? {});
  const ads = new AdsServer({ cache, logger: silentLogger });
  const envoy = await startEnvoy({ envoyBin, gateway: 'default/gw', xdsHost: '127.0.0.1', xdsPort: await ads.listen(), logger: silentLogger });
  try {
    return await measure(port, async (i) => void cache.set('default/gw', translated[i] ?? {}));
  } finally {
    await stopAll(envoy, () => ads.close());
  }
}

async function stopAll(envoy: EnvoyHandle, stop: () => Promise<void>): Promise<void> {
  await envoy.stop();
  await stop();
}

async function until(port: number, path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await httpRequest(port, path, probeHeaders).catch(() => undefined);
    if (r?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  throw new Error(`${path} did not answer 200 within ${timeoutMs} ms`);
}

const pct = (sorted: number[], p: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN);
const ours = await portico();
const floor = await envoyAlone();
await echo.close();
console.log(
  JSON.stringify({
    routes,
    edits,
    portico: { p50Ms: pct(ours, 50), p99Ms: pct(ours, 99) },
    envoyAlone: { p50Ms: pct(floor, 50), p99Ms: pct(floor, 99) },
    ratioP99: Number((pct(ours, 99) / pct(floor, 99)).toFixed(2)),
    targetP99Ms: 200,
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  }),
);
