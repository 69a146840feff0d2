// Resources from Consul KV against a real Consul agent (ACLs on, default deny; the controller holds a token
// made from consul/portico-controller.hcl) and a real Envoy: a PUT of a route is served, a DELETE removes
// it, a bad key is reported (naming the key) in the status Portico writes back to Consul while the rest
// serves, the generation is the key's ModifyIndex (the same for a controller started later), identical matches
// go to the key created first (CreateIndex; a creationTimestamp in the value does not count), and a Consul
// outage under traffic fails no request, still serves an Envoy that connects during it, and heals without a
// restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { Controller } from '../../src/app/controller.ts';
import { startEnvoy } from '../../src/app/envoy.ts';
import type { StatusRecord } from '../../src/status/record.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { requireBinary, waitFor } from '../support/components.ts';
import { controllerToken, startConsul, type ConsulAgent } from '../support/consul.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';
import { httpRequest } from '../support/http.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startTraffic } from '../support/traffic.ts';

const ROUTE_KEY = (name: string) => `portico/gateway.networking.k8s.io/v1/HTTPRoute/default/${name}`;
const STATUS_KEY = (name: string) => `portico-status/gateway.networking.k8s.io/HTTPRoute/default/${name}`;
const routeAt = (name: string, path: string) =>
  route(name, `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]
      backendRefs:
${backend('a')}`);

// Operators' requests (the management token); the controller has only its policy's token.
async function put(consul: ConsulAgent, key: string, body: string): Promise<void> {
  const res = await consul.fetch(`/v1/kv/${key}`, { method: 'PUT', body });
  assert.equal(res.status, 200, await res.text());
}

async function del(consul: ConsulAgent, key: string): Promise<void> {
  assert.equal((await consul.fetch(`/v1/kv/${key}`, { method: 'DELETE' })).status, 200);
}

/** The status Portico wrote to Consul for a route (parsed), or undefined. */
async function statusIn(consul: ConsulAgent, name: string): Promise<Record<string, unknown> | undefined> {
  const res = await consul.fetch(`/v1/kv/${STATUS_KEY(name)}?raw`);
  return res.status === 200 ? (parse(await res.text()) as Record<string, unknown>) : undefined;
}

async function modifyIndexOf(consul: ConsulAgent, key: string): Promise<number | undefined> {
  return ((await (await consul.fetch(`/v1/kv/${key}`)).json()) as Array<{ ModifyIndex: number }>)[0]?.ModifyIndex;
}

async function kvOptions(consul: ConsulAgent) {
  return {
    consulKv: { rootKey: 'portico', statusPrefix: 'portico-status' },
    consul: { address: consul.api, token: await controllerToken(consul) },
    leaderElection: { ttlSeconds: 20, lockDelaySeconds: 1 },
  };
}

async function startKvGateway(t: Parameters<typeof startGateway>[0], consul: ConsulAgent, files: Record<string, string> = {}, ports: string[] = []): Promise<GatewayEnv> {
  return startGateway(t, {
    backends: ['a'],
    ports,
    // The Gateway and the Upstream come from the directory, the routes from Consul KV: both sources at once.
    files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': upstream('a'), ...files },
    controller: await kvOptions(consul),
  });
}

