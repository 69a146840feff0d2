// Consul catalog discovery against a real Consul agent and a real Envoy: echo backends registered as Consul
// services with TTL checks. A Service backendRef and a consul Upstream route to the passing instances; a
// check going critical takes the instance out of traffic within one blocking-query round and only the EDS
// version moves; passing again brings it back; instances without their own address or port use the node's
// address and the backendRef's port; tagged addresses count as Consul counts them (a DNS-named instance is
// reached at its lan_ipv4 tagged address, a wan one is not used in the agent's own datacenter); a service no
// route uses is not watched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TYPE_URLS } from '../../src/xds/resources.ts';
import type { Snapshot } from '../../src/xds/cache/snapshot-cache.ts';
import { waitFor } from '../support/components.ts';
import { envoyClusterHosts } from '../support/envoy-admin.ts';
import { startConsul } from '../support/consul.ts';
import { deregisterInstance, registerInstance, setHealth } from '../support/consul-catalog.ts';
import { GATEWAY, route } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';

const serviceRoute = (name: string, path: string, service: string, port: number | string) =>
  route(name, `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]
      backendRefs: [{ name: ${service}, port: ${port} }]`);

const CONSUL_UPSTREAM = `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: web-v2, namespace: default }
spec:
  consul: { serviceName: web, instanceTags: [v2] }
`;

const UPSTREAM_ROUTE = route('v2', `    - matches: [{ path: { type: PathPrefix, value: /v2 } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: web-v2 }]`);

/** The backends that answered `n` requests to `path`. */
async function backendsSeen(gw: GatewayEnv, path: string, n = 16): Promise<string[]> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await gw.get(path);
    seen.add(r.status === 200 ? String(r.json?.backend) : `status ${r.status}`);
  }
  return [...seen].sort();
}

async function untilBackends(gw: GatewayEnv, path: string, expected: string[], timeoutMs = 10_000): Promise<number> {
  const started = Date.now();
  let last: string[] = [];
  await waitFor(async () => {
    last = await backendsSeen(gw, path);
    return JSON.stringify(last) === JSON.stringify(expected);
  }, { timeoutMs, intervalMs: 20, what: () => `${path} served by ${expected.join(', ')} (last: ${last.join(', ')})` });
  return Date.now() - started;
}

