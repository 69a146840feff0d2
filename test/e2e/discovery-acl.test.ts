// Catalog discovery against a real Consul with ACLs on and default deny. A token that may not read a
// service gets no 403 from Consul: its instances are hidden and X-Consul-Results-Filtered-By-ACLs says so.
// Portico names the missing rule in /healthz (and the degraded-components metric), once in the log, and in
// the statuses of the HTTPRoute and the Upstream using the service; once the policy allows it, the service
// is served without a restart and the statuses and health are clean again. The instance is registered after
// the controller started watching: the case only a non-blocking re-check notices.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/components.ts';
import { aclToken, startConsul, type ConsulAgent } from '../support/consul.ts';
import { registerInstance } from '../support/consul-catalog.ts';
import { startCountingProxy } from '../support/counting-proxy.ts';
import { GATEWAY, route } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';
import { captureLogs } from '../support/logs.ts';

/** Gives the policy made by aclToken() these rules instead, as an operator editing it would. */
async function updatePolicy(consul: ConsulAgent, name: string, rules: string): Promise<void> {
  const { ID } = (await (await consul.fetch(`/v1/acl/policy/name/${name}`)).json()) as { ID: string };
  const res = await consul.fetch(`/v1/acl/policy/${ID}`, { method: 'PUT', body: JSON.stringify({ Name: name, Rules: rules }) });
  assert.equal(res.status, 200, await res.text());
}

const FILES = {
  'gateway.yaml': GATEWAY,
  'web.yaml': route('web', `    - matches: [{ path: { type: PathPrefix, value: /web } }]
      backendRefs: [{ name: web, port: 1 }]`),
  'upstream.yaml': `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: web, namespace: default }
spec:
  consul: { serviceName: web }
---
${route('up', `    - matches: [{ path: { type: PathPrefix, value: /up } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: web }]`)}`,
};

type Condition = { type: string; status: string; reason: string; message: string };

/** The ResolvedRefs condition of a route (its first parent) or an Upstream, from its status file. */
async function resolvedRefs(gw: GatewayEnv, key: string): Promise<Condition | undefined> {
  const status = (await gw.status(key))?.status as { conditions?: Condition[]; parents?: { conditions: Condition[] }[] } | undefined;
  return (status?.parents?.[0]?.conditions ?? status?.conditions ?? []).find((c) => c.type === 'ResolvedRefs');
}

/**
 * Consul hides such instances from blocking reads without saying so (its streaming backend), so Portico
 * checks with a non-blocking read after each blocking round that ends unchanged: a short wait keeps the test short.
 */
const WAIT_MS = 2000;
const ROUTE = 'gateway.networking.k8s.io/HTTPRoute/default/web';
const UPSTREAM = 'gloo.solo.io/Upstream/default/web';
const DENIED = /^consul discovery: permission denied watching the instances of service web at http:\/\/127\.0\.0\.1:\d+; the token needs service "web" \{ policy = "read" \} and node_prefix "" \{ policy = "read" \}; the last endpoints stay in use, retrying$/;
const NODE_READ = 'node_prefix "" { policy = "read" }';

test('ACLs: a token that may not read a service is named in /healthz, the metric, the log and the statuses; a fixed policy is picked up', { timeout: 180_000 }, async (t) => {
  const consul = await startConsul(t, { acl: true });
  const admin = { token: consul.managementToken as string };
  const token = await aclToken(consul, 'portico-discovery', NODE_READ);
  const logs = captureLogs('info');
  const proxy = await startCountingProxy(t, consul.api);
  const gw = await startGateway(t, { backends: ['a'], files: FILES, controller: { discovery: { consul: { address: proxy.url, token, waitMs: WAIT_MS } }, logger: logs.logger } });
  await registerInstance(consul.api, { id: 'web-a', service: 'web', address: '127.0.0.1', port: gw.backends.a as number }, admin);
  const healthz = async () => (await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/healthz`)).json()) as { status: string; degraded: string[] };
  const metric = async () => /^portico_degraded_components (\d+)$/m.exec(await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/metrics`)).text())?.[1];

  let health = await healthz();
  await waitFor(async () => (health = await healthz()).degraded.some((d) => DENIED.test(d)), { timeoutMs: 15_000, what: () => `the denied service in /healthz (last: ${JSON.stringify(health)})` });
  assert.deepEqual(health, { status: 'degraded', degraded: [health.degraded.find((d) => DENIED.test(d))] }, 'one component: the Service backendRef and the Upstream share the watch');
  assert.equal(await metric(), '1');
  for (const key of [ROUTE, UPSTREAM]) {
    let shown: Condition | undefined;
    await waitFor(async () => (shown = await resolvedRefs(gw, key))?.reason === 'PermissionDenied', { what: () => `ResolvedRefs PermissionDenied on ${key} (last: ${JSON.stringify(shown)})` });
    assert.equal(shown?.status, 'False');
    assert.match(shown?.message ?? '', DENIED);
  }
  assert.equal((await gw.get('/web')).status, 503, 'hidden instances are never served');

  // Several reads of the service later (counted at the proxy), still one log line for the one problem, no stack trace.
  const reads = () => proxy.count(/^\/v1\/health\/service\/web\b/);
  const readsSoFar = reads();
  await waitFor(() => reads() >= readsSoFar + 3, { timeoutMs: 60_000, what: () => `3 more reads of service web (${reads() - readsSoFar} so far)` });
  const lines = logs.entries.filter((e) => DENIED.test(String(e.msg)));
  assert.equal(lines.length, 1, logs.text());
  assert.equal(lines[0]?.level, 40, 'a warning');
  assert.ok(!('err' in (lines[0] ?? {})), 'no error object, so no stack');
  assert.ok(!logs.text().includes(token), 'the token is never logged');

  // The operator adds the rule: served within a back-off step (10 s at most), without a restart.
  await updatePolicy(consul, 'portico-discovery', `${NODE_READ}\nservice_prefix "" { policy = "read" }`);
  await gw.until('/web', (r) => r.status === 200, { timeoutMs: 20_000 });
  await gw.until('/up', (r) => r.status === 200);
  await waitFor(async () => (health = await healthz()).status === 'ok', { what: () => `healthy again (last: ${JSON.stringify(health)})` });
  assert.equal(await metric(), '0');
  for (const key of [ROUTE, UPSTREAM]) {
    let shown: Condition | undefined;
    await waitFor(async () => (shown = await resolvedRefs(gw, key))?.reason !== 'PermissionDenied', { what: () => `${key} no longer PermissionDenied (last: ${JSON.stringify(shown)})` });
  }
  assert.equal((await resolvedRefs(gw, ROUTE))?.status, 'True');
  assert.equal(await resolvedRefs(gw, UPSTREAM), undefined, 'the Upstream is back to its translated status (Accepted only)');
  assert.ok(logs.entries.some((e) => e.msg === 'consul service query recovered'), 'recovery is logged');
});
