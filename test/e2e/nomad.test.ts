// The deployment the README describes, for real: Nomad (dev agent, raw_exec) runs the jobs in nomad/ from
// this checkout — two controllers reading Consul KV, an Envoy gateway finding them through Consul, and two
// echo upstreams registered in the Consul catalog. A route PUT into Consul KV is served; stopping the
// controller Envoy is connected to fails no request, and the next route change still reaches Envoy.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { cacheRoot } from '../../src/lib/binaries.ts';
import { freePort, waitFor } from '../support/components.ts';
import { startConsul, type ConsulAgent } from '../support/consul.ts';
import { fill, GATEWAY, route } from '../support/fixtures.ts';
import { httpRequest } from '../support/http.ts';
import { startNomad, type NomadAgent } from '../support/nomad.ts';
import { phases, startPathTraffic, startTraffic } from '../support/traffic.ts';

const ROOT = resolve(import.meta.dirname, '../..');

async function put(consul: ConsulAgent, key: string, body: string): Promise<void> {
  assert.equal((await fetch(`${consul.api}/v1/kv/portico/${key}`, { method: 'PUT', body })).status, 200);
}

const echoRoute = (path: string) => route('web', `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]\n      backendRefs: [{ name: echo, port: 80 }]`);

/** A failed wait says what Nomad ran and what Envoy said. */
async function explained(wait: Promise<void>, diagnose: () => Promise<string>): Promise<void> {
  try {
    await wait;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await diagnose()}`);
  }
}

/**
 * The ports of an allocation, by network label. Asked again while Nomad answers with an error: on a loaded
 * machine a just-listed allocation can answer 500 "alloc lookup failed" for a moment.
 */
async function allocPorts(nomad: NomadAgent, allocId: string): Promise<Record<string, number>> {
  type Alloc = { AllocatedResources: { Shared: { Ports: { Label: string; Value: number }[] } } };
  let last = '';
  let alloc: Alloc | undefined;
  await waitFor(async () => {
    const res = await fetch(`${nomad.api}/v1/allocation/${allocId}`);
    if (res.ok) alloc = (await res.json()) as Alloc;
    else last = `${res.status} ${await res.text()}`;
    return res.ok;
  }, { timeoutMs: 15_000, intervalMs: 250, what: () => `Nomad to describe allocation ${allocId} (last answer: ${last})` });
  if (!alloc) throw new Error(`no allocation ${allocId}`);
  return Object.fromEntries(alloc.AllocatedResources.Shared.Ports.map((p) => [p.Label, p.Value]));
}

async function running(nomad: NomadAgent, job: string): Promise<string[]> {
  return (await nomad.allocations(job)).filter((a) => a.ClientStatus === 'running').map((a) => a.ID);
}

async function healthy(consul: ConsulAgent, service: string): Promise<number> {
  return ((await (await fetch(`${consul.api}/v1/health/service/${service}?passing`)).json()) as unknown[]).length;
}

/** The xDS port Envoy's ADS stream is connected to, from its admin /clusters. */
async function connectedController(envoyAdmin: number): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${envoyAdmin}/clusters`)).text();
  const m = /^portico_xds::127\.0\.0\.1:(\d+)::cx_active::1$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

