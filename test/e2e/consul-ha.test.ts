// Two controllers against one Consul (ACLs on, each with a token from consul/portico-controller.hcl) both
// serve xDS; exactly one (the leader) writes statuses. The leader is a real `portico controller --config
// portico.yaml` process, SIGKILLed without releasing its lock: the other controller takes over within
// leaderElection.ttlSeconds plus the lock-delay, while Envoy, connected to the survivor, keeps answering.
// Both controllers give a resource the same generation (its key's ModifyIndex), so the status in Consul
// never goes backwards when the survivor starts writing, though it saw fewer edits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { startEcho } from '../../src/echo/server.ts';
import { freePorts, startProcess, tempDir, waitFor } from '../support/components.ts';
import type { StatusRecord } from '../../src/status/record.ts';
import { controllerToken, startConsul, type ConsulAgent } from '../support/consul.ts';
import { backend, fill, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';
import { httpRequest } from '../support/http.ts';
import { startTraffic } from '../support/traffic.ts';

const TTL = 20;
const LOCK_DELAY = 1;
/** The test polls the lock every 200 ms and a follower retries a freed lock every 250 ms. */
const POLLING_MARGIN_MS = 1500;
const ROUTE_KEY = 'portico/gateway.networking.k8s.io/v1/HTTPRoute/default/web';
const MARKER_KEY = 'portico/gateway.networking.k8s.io/v1/HTTPRoute/default/marker';
const MARKER_STATUS_KEY = 'portico-status/gateway.networking.k8s.io/HTTPRoute/default/marker';
const PORTICO = resolve(import.meta.dirname, '../../bin/portico');

async function put(consul: ConsulAgent, key: string, body: string): Promise<void> {
  assert.equal((await consul.fetch(`/v1/kv/${key}`, { method: 'PUT', body })).status, 200);
}

async function modifyIndexOf(consul: ConsulAgent, key: string): Promise<number> {
  return ((await (await consul.fetch(`/v1/kv/${key}`)).json()) as Array<{ ModifyIndex: number }>)[0]?.ModifyIndex ?? 0;
}

/** The route's generation as a controller reports it (every controller computes statuses; the leader writes them). */
async function generationAt(adminPort: number): Promise<number | undefined> {
  const records = (await (await fetch(`http://127.0.0.1:${adminPort}/debug/statuses`)).json()) as StatusRecord[];
  return records.find((r) => r.key === 'gateway.networking.k8s.io/HTTPRoute/default/web')?.generation;
}

/** The pid in the name of the session holding the leader lock (`portico-controller <host>:<pid>`). */
async function leaderPid(consul: ConsulAgent): Promise<number | undefined> {
  const [entry] = ((await (await consul.fetch('/v1/kv/portico-status/.leader')).json().catch(() => [])) as Array<{ Session?: string }>) ?? [];
  if (!entry?.Session) return undefined;
  const [session] = (await (await consul.fetch(`/v1/session/info/${entry.Session}`)).json()) as Array<{ Name: string }>;
  return Number(session?.Name.split(':').pop());
}

async function routeGeneration(consul: ConsulAgent): Promise<number | undefined> {
  const res = await consul.fetch('/v1/kv/portico-status/gateway.networking.k8s.io/HTTPRoute/default/web?raw');
  return res.status === 200 ? (parse(await res.text()) as { generation?: number }).generation : undefined;
}

test('HA: the leader is SIGKILLed, the other controller takes over status writing; Envoy never fails a request', { timeout: 180_000 }, async (t) => {
  const consul = await startConsul(t, { acl: true });
  const echo = await startEcho({ name: 'a' });
  t.after(() => echo.close());
  const [port = 0, adminA = 0] = await freePorts(2);
  const routeAt = (path: string) => route('web', `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]\n      backendRefs:\n${backend('a')}`);
  // Everything in Consul KV, so both controllers see the same resources.
  await put(consul, 'portico/gateway.networking.k8s.io/v1/GatewayClass/portico', GATEWAY.split('---')[0] ?? '');
  await put(consul, 'portico/gateway.networking.k8s.io/v1/Gateway/default/gw', fill(GATEWAY.split('---')[1] ?? '', { PORT: port }));
  await put(consul, 'portico/gloo.solo.io/v1/Upstream/default/a', fill(upstream('a'), { a: echo.port }));
  await put(consul, ROUTE_KEY, routeAt('/v1'));

  // Controller A: a real process, configured by a portico.yaml, its token in a file.
  const dir = await tempDir('ha', t);
  const configFile = join(dir, 'portico.yaml');
  await writeFile(join(dir, 'consul-token'), await controllerToken(consul));
  await writeFile(
    configFile,
    `xdsAddress: 127.0.0.1:0\nadminAddress: 127.0.0.1:${adminA}\nsources:\n  consulKv: { rootKey: portico }\nconsul:\n  address: ${consul.api}\n  tokenFile: consul-token\nleaderElection: { ttlSeconds: ${TTL}, lockDelaySeconds: ${LOCK_DELAY} }\n`,
  );
  const a = await startProcess(PORTICO, ['controller', '--config', configFile, '--log-format', 'json'], {
    readyWhen: async () => (await fetch(`http://127.0.0.1:${adminA}/readyz`)).status === 200,
  });
  t.after(() => a.stop().catch(() => undefined)); // it is SIGKILLed on purpose below
  await waitFor(async () => (await leaderPid(consul)) === a.pid, { what: 'controller A to lead' });
  const first = await modifyIndexOf(consul, ROUTE_KEY);
  await waitFor(async () => (await routeGeneration(consul)) === first, { what: `A to write the route status (generation ${first})` });
  // An edit that only A sees: with an in-memory counter, B (started after it) would count one edit less.
  const sectioned = routeAt('/v1').replace('- name: gw', '- name: gw\n      sectionName: http');
  await put(consul, ROUTE_KEY, sectioned);
  const seenByA = await modifyIndexOf(consul, ROUTE_KEY);
  await waitFor(async () => (await routeGeneration(consul)) === seenByA, { what: `A to write generation ${seenByA}` });

  // Controller B, in-process, with the Envoy.
  const gw = await startGateway(t, {
    files: {},
    controller: {
      consulKv: { rootKey: 'portico', statusPrefix: 'portico-status' },
      consul: { address: consul.api, token: await controllerToken(consul) },
      leaderElection: { ttlSeconds: TTL, lockDelaySeconds: LOCK_DELAY },
    },
  });
  const get = (path: string) => httpRequest(port, path).then((r) => r.status, () => 0);
  await waitFor(async () => (await get('/v1')) === 200, { what: 'Envoy (fed by B) to serve /v1' });
  assert.equal(await leaderPid(consul), a.pid, 'B follows: A keeps the lock');
  await waitFor(async () => (await generationAt(gw.controller.adminPort)) === seenByA, { what: `B to report generation ${seenByA}` });
  assert.equal(await generationAt(adminA), seenByA, 'A and B give the route the same generation');

  const traffic = startTraffic(t, () => get('/v1'));

  process.kill(a.pid, 'SIGKILL'); // a crash: no release, no session destroy
  const killedAt = Date.now();
  // A route only B sees, as nobody leads: its status is new, so B's first write as leader must hold it. That
  // write is the positive event after which the route's status can be checked for going backwards.
  await put(consul, MARKER_KEY, route('marker', `    - matches: [{ path: { type: PathPrefix, value: /marker } }]\n      backendRefs:\n${backend('a')}`));
  await waitFor(async () => (await leaderPid(consul)) === process.pid, { timeoutMs: (2 * TTL + LOCK_DELAY + 10) * 1000, intervalMs: 200, what: 'B to take the lock' });
  const tookOver = Date.now() - killedAt;
  t.diagnostic(`B took over ${tookOver} ms after A was killed (ttlSeconds ${TTL}, lockDelaySeconds ${LOCK_DELAY}: the bound is ${(TTL + LOCK_DELAY) * 1000} ms)`);
  assert.ok(tookOver <= (TTL + LOCK_DELAY) * 1000 + POLLING_MARGIN_MS, `takeover in ${tookOver} ms, over ttlSeconds + lockDelaySeconds`);
  // The new leader's statuses never go backwards: once it has written (the marker's status is there), the route
  // still has A's generation; then the next edit's.
  await waitFor(async () => (await consul.fetch(`/v1/kv/${MARKER_STATUS_KEY}`)).status === 200, { what: "B's first status write as leader (the marker route's)" });
  assert.equal(await routeGeneration(consul), seenByA);
  await put(consul, ROUTE_KEY, sectioned.replace('sectionName: http', 'sectionName: http\n      namespace: default'));
  const edited = await modifyIndexOf(consul, ROUTE_KEY);
  assert.ok(edited > seenByA);
  await waitFor(async () => (await routeGeneration(consul)) === edited, { what: `B to write the edited route status (generation ${edited})` });
  const seen = await traffic.stop();
  t.diagnostic(`answers: ${JSON.stringify([...seen])}`);
  assert.deepEqual([...seen.keys()], ['200']);
  assert.deepEqual((await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/healthz`)).json()), { status: 'ok', degraded: [] });
});