const healthz = async (gw: GatewayEnv) => (await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/healthz`)).json()) as { status: string; degraded: string[] };

const versions = (gw: GatewayEnv) => ({ ...(gw.controller.config('default/gw') as Snapshot).versions });

test('consul catalog: passing instances only, EDS-only updates, Service and Upstream references, watches follow the routes', { timeout: 180_000 }, async (t) => {
  const consul = await startConsul(t);
  const gw = await startGateway(t, {
    backends: ['a', 'b', 'c'],
    files: { 'gateway.yaml': GATEWAY, 'web.yaml': serviceRoute('web', '/web', 'web', 1) },
    controller: { discovery: { consul: { address: consul.api, waitMs: 30_000 } } },
  });
  const { a, b, c } = gw.backends as Record<'a' | 'b' | 'c', number>;
  await registerInstance(consul.api, { id: 'web-a', service: 'web', address: '127.0.0.1', port: a, tags: ['v1'] });
  await registerInstance(consul.api, { id: 'web-b', service: 'web', address: '127.0.0.1', port: b, tags: ['v2'] });

  // The instances' own ports win over the backendRef's (1, where nothing listens).
  await untilBackends(gw, '/web', ['a', 'b']);
  assert.deepEqual(gw.controller.discoveryWatches(), ['consul//web']);

  await t.test('a critical check takes the instance out within a round, and only the EDS version moves', async () => {
    const before = versions(gw);
    const started = Date.now();
    await setHealth(consul.api, 'web-a', 'fail');
    await untilBackends(gw, '/web', ['b'], 5000);
    const took = Date.now() - started;
    const after = versions(gw);
    assert.notEqual(after[TYPE_URLS.endpoint], before[TYPE_URLS.endpoint]);
    for (const type of [TYPE_URLS.listener, TYPE_URLS.route, TYPE_URLS.cluster]) assert.equal(after[type], before[type], `${type} version moved`);
    t.diagnostic(`critical → out of traffic in ${took} ms`);

    await setHealth(consul.api, 'web-a', 'pass');
    await untilBackends(gw, '/web', ['a', 'b'], 5000);
    assert.deepEqual({ ...versions(gw), [TYPE_URLS.endpoint]: '' }, { ...before, [TYPE_URLS.endpoint]: '' });
  });

  await t.test('a consul Upstream with instanceTags gets the tagged instances only, from the same watch', async () => {
    await gw.write('v2.yaml', CONSUL_UPSTREAM + '---\n' + UPSTREAM_ROUTE);
    await untilBackends(gw, '/v2', ['b']);
    assert.deepEqual(gw.controller.discoveryWatches(), ['consul//web']);
  });

  await t.test('an instance without address or port: the node address and the backendRef port', async () => {
    await registerInstance(consul.api, { id: 'legacy-1', service: 'legacy' });
    await gw.write('legacy.yaml', serviceRoute('legacy', '/legacy', 'legacy', c));
    await untilBackends(gw, '/legacy', ['c']);
    assert.deepEqual(gw.controller.discoveryWatches(), ['consul//legacy', 'consul//web']);
  });

  await t.test('tagged addresses: a DNS-named instance at its lan_ipv4 (and port); a wan address unused in the agent\'s own datacenter', async () => {
    // EDS cannot resolve web.internal: without the tagged address Envoy would reject the whole EDS update.
    await registerInstance(consul.api, { id: 'tagged-a', service: 'tagged', address: 'a.web.internal', port: 1, taggedAddresses: { lan_ipv4: { Address: '127.0.0.1', Port: a } } });
    await registerInstance(consul.api, { id: 'tagged-b', service: 'tagged', address: '127.0.0.1', port: b, taggedAddresses: { wan: { Address: '203.0.113.10', Port: 1 } } });
    await gw.write('tagged.yaml', serviceRoute('tagged', '/tagged', 'tagged', 1));
    await untilBackends(gw, '/tagged', ['a', 'b']);
    // Only a DNS name and no IP tagged address: left out; an instance registered after it shows that the
    // catalog answer holding it was applied, and that Envoy took that EDS update.
    await registerInstance(consul.api, { id: 'tagged-x', service: 'tagged', address: 'x.web.internal', port: c });
    await registerInstance(consul.api, { id: 'tagged-c', service: 'tagged', address: '127.0.0.1', port: c });
    await untilBackends(gw, '/tagged', ['a', 'b', 'c']);
    assert.deepEqual(await envoyClusterHosts(gw.envoy.adminPort, 'service/default/tagged/1'), [a, b, c].map((p) => `127.0.0.1:${p}`).sort());
    await gw.remove('tagged.yaml');
    await waitFor(() => !gw.controller.discoveryWatches().includes('consul//tagged'), { timeoutMs: 5000, what: 'the tagged watch to stop' });
  });

  await t.test('a deregistered instance leaves; with none left Envoy answers 503', async () => {
    await deregisterInstance(consul.api, 'legacy-1');
    await untilBackends(gw, '/legacy', ['status 503']);
  });

  await t.test('a service no route uses any more is no longer watched', async () => {
    await gw.remove('legacy.yaml');
    await waitFor(() => !gw.controller.discoveryWatches().includes('consul//legacy'), { timeoutMs: 5000, what: 'the legacy watch to stop' });
    assert.deepEqual(gw.controller.discoveryWatches(), ['consul//web']);
  });

  await t.test('a Consul restart: the watch backs off, keeps the last endpoints serving, and picks up the new catalog', async () => {
    await consul.stop();
    // Checked once the controller knows Consul is away (its watch failed), not merely right after the stop.
    let health: { status: string; degraded: string[] } | undefined;
    await waitFor(async () => (health = await healthz(gw)).degraded.some((d) => /consul/i.test(d)), { timeoutMs: 30_000, what: () => `the failed watch in /healthz (last: ${JSON.stringify(health)})` });
    assert.deepEqual(await backendsSeen(gw, '/web'), ['a', 'b'], 'the last endpoints keep serving');
    await consul.restart(); // a dev agent forgets its catalog, and its index starts again from scratch
    await registerInstance(consul.api, { id: 'web-c', service: 'web', address: '127.0.0.1', port: c });
    await untilBackends(gw, '/web', ['c'], 60_000);
  });
});

const upstreamGroup = (name: string, subset: string) => `
apiVersion: gloo.solo.io/v1
kind: UpstreamGroup
metadata: { name: ${name}, namespace: default }
spec:
  destinations: [{ destination: { upstream: { name: web }, subset: { values: ${subset} } }, weight: 1 }]
`;

const groupRoute = (name: string) =>
  route(name, `    - matches: [{ path: { type: PathPrefix, value: /${name} } }]
      backendRefs: [{ group: gloo.solo.io, kind: UpstreamGroup, name: ${name} }]`);

test('consul tags: instanceBlacklistTags leave instances out; subsetTags let an UpstreamGroup destination pick a subset; stale reads', { timeout: 180_000 }, async (t) => {
  const consul = await startConsul(t);
  const web = `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: web, namespace: default }
spec:
  consul: { serviceName: web, subsetTags: [v2, canary], instanceBlacklistTags: [draining], consistencyMode: StaleMode }
---
${route('all', `    - matches: [{ path: { type: PathPrefix, value: /all } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: web }]`)}`;
  const gw = await startGateway(t, {
    backends: ['a', 'b', 'c', 'd'],
    files: {
      'gateway.yaml': GATEWAY,
      'web.yaml': web,
      'stable.yaml': upstreamGroup('stable', '{ tag_v2: "1", tag_canary: "0" }') + '---\n' + groupRoute('stable'),
      'canary.yaml': upstreamGroup('canary', '{ tag_canary: "1" }') + '---\n' + groupRoute('canary'),
    },
    controller: { discovery: { consul: { address: consul.api, waitMs: 30_000 } } },
  });
  const ports = gw.backends as Record<'a' | 'b' | 'c' | 'd', number>;
  const register = (id: 'a' | 'b' | 'c' | 'd', tags: string[]) => registerInstance(consul.api, { id: `web-${id}`, service: 'web', address: '127.0.0.1', port: ports[id], tags });
  await register('a', ['v1']);
  await register('b', ['v2']);
  await register('c', ['v2', 'canary']);
  await register('d', ['v2', 'draining']);

  await untilBackends(gw, '/all', ['a', 'b', 'c']);
  await untilBackends(gw, '/stable', ['b']);
  await untilBackends(gw, '/canary', ['c']);
  assert.deepEqual(gw.controller.discoveryWatches(), ['consul//web?stale'], 'one watch, with stale reads; tags are applied when joining');

  // Retagging moves an instance between subsets, by EDS alone.
  const before = versions(gw);
  await register('a', ['v2', 'canary']);
  await untilBackends(gw, '/canary', ['a', 'c']);
  await untilBackends(gw, '/stable', ['b']);
  const after = versions(gw);
  for (const type of [TYPE_URLS.listener, TYPE_URLS.route, TYPE_URLS.cluster]) assert.equal(after[type], before[type], `${type} version moved`);
});