async function health(gw: GatewayEnv): Promise<{ status: string; degraded: string[] }> {
  return (await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/healthz`)).json()) as { status: string; degraded: string[] };
}

test('Consul KV: PUT serves a route, consul kv put too, DELETE removes it; statuses land in Consul, only on change', { timeout: 120_000 }, async (t) => {
  const consul = await startConsul(t, { acl: true });
  const gw = await startKvGateway(t, consul, { 'clash.yaml': routeAt('clash', '/from-dir') });

  let started = Date.now();
  await put(consul, ROUTE_KEY('web'), routeAt('web', '/web'));
  await gw.until('/web', (r) => r.status === 200 && r.json?.backend === 'a');
  t.diagnostic(`PUT → served in ${Date.now() - started} ms`);

  // The consul CLI, as an operator would use it.
  await promisify(execFile)(requireBinary('consul'), ['kv', 'put', `-http-addr=${consul.api}`, ROUTE_KEY('cli'), routeAt('cli', '/cli')], { env: { ...process.env, CONSUL_HTTP_TOKEN: consul.managementToken } });
  await gw.until('/cli', (r) => r.status === 200);

  // The status, in Consul, under its own prefix; the generation is the key's ModifyIndex.
  let status: Record<string, unknown> | undefined;
  const written = await modifyIndexOf(consul, ROUTE_KEY('web'));
  await waitFor(async () => (status = await statusIn(consul, 'web'))?.generation === written, { what: () => `the status of web in Consul, generation ${written} (${JSON.stringify(status)})` });
  assert.equal(status?.source, `${ROUTE_KEY('web')}:2`, 'names the key (and the line of the resource in its value)');
  assert.match(JSON.stringify(status?.status), /"type":"Accepted","status":"True"/);
  const before = await modifyIndexOf(consul, STATUS_KEY('web'));
  await put(consul, ROUTE_KEY('cli'), routeAt('cli', '/cli2')); // another route changes: web's status must not be rewritten
  await gw.until('/cli2', (r) => r.status === 200);
  await put(consul, ROUTE_KEY('web'), routeAt('web', '/web2'));
  await gw.until('/web2', (r) => r.status === 200);
  const edited = (await modifyIndexOf(consul, ROUTE_KEY('web'))) ?? 0;
  assert.ok(written !== undefined && edited > written, 'the generation grows with each write');
  await waitFor(async () => (await statusIn(consul, 'web'))?.generation === edited, { what: `generation ${edited} in Consul` });
  const after = await modifyIndexOf(consul, STATUS_KEY('web'));
  assert.ok(after !== undefined && before !== undefined && after > before);
  assert.equal(await (await consul.fetch(`/v1/kv/${ROUTE_KEY('web')}?raw`)).text(), routeAt('web', '/web2'), 'the user\'s key is never written');

  // A controller started now (as after a restart, or another HA controller) gives web the same generation.
  const later = new Controller({ ...(await kvOptions(consul)), xdsAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0', logger: silentLogger });
  await later.start();
  t.after(() => later.stop());
  const generationIn = async (c: Controller) =>
    ((await (await fetch(`http://127.0.0.1:${c.adminPort}/debug/statuses`)).json()) as StatusRecord[]).find((r) => r.key === 'gateway.networking.k8s.io/HTTPRoute/default/web')?.generation;
  await waitFor(async () => (await generationIn(later)) === edited, { what: `the later controller to report generation ${edited}` });
  assert.equal(await generationIn(gw.controller), edited);

  // On a name clash the directory wins. A route written to Consul KV after the clashing key is served only once
  // the controller has read a KV snapshot holding both, so the clash has been decided by then.
  await put(consul, ROUTE_KEY('clash'), routeAt('clash', '/from-kv'));
  await put(consul, ROUTE_KEY('after-clash'), routeAt('after-clash', '/after-clash'));
  await gw.until('/after-clash', (r) => r.status === 200);
  assert.equal((await gw.get('/from-dir')).status, 200);
  assert.equal((await gw.get('/from-kv')).status, 404);

  started = Date.now();
  await del(consul, ROUTE_KEY('web'));
  await gw.until('/web2', (r) => r.status === 404);
  t.diagnostic(`DELETE → 404 in ${Date.now() - started} ms`);
  await waitFor(async () => (await statusIn(consul, 'web')) === undefined, { what: 'the status of the deleted route to go' });
  assert.deepEqual(await health(gw), { status: 'ok', degraded: [] });
});

