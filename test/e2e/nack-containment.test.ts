// Containment of Envoy's rejections with a real Envoy, two tenants on one port and 1,000 routes: tenant A's
// route that passes validation but that Envoy refuses is withheld and says so in its own status, while tenant
// B's edits are served in the usual time, a newly started Envoy gets every route but A's bad one, and A's fix
// is served. Prints how long B's edit takes while A's route is being contained.
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDocuments } from '../../src/api/parse.ts';
import { runPipeline } from '../../src/app/pipeline.ts';
import { Controller } from '../../src/app/controller.ts';
import { startEnvoy } from '../../src/app/envoy.ts';
import { findBinary } from '../../src/lib/binaries.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { statusPath } from '../../src/status/file-writer.ts';
import { waitFor } from '../support/components.ts';
import { fill, GATEWAY, upstream } from '../support/fixtures.ts';
import { startGateway, STRICT_REGEX_ENVOY, type GatewayEnv } from '../support/gateway.ts';

const ROUTES = 1000;
const A_BAD = 'gateway.networking.k8s.io/HTTPRoute/a/bad';

function nsRoute(namespace: string, name: string, path: string, extra = ''): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  parentRefs: [{ name: gw, namespace: default }]
  rules:
    - matches: [{ path: { type: Exact, value: ${path} } }]
${extra}      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }]
`;
}

/**
 * Tenant A's route that Envoy refuses while Portico accepts it. Portico's validation follows Envoy's defaults
 * (a regex's RE2 program may be 100), and Envoy may be run stricter: here its runtime allows 20, so this regex
 * (program size 47) is refused by Envoy alone.
 */
const BAD = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: bad, namespace: a }
spec:
  parentRefs: [{ name: gw, namespace: default }]
  rules:
    - matches: [{ path: { type: RegularExpression, value: '/a/[a-z]{40}' } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }]
`;

function bulkRoutes(count = ROUTES): string {
  return Array.from({ length: count }, (_, i) => nsRoute('b', `r-${i}`, `/b/svc-${i}`)).join('---\n');
}

/** Portico accepts A's route: it parses, translates, is Accepted, with no problem. */
function assertPorticoAccepts(port: number): void {
  const base = parseDocuments(fill(`${GATEWAY}---\n${upstream('echo', 'a')}`, { PORT: port, echo: 1 }), { file: 'base.yaml' }).resources;
  const parsed = parseDocuments(BAD, { file: 'bad.yaml' });
  assert.deepEqual(parsed.rejected, []);
  const out = runPipeline([...base, ...parsed.resources], []);
  const status = out.statuses.find((s) => s.key === A_BAD)?.status as { parents?: { conditions: { type: string; status: string }[] }[] } | undefined;
  assert.deepEqual(status?.parents?.[0]?.conditions.filter((c) => c.status !== 'True'), []);
  assert.deepEqual(out.problems, []);
}

type Condition = { type: string; status: string; reason: string; message: string };

async function acceptedOf(gw: GatewayEnv, key: string): Promise<Condition | undefined> {
  const parents = ((await gw.status(key))?.status as { parents?: { conditions: Condition[] }[] } | undefined)?.parents;
  return parents?.[0]?.conditions.find((c) => c.type === 'Accepted');
}

/** Writes B's route at `path` and times it until Envoy serves it. */
async function timedEdit(gw: GatewayEnv, file: string, name: string, path: string): Promise<number> {
  const started = performance.now();
  await gw.write(file, nsRoute('b', name, path));
  await gw.until(path, (r) => r.status === 200, { timeoutMs: 20_000 });
  return performance.now() - started;
}

