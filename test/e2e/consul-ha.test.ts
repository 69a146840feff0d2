// Two controllers against one Consul both serve xDS; exactly one (the leader) writes statuses. The leader
// is a real `portico controller --config portico.yaml` process, SIGKILLed without releasing its lock: the
// other controller takes over within the session TTL (up to 2×TTL) plus the lock-delay, while Envoy,
// connected to the survivor, keeps answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { startEcho } from '../../src/echo/server.ts';
import { freePorts, startProcess, tempDir, waitFor } from '../support/components.ts';
import { startConsul, type ConsulAgent } from '../support/consul.ts';
import { backend, fill, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';
import { httpRequest } from '../support/http.ts';
import { startTraffic } from '../support/traffic.ts';

const TTL = 10;
const LOCK_DELAY = 1;
const PORTICO = resolve(import.meta.dirname, '../../bin/portico');

async function put(consul: ConsulAgent, key: string, body: string): Promise<void> {
  assert.equal((await fetch(`${consul.api}/v1/kv/${key}`, { method: 'PUT', body })).status, 200);
}

/** The pid in the name of the session holding the leader lock (`portico-controller <host>:<pid>`). */
async function leaderPid(consul: ConsulAgent): Promise<number | undefined> {
  const [entry] = ((await (await fetch(`${consul.api}/v1/kv/portico-status/.leader`)).json().catch(() => [])) as Array<{ Session?: string }>) ?? [];
  if (!entry?.Session) return undefined;
  const [session] = (await (await fetch(`${consul.api}/v1/session/info/${entry.Session}`)).json()) as Array<{ Name: string }>;
  return Number(session?.Name.split(':').pop());
}

async function routeGeneration(consul: ConsulAgent): Promise<number | undefined> {
  const res = await fetch(`${consul.api}/v1/kv/portico-status/gateway.networking.k8s.io/HTTPRoute/default/web?raw`);
  return res.status === 200 ? (parse(await res.text()) as { generation?: number }).generation : undefined;
}

test('HA: the leader is SIGKILLed, the other controller takes over status writing; Envoy never fails a request', { timeout: 180_000 }, async (t) => {
  const consul = await startConsul(t);
  const echo = await startEcho({ name: 'a' });
  t.after(() => echo.close());
  const [port = 0, adminA = 0] = await freePorts(2);
  const routeAt = (path: string) => route('web', `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]\n      backendRefs:\n${backend('a')}`);
  // Everything in Consul KV, so both controllers see the same resources.
  await put(consul, 'portico/gateway.networking.k8s.io/v1/GatewayClass/portico', GATEWAY.split('---')[0] ?? '');
  await put(consul, 'portico/gateway.networking.k8s.io/v1/Gateway/default/gw', fill(GATEWAY.split('---')[1] ?? '', { PORT: port }));
  await put(consul, 'portico/gloo.solo.io/v1/Upstream/default/a', fill(upstream('a'), { a: echo.port }));
  await put(consul, 'portico/gateway.networking.k8s.io/v1/HTTPRoute/default/web', routeAt('/v1'));

  // Controller A: a real process, configured by a portico.yaml.
  const dir = await tempDir('ha', t);
  const configFile = join(dir, 'portico.yaml');
  await writeFile(configFile, `xdsAddress: 127.0.0.1:0\nadminAddress: 127.0.0.1:${adminA}\nsources:\n  consulKv: { rootKey: portico }\nconsul:\n  address: ${consul.api}\nleaderElection: { ttlSeconds: ${TTL}, lockDelaySeconds: ${LOCK_DELAY} }\n`);
  const a = await startProcess(PORTICO, ['controller', '--config', configFile, '--log-format', 'json'], {
    readyWhen: async () => (await fetch(`http://127.0.0.1:${adminA}/readyz`)).status === 200,
  });
  t.after(() => a.stop().catch(() => undefined)); // it is SIGKILLed on purpose below
  await waitFor(async () => (await leaderPid(consul)) === a.pid, { what: 'controller A to lead' });
  await waitFor(async () => (await routeGeneration(consul)) === 1, { what: 'A to write the route status' });

  // Controller B, in-process, with the Envoy.
  const gw = await startGateway(t, {
    files: {},
    controller: { consulKv: { rootKey: 'portico', statusPrefix: 'portico-status' }, consul: { address: consul.api }, leaderElection: { ttlSeconds: TTL, lockDelaySeconds: LOCK_DELAY } },
  });
  const get = (path: string) => httpRequest(port, path).then((r) => r.status, () => 0);
  await waitFor(async () => (await get('/v1')) === 200, { what: 'Envoy (fed by B) to serve /v1' });
  assert.equal(await leaderPid(consul), a.pid, 'B follows: A keeps the lock');

  const traffic = startTraffic(t, () => get('/v1'));

  process.kill(a.pid, 'SIGKILL'); // a crash: no release, no session destroy
  const killedAt = Date.now();
  await waitFor(async () => (await leaderPid(consul)) === process.pid, { timeoutMs: (2 * TTL + LOCK_DELAY + 10) * 1000, intervalMs: 200, what: 'B to take the lock' });
  const tookOver = Date.now() - killedAt;
  // B writes statuses now: an edit's generation reaches Consul.
  await put(consul, 'portico/gateway.networking.k8s.io/v1/HTTPRoute/default/web', routeAt('/v1').replace('- name: gw', '- name: gw\n      sectionName: http'));
  await waitFor(async () => (await routeGeneration(consul)) === 2, { what: 'B to write the edited route status' });
  const seen = await traffic.stop();
  t.diagnostic(`B took over ${tookOver} ms after A was killed (TTL ${TTL} s, lock-delay ${LOCK_DELAY} s); answers: ${JSON.stringify([...seen])}`);
  assert.ok(tookOver <= (2 * TTL + LOCK_DELAY + 2) * 1000);
  assert.deepEqual([...seen.keys()], ['200']);
  assert.deepEqual((await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/healthz`)).json()), { status: 'ok', degraded: [] });
});