test('Nomad runs controllers, gateway and upstreams; a controller stopped under traffic fails no request', { timeout: 300_000 }, async (t) => {
  const consul = await startConsul(t);
  const nomad = await startNomad(t, { consulAddress: `127.0.0.1:${consul.httpPort}`, rawExec: true });
  const port = await freePort();
  const vars = { portico_dir: ROOT, portico_cache: cacheRoot() };
  const diagnose = async () => {
    const lines: string[] = [];
    for (const job of ['portico-controller', 'portico-gateway', 'echo']) {
      for (const a of await nomad.allocations(job)) {
        lines.push(`${job} ${a.ID.slice(0, 8)} ${a.ClientStatus}`);
        // Why a task is not running: Nomad's own events, and the end of what it wrote (each group has one task, named alike).
        if (a.ClientStatus !== 'running') lines.push(`  events: ${await nomad.taskEvents(a.ID)}`, `  stderr: ${(await nomad.taskLogs(a.ID, a.TaskGroup)).slice(-800)}`);
      }
    }
    const [gw] = await nomad.allocations('portico-gateway');
    if (gw) lines.push('--- envoy stderr', (await nomad.taskLogs(gw.ID, 'envoy')).slice(-1500));
    return lines.join('\n');
  };

  await put(consul, 'gateway.networking.k8s.io/v1/GatewayClass/portico', GATEWAY.split('---')[0] ?? '');
  await put(consul, 'gateway.networking.k8s.io/v1/Gateway/default/gw', fill(GATEWAY.split('---')[1] ?? '', { PORT: port }));
  await put(consul, 'gateway.networking.k8s.io/v1/HTTPRoute/default/web', echoRoute('/v1'));

  await nomad.runJob(resolve(ROOT, 'nomad/echo.nomad.hcl'), vars);
  await nomad.runJob(resolve(ROOT, 'nomad/portico-controller.nomad.hcl'), { ...vars, consul_address: consul.api, distinct_hosts: 'false', log_level: 'warn' });
  await explained(
    waitFor(async () => (await healthy(consul, 'portico-xds')) === 2 && (await healthy(consul, 'echo')) === 2, { timeoutMs: 90_000, intervalMs: 500, what: 'two healthy controllers and echoes in Consul' }),
    diagnose,
  );
  await nomad.runJob(resolve(ROOT, 'nomad/portico-gateway.nomad.hcl'), { ...vars, gateway: 'default/gw', listener_ports: `[${port}]` });

  const get = (path: string) => httpRequest(port, path);
  await explained(waitFor(async () => (await get('/v1/hello')).status === 200, { timeoutMs: 60_000, intervalMs: 250, what: 'the route served through the Nomad-run Envoy' }), diagnose);
  // Both echo instances take traffic: the Consul catalog is where Portico found them.
  const names = new Set<string>();
  for (let i = 0; i < 20; i++) names.add(String(JSON.parse((await get('/v1/hello')).body).backend));
  assert.equal(names.size, 2, `answers from ${[...names].join(', ')}`);

  // Stop the controller Envoy is connected to, with requests running all along.
  // Nomad may not call the gateway's allocation running yet though its Envoy already serves (a loaded machine).
  let gatewayAlloc: string | undefined;
  await explained(waitFor(async () => ([gatewayAlloc] = await running(nomad, 'portico-gateway')).length > 0, { timeoutMs: 30_000, intervalMs: 250, what: "the gateway's allocation to be running" }), diagnose);
  const envoyAdmin = (await allocPorts(nomad, gatewayAlloc as string)).admin!;
  const xdsPort = await connectedController(envoyAdmin);
  const controllers = await running(nomad, 'portico-controller');
  const ports = await Promise.all(controllers.map((id) => allocPorts(nomad, id)));
  const victim = controllers[ports.findIndex((p) => p.xds === xdsPort)];
  assert.ok(victim, `Envoy's xDS connection (port ${xdsPort}) goes to one of the controllers (${ports.map((p) => p.xds).join(', ')})`);

  // While the controller stops and Envoy reconnects, the route does not change: every answer must be 200.
  const duringStop = startTraffic(t, async () => (await get('/v1/hello')).status);
  await fetch(`${nomad.api}/v1/allocation/${victim}/stop`, { method: 'POST' });
  await waitFor(async () => {
    const now = await connectedController(envoyAdmin);
    return now !== undefined && now !== xdsPort;
  }, { timeoutMs: 30_000, intervalMs: 200, what: 'Envoy to reconnect to the other controller' });
  // However fast the reconnection was, at least 50 requests span the stop and what follows it.
  await waitFor(() => duringStop.answers.length >= 50, { timeoutMs: 30_000, what: '50 requests around the controller stop' });
  const stopSeen = await duringStop.stop();
  assert.deepEqual([...stopSeen.keys()], ['200'], `answers while the controller stopped: ${JSON.stringify([...stopSeen])}`);

  // The surviving controller serves the next change: /v1 answers 200 until it moves, /v2 404 until it arrives.
  const moving = startPathTraffic(t, ['/v1/hello', '/v2/hello'], async (path) => (await get(path)).status);
  await waitFor(() => moving.answers.includes('/v2/hello 404'), { what: '/v2 to be asked before the change' });
  await put(consul, 'gateway.networking.k8s.io/v1/HTTPRoute/default/web', echoRoute('/v2'));
  await waitFor(() => moving.answers.includes('/v2/hello 200'), { timeoutMs: 15_000, what: 'the changed route through the other controller' });
  await moving.stop();
  const v1 = phases(moving.answers, '/v1/hello');
  assert.ok(v1.join() === '200' || v1.join() === '200,404', `/v1: ${v1.join(' → ')}`);
  assert.deepEqual(phases(moving.answers, '/v2/hello'), ['404', '200']);
  const total = [...stopSeen.values()].reduce((a, b) => a + b, 0) + moving.answers.length;
  t.diagnostic(`${total} requests during the controller stop and the route change, none failed`);
});