test("one tenant's route Envoy refuses is contained: the other tenant's edits are served at once", async (t) => {
  const gw = await startGateway(t, {
    files: { 'gateway.yaml': GATEWAY, 'a/upstream.yaml': upstream('echo', 'a'), 'b/upstream.yaml': upstream('echo', 'b'), 'b/bulk.yaml': bulkRoutes() },
    envoyArgs: STRICT_REGEX_ENVOY,
  });
  assertPorticoAccepts(gw.port);
  await gw.until(`/b/svc-${ROUTES - 1}`, (r) => r.status === 200, { timeoutMs: 60_000 });
  const usual = await timedEdit(gw, 'b/usual.yaml', 'usual', '/b/usual');

  // A's bad route and B's edit land together: B's is served while A's is being found.
  await gw.write('a/bad.yaml', BAD);
  const during = await timedEdit(gw, 'b/during.yaml', 'during', '/b/during');
  await waitFor(async () => (await acceptedOf(gw, A_BAD))?.reason === 'RejectedByEnvoy', { timeoutMs: 20_000, intervalMs: 50, what: "A's route to report Envoy's rejection" });
  const rejected = await acceptedOf(gw, A_BAD);
  assert.equal(rejected?.status, 'False');
  assert.match(rejected?.message ?? '', /Envoy .* of Gateway default\/gw rejected RouteConfiguration version \S+ with this resource: .+; it is not served/);

  // Once A's route is withheld, B's edits go out as usual.
  const after: number[] = [];
  for (let i = 0; i < 5; i++) after.push(await timedEdit(gw, `b/after-${i}.yaml`, `after-${i}`, `/b/after-${i}`));
  after.sort((x, y) => x - y);
  t.diagnostic(`B's edit at ${ROUTES} routes: usual ${usual.toFixed(0)} ms; landing with A's bad route ${during.toFixed(0)} ms; while A's route is withheld p50 ${after[2]?.toFixed(0)} ms, max ${after[4]?.toFixed(0)} ms`);
  assert.ok(during < 5000, `B's edit during containment took ${during.toFixed(0)} ms`);
  assert.ok((after[4] ?? Infinity) < 5000, `B's edits after containment took up to ${after[4]?.toFixed(0)} ms`);
  assert.equal((await gw.get('/b/svc-0')).status, 200);
  const gatewayProgrammed = async () =>
    ((await gw.status('gateway.networking.k8s.io/Gateway/default/gw'))?.status as { conditions: Condition[] }).conditions.find((c) => c.type === 'Programmed')?.status;
  await waitFor(async () => (await gatewayProgrammed()) === 'True', { timeoutMs: 10_000, intervalMs: 50, what: 'the Gateway to be Programmed again' });

  // A newly started Envoy gets every route but A's bad one (and accepts them).
  await gw.envoy.stop();
  const envoy = await startEnvoy({ envoyBin: findBinary('envoy'), gateway: 'default/gw', xdsHost: '127.0.0.1', xdsPort: gw.controller.xdsPort, logger: silentLogger, extraArgs: STRICT_REGEX_ENVOY });
  t.after(() => envoy.stop());
  await gw.until('/b/after-4', (r) => r.status === 200, { timeoutMs: 20_000 });
  assert.equal((await gw.get(`/b/svc-${ROUTES - 1}`)).status, 200);
  assert.equal((await gw.get('/b/during')).status, 200);
  assert.equal((await gw.get(`/a/${'x'.repeat(40)}`)).status, 404, "A's bad route is not served");

  // A fixes its route: it is tried, served, and accepted again.
  await gw.write('a/bad.yaml', nsRoute('a', 'bad', '/a/fixed'));
  await gw.until('/a/fixed', (r) => r.status === 200, { timeoutMs: 20_000 });
  await waitFor(async () => (await acceptedOf(gw, A_BAD))?.status === 'True', { timeoutMs: 10_000, intervalMs: 50, what: "A's fixed route to be accepted" });
  assert.equal((await gw.get('/b/svc-0')).status, 200);
});

test('a restarted controller finds the bad route again while Envoy keeps serving the others', async (t) => {
  const routes = 200;
  const gw = await startGateway(t, {
    files: { 'gateway.yaml': GATEWAY, 'a/upstream.yaml': upstream('echo', 'a'), 'b/upstream.yaml': upstream('echo', 'b'), 'b/bulk.yaml': bulkRoutes(routes) },
    envoyArgs: STRICT_REGEX_ENVOY,
  });
  await gw.until(`/b/svc-${routes - 1}`, (r) => r.status === 200, { timeoutMs: 30_000 });
  await gw.write('a/bad.yaml', BAD);
  await waitFor(async () => (await acceptedOf(gw, A_BAD))?.reason === 'RejectedByEnvoy', { timeoutMs: 20_000, intervalMs: 50, what: "A's route to report Envoy's rejection" });

  // A new controller on the same xDS port: nothing accepted to fall back on, the bad route a suspect again.
  // A's status file goes, so its rejection being reported again shows the new controller found it.
  const xdsPort = gw.controller.xdsPort;
  await gw.controller.stop();
  await rm(statusPath(gw.controller.statusDir, A_BAD), { force: true });
  let sampling = true;
  let misses = 0;
  let samples = 0;
  t.after(() => {
    sampling = false;
  });
  const sampler = (async () => {
    for (let i = 0; sampling; i = (i + 1) % routes, samples++) if ((await gw.get(`/b/svc-${i}`).catch(() => undefined))?.status !== 200) misses++;
  })();
  const controller = new Controller({ configDir: gw.configDir, xdsAddress: `127.0.0.1:${xdsPort}`, adminAddress: 'off', logger: silentLogger });
  await controller.start();
  t.after(() => controller.stop());
  await waitFor(async () => (await acceptedOf(gw, A_BAD))?.reason === 'RejectedByEnvoy', { timeoutMs: 20_000, intervalMs: 50, what: "A's route to be found again" });
  const probes = [0, 57, routes - 1].map((i) => `/b/svc-${i}`);
  const allServed = async () => (await Promise.all(probes.map((p) => gw.get(p).then((r) => r.status, () => 0)))).every((s) => s === 200);
  await waitFor(allServed, { timeoutMs: 20_000, intervalMs: 50, what: "B's routes served by the new controller" });
  await timedEdit(gw, 'b/after-restart.yaml', 'after-restart', '/b/after-restart');
  sampling = false;
  await sampler;
  t.diagnostic(`restart with a contained route among ${routes}: ${misses} of ${samples} requests to B's routes missed`);
  assert.equal(JSON.stringify(controller.config('default/gw')).includes('httproute/a/bad'), false, "A's route is withheld");
  assert.ok(misses <= samples / 4, `${misses} of ${samples} requests missed`);
});
