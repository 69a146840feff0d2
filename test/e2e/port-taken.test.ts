// A Gateway whose port another process holds, with a real Envoy per Gateway (as `portico up` runs them): Envoy
// refuses the listener (it cannot bind), which is the Gateway's own problem, not a tenant's. Nothing is withheld
// (not the GatewayClass, not the Gateway), the Gateway says Programmed=False with Envoy's reason and its listener
// PortUnavailable, its other listener and a second Gateway of the same class keep serving and taking edits, and
// once the port is free the Gateway is served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { startEnvoy } from '../../src/app/envoy.ts';
import { findBinary } from '../../src/lib/binaries.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { httpRequest } from '../support/http.ts';
import { waitFor } from '../support/components.ts';
import { GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';

const GW2 = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw2, namespace: default }
spec:
  gatewayClassName: portico
  listeners:
    - { name: web, protocol: HTTP, port: \${taken} }
    - { name: spare, protocol: HTTP, port: \${spare} }
`;

const ROUTE2 = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: two, namespace: default }
spec:
  parentRefs: [{ name: gw2 }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /two } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }]
`;

type Condition = { type: string; status: string; reason: string; message: string };
type GatewayStatus = { conditions?: Condition[]; listeners?: { name: string; conditions: Condition[] }[] };

async function gatewayStatus(gw: GatewayEnv, name: string): Promise<GatewayStatus | undefined> {
  return (await gw.status(`gateway.networking.k8s.io/Gateway/default/${name}`))?.status as GatewayStatus | undefined;
}

const programmed = (s: GatewayStatus | undefined) => s?.conditions?.find((c) => c.type === 'Programmed');

test('a Gateway whose port is taken is reported on its own status; nothing is withheld; it is served once the port is free', { timeout: 180_000 }, async (t) => {
  const squatter: Server = createServer((socket) => socket.end());
  const gw = await startGateway(t, {
    ports: ['taken', 'spare'],
    files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': upstream('echo'), 'route.yaml': route('one', '    - matches: [{ path: { type: PathPrefix, value: /one } }]\n      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }]') },
  });
  const taken = gw.ports.taken as number;
  const spare = gw.ports.spare as number;
  await new Promise<void>((resolve) => squatter.listen(taken, '0.0.0.0', resolve));
  let squatting = true;
  t.after(() => (squatting ? new Promise((resolve) => squatter.close(resolve)) : undefined));
  await gw.until('/one', (r) => r.status === 200, { timeoutMs: 30_000 });

  await gw.write('gw2.yaml', GW2);
  await gw.write('route2.yaml', ROUTE2);
  const envoy2 = await startEnvoy({ envoyBin: findBinary('envoy'), gateway: 'default/gw2', xdsHost: '127.0.0.1', xdsPort: gw.controller.xdsPort, logger: silentLogger });
  t.after(() => envoy2.stop());

  await waitFor(async () => programmed(await gatewayStatus(gw, 'gw2'))?.status === 'False', { timeoutMs: 30_000, intervalMs: 50, what: 'gw2 to be Programmed=False' });
  const status2 = await gatewayStatus(gw, 'gw2');
  t.diagnostic(`gw2 Programmed: ${JSON.stringify(programmed(status2))}`);
  assert.match(programmed(status2)?.message ?? '', /Address already in use|cannot bind/);
  const listener = status2?.listeners?.find((l) => l.name === 'web')?.conditions ?? [];
  assert.equal(listener.find((c) => c.type === 'Programmed')?.status, 'False');
  assert.equal(listener.find((c) => c.type === 'Accepted')?.reason, 'PortUnavailable');
  assert.match(listener.find((c) => c.type === 'Accepted')?.message ?? '', new RegExp(`port ${taken}`));

  // Nothing of the platform is withheld: the GatewayClass stays accepted, the first Gateway serves and takes edits.
  const klass = (await gw.status('gateway.networking.k8s.io/GatewayClass//portico'))?.status as GatewayStatus | undefined;
  assert.equal(klass?.conditions?.find((c) => c.type === 'Accepted')?.status, 'True', JSON.stringify(klass));
  assert.equal(programmed(await gatewayStatus(gw, 'gw'))?.status, 'True');
  assert.equal((await gw.get('/one')).status, 200);
  await gw.write('route3.yaml', route('three', '    - matches: [{ path: { type: PathPrefix, value: /three } }]\n      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }]'));
  await gw.until('/three', (r) => r.status === 200, { timeoutMs: 20_000 });
  assert.equal(JSON.stringify(gw.controller.config('default/gw2')).includes('httproute/default/two'), true, "gw2's route is not withheld");
  // gw2's other listener is bound and served by its Envoy (Envoy applies listeners one by one), and takes edits.
  await waitFor(async () => (await httpRequest(spare, '/two').catch(() => undefined))?.status === 200, { timeoutMs: 20_000, intervalMs: 100, what: "gw2's spare listener to serve" });
  assert.equal(status2?.listeners?.find((l) => l.name === 'spare')?.conditions.find((c) => c.type === 'Programmed')?.status, 'True');
  await gw.write('route2.yaml', ROUTE2.replace('value: /two', 'value: /two-edited'));
  await waitFor(async () => (await httpRequest(spare, '/two-edited').catch(() => undefined))?.status === 200, { timeoutMs: 20_000, intervalMs: 100, what: "gw2's edit on its spare listener" });

  // The port is freed: a retry gets the listener bound, the Gateway is served and Programmed again.
  await new Promise((resolve) => squatter.close(resolve));
  squatting = false;
  const freed = performance.now();
  await waitFor(async () => (await httpRequest(taken, '/two-edited').catch(() => undefined))?.status === 200, { timeoutMs: 60_000, intervalMs: 100, what: 'gw2 to serve once its port is free' });
  t.diagnostic(`gw2 served ${(performance.now() - freed).toFixed(0)} ms after its port was freed`);
  await waitFor(async () => programmed(await gatewayStatus(gw, 'gw2'))?.status === 'True', { timeoutMs: 20_000, intervalMs: 50, what: 'gw2 to be Programmed=True' });
  const after = await gatewayStatus(gw, 'gw2');
  assert.equal(after?.listeners?.find((l) => l.name === 'web')?.conditions.find((c) => c.type === 'Accepted')?.status, 'True');
  assert.equal(after?.listeners?.find((l) => l.name === 'web')?.conditions.find((c) => c.type === 'Programmed')?.status, 'True');
});