test('Consul KV: a bad key is reported by name in its status while every other route serves', { timeout: 120_000 }, async (t) => {
  const consul = await startConsul(t, { acl: true });
  const gw = await startKvGateway(t, consul);
  await put(consul, ROUTE_KEY('good'), routeAt('good', '/good'));
  await put(consul, ROUTE_KEY('mixed'), routeAt('mixed', '/mixed'));
  await gw.until('/mixed', (r) => r.status === 200);

  // A value naming another resource than its key, and malformed YAML where a valid route was.
  await put(consul, ROUTE_KEY('wrong'), routeAt('other', '/wrong'));
  await put(consul, ROUTE_KEY('mixed'), 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: mixed\n');
  await put(consul, 'portico/gateway.networking.k8s.io/v1/HTTPRoute/nonamespace', routeAt('x', '/x'));
  let wrong: Record<string, unknown> | undefined;
  await waitFor(async () => (wrong = await statusIn(consul, 'wrong')) !== undefined, { what: 'the status of the mismatched key' });
  assert.match(JSON.stringify(wrong), new RegExp(`${ROUTE_KEY('wrong')}: HTTPRoute default/wrong: the key names .* but the value is .*HTTPRoute default/other`));
  let mixed: Record<string, unknown> | undefined;
  await waitFor(async () => /YAML syntax error/.test(JSON.stringify((mixed = await statusIn(consul, 'mixed')))), { what: 'the malformed value in the status' });
  assert.match(JSON.stringify(mixed), new RegExp(`${ROUTE_KEY('mixed')}:\\d+`), 'names the key and line');
  assert.match(JSON.stringify(mixed), /last valid version keeps serving/);
  // A key outside the layout names no resource: it is reported (and logged) as a problem naming the key.
  let problems: string[] = [];
  await waitFor(async () => {
    problems = (await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/debug/problems`)).json()) as string[];
    return problems.some((p) => p.startsWith('portico/gateway.networking.k8s.io/v1/HTTPRoute/nonamespace: a HTTPRoute key ends in'));
  }, { what: () => `the bad key among the problems: ${JSON.stringify(problems)}` });

  assert.equal((await gw.get('/good')).status, 200);
  assert.equal((await gw.get('/mixed')).status, 200, 'the malformed key keeps its last good version');
  assert.equal((await gw.get('/wrong')).status, 404, 'the mismatched value is not served');
});

/** A route on /same whose answers carry `x-winner: <name>`: which of several identical matches Envoy serves. */
const contender = (name: string, meta = '') =>
  routeAt(name, '/same')
    .replace(`name: ${name}\n`, `name: ${name}\n${meta}`)
    .replace('backendRefs:', `filters: [{ type: ResponseHeaderModifier, responseHeaderModifier: { set: [{ name: x-winner, value: ${name} }] } }]\n      backendRefs:`);

test('Consul KV: identical matches go to the key created first (CreateIndex), not to a forged creationTimestamp; a controller started later agrees', { timeout: 120_000 }, async (t) => {
  const consul = await startConsul(t, { acl: true });
  const gw = await startKvGateway(t, consul);
  await put(consul, ROUTE_KEY('zz'), contender('zz'));
  await gw.until('/same', (r) => r.headers['x-winner'] === 'zz');
  // Younger key, a name that sorts first, and a creationTimestamp claiming to be older than anything: it loses.
  await put(consul, ROUTE_KEY('aa'), contender('aa', "  creationTimestamp: '1970-01-01T00:00:00Z'\n"));
  let dropped = '';
  await waitFor(async () => {
    dropped = JSON.stringify(await statusIn(consul, 'aa'));
    return /identical to rule 0 match 0 of HTTPRoute default\/zz/.test(dropped);
  }, { what: () => `aa's status to say it lost to zz: ${dropped}` });
  assert.equal((await gw.get('/same')).headers['x-winner'], 'zz');
  // Editing the older key keeps its CreateIndex: it still wins.
  await put(consul, ROUTE_KEY('zz'), contender('zz').replace('value: /same } }]', 'value: /same } }, { path: { type: PathPrefix, value: /also } }]'));
  await gw.until('/also', (r) => r.status === 200);
  assert.equal((await gw.get('/same')).headers['x-winner'], 'zz');

  // A controller started now (on the same folder) reads both keys at once, and decides the same.
  const later = new Controller({ ...(await kvOptions(consul)), configDir: gw.configDir, xdsAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0', logger: silentLogger });
  await later.start();
  t.after(() => later.stop());
  let problems: string[] = [];
  await waitFor(async () => {
    problems = (await (await fetch(`http://127.0.0.1:${later.adminPort}/debug/problems`)).json()) as string[];
    return problems.some((p) => /HTTPRoute default\/aa: .*identical to rule 0 match 0 of HTTPRoute default\/zz/.test(p));
  }, { what: () => `the later controller to drop aa's match: ${JSON.stringify(problems)}` });
});

/** A second Gateway, default/gw2 on the port `second`, for an Envoy that connects later. */
const GATEWAY2 = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw2, namespace: default }
spec:
  gatewayClassName: portico
  listeners:
    - { name: http, protocol: HTTP, port: \${second}, allowedRoutes: { namespaces: { from: All } } }
`;

test('Consul down under traffic: no failed request, a newly connecting Envoy is served, degraded health, edits flow again after a restart', { timeout: 180_000 }, async (t) => {
  const consul = await startConsul(t, { persistent: true, acl: true });
  const gw = await startKvGateway(t, consul, { 'gateway2.yaml': GATEWAY2 }, ['second']);
  await put(consul, ROUTE_KEY('web'), routeAt('web', '/web'));
  await put(consul, ROUTE_KEY('web2'), routeAt('web2', '/web2').replace('- name: gw', '- name: gw2'));
  await gw.until('/web', (r) => r.status === 200);
  // gw2's route must be in the controller's config before Consul goes (no Envoy serves gw2 yet to show it).
  const debugIr = async () => (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/debug/ir`)).text();
  await waitFor(async () => (await debugIr()).includes('/web2'), { what: "the controller's IR to hold gw2's route /web2" });

  const traffic = startTraffic(t, async () => (await httpRequest(gw.port, '/web')).status);

  await consul.stop();
  const downAt = Date.now();
  // The blocking query in flight fails first (ECONNRESET); the retries then find nothing listening.
  const refused = /consul KV source: reading portico\/ at http:\/\/127\.0\.0\.1:\d+ failed: .*ECONNREFUSED.*serving the last good config/;
  let h = await health(gw);
  await waitFor(async () => (h = await health(gw)).status === 'degraded' && refused.test(h.degraded.join('\n')), { what: () => `degraded health naming the refused connection (${JSON.stringify(h)})` });
  const metrics = await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/metrics`)).text();
  assert.match(metrics, /^portico_degraded_components [1-9]/m, 'the outage shows as a metric too');

  // An Envoy that connects for the first time while Consul is down gets the last good config, routes from
  // Consul KV included.
  const late = await startEnvoy({ envoyBin: requireBinary('envoy'), gateway: 'default/gw2', xdsHost: '127.0.0.1', xdsPort: gw.controller.xdsPort, logger: silentLogger });
  t.after(() => late.stop());
  let answer = 0;
  await waitFor(async () => (answer = await httpRequest(gw.ports.second as number, '/web2').then((r) => r.status, () => 0)) === 200, {
    timeoutMs: 20_000,
    what: () => `the Envoy started during the outage to serve /web2 from the KV route (last answer ${answer})`,
  });
  assert.equal((await health(gw)).status, 'degraded', 'Consul is still down');
  // The outage lasts for 50 more requests through the first Envoy, however fast or slow the machine is.
  const answered = traffic.answers.length;
  await waitFor(() => traffic.answers.length >= answered + 50, { timeoutMs: 30_000, what: '50 more requests during the outage' });
  await consul.restart();
  t.diagnostic(`Consul was down ${Date.now() - downAt} ms`);

  const started = Date.now();
  await put(consul, ROUTE_KEY('after'), routeAt('after', '/after'));
  await gw.until('/after', (r) => r.status === 200, { timeoutMs: 30_000 });
  t.diagnostic(`edit after the restart served in ${Date.now() - started} ms`);
  await waitFor(async () => (await health(gw)).status === 'ok', { timeoutMs: 30_000, what: 'health to be ok again' });
  const seen = await traffic.stop();
  t.diagnostic(`answers during the outage: ${JSON.stringify([...seen])}`);
  assert.deepEqual([...seen.keys()], ['200'], `answers seen: ${JSON.stringify([...seen])}`);
  assert.ok((seen.get('200') ?? 0) > 50);
});
