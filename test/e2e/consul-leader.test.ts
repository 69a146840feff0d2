// The README's HA details against a real Consul agent, each checked on the event that shows it (no sleeps):
// a leader that stops releases the lock at once (the follower takes over far sooner than lock-delay), a leader
// that cannot renew its session stops writing statuses until it leads again, and a deposed but live leader's write
// is fenced out by Consul (check-session on the lock) while the new leader's goes through.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { Controller } from '../../src/app/controller.ts';
import { connectConsul } from '../../src/consul/client.ts';
import type { StatusRecord } from '../../src/status/record.ts';
import { consulStatusTarget } from '../../src/status/consul-target.ts';
import { waitFor } from '../support/components.ts';
import { startConsul, type ConsulAgent } from '../support/consul.ts';
import { backend, fill, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { captureLogs, type CapturedLogs } from '../support/logs.ts';

const LOCK_KEY = 'portico-status/.leader';
const ROUTE_KEY = 'portico/gateway.networking.k8s.io/v1/HTTPRoute/default/web';
const ROUTE_STATUS_KEY = 'portico-status/gateway.networking.k8s.io/HTTPRoute/default/web';
const LEADS = 'leader election: this controller leads (writes statuses)';
const NOT_LEADER = 'leader election: no longer the leader';

async function put(consul: ConsulAgent, key: string, body: string): Promise<void> {
  assert.equal((await consul.fetch(`/v1/kv/${key}`, { method: 'PUT', body })).status, 200);
}

async function modifyIndexOf(consul: ConsulAgent, key: string): Promise<number> {
  return ((await (await consul.fetch(`/v1/kv/${key}`)).json()) as Array<{ ModifyIndex: number }>)[0]?.ModifyIndex ?? 0;
}

async function lockSession(consul: ConsulAgent): Promise<string | undefined> {
  const res = await consul.fetch(`/v1/kv/${LOCK_KEY}`);
  return res.status === 200 ? ((await res.json()) as Array<{ Session?: string }>)[0]?.Session : undefined;
}

const routeAt = (path: string) => route('web', `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]\n      backendRefs:\n${backend('a')}`);

async function seed(consul: ConsulAgent): Promise<void> {
  await put(consul, 'portico/gateway.networking.k8s.io/v1/GatewayClass/portico', GATEWAY.split('---')[0] ?? '');
  await put(consul, 'portico/gateway.networking.k8s.io/v1/Gateway/default/gw', fill(GATEWAY.split('---')[1] ?? '', { PORT: 18080 }));
  await put(consul, 'portico/gloo.solo.io/v1/Upstream/default/a', fill(upstream('a'), { a: 18081 }));
  await put(consul, ROUTE_KEY, routeAt('/v1'));
}

/** An in-process controller on Consul KV with its own captured log; stopped after the test unless stopped before. */
interface TestController {
  c: Controller;
  logs: CapturedLogs;
  /** Stops it (once; also after the test). */
  stop(): Promise<void>;
  /** How many times it logged `msg`. */
  said(msg: string): number;
  /** When (ms since the epoch) it logged `msg` for the `nth` time (0-based). */
  loggedAt(msg: string, nth: number): number;
}

async function controller(t: TestContext, consul: ConsulAgent, lockDelaySeconds: number): Promise<TestController> {
  const logs = captureLogs('info');
  const c = new Controller({
    consulKv: { rootKey: 'portico', statusPrefix: 'portico-status' },
    consul: { address: consul.api },
    leaderElection: { ttlSeconds: 20, lockDelaySeconds },
    xdsAddress: '127.0.0.1:0',
    adminAddress: '127.0.0.1:0',
    logger: logs.logger,
  });
  await c.start();
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= c.stop());
  t.after(stop);
  const entries = (msg: string) => logs.entries.filter((e) => e.msg === msg);
  return { c, logs, stop, said: (msg) => entries(msg).length, loggedAt: (msg, nth) => Number(entries(msg)[nth]?.time) };
}

async function statusGeneration(consul: ConsulAgent): Promise<number | undefined> {
  const res = await consul.fetch(`/v1/kv/${ROUTE_STATUS_KEY}?raw`);
  return res.status === 200 ? (parse(await res.text()) as { generation?: number }).generation : undefined;
}

test('HA: a leader that stops releases the lock at once: the follower leads long before the lock-delay', { timeout: 120_000 }, async (t) => {
  const LOCK_DELAY_S = 15; // what a session destroyed without a release would keep the lock for
  const consul = await startConsul(t);
  await seed(consul);
  const a = await controller(t, consul, LOCK_DELAY_S);
  await waitFor(() => a.said(LEADS) === 1, { timeoutMs: 30_000, what: 'A to lead' });
  const b = await controller(t, consul, LOCK_DELAY_S);
  await waitFor(async () => (await statusGeneration(consul)) !== undefined, { what: 'A to write statuses' });
  assert.equal(b.said(LEADS), 0, 'B follows while A leads');

  const stoppedAt = Date.now();
  await a.stop();
  await waitFor(() => b.said(LEADS) === 1, { timeoutMs: 60_000, intervalMs: 50, what: 'B to lead' });
  const tookOver = Date.now() - stoppedAt;
  t.diagnostic(`B led ${tookOver} ms after A stopped (lock-delay ${LOCK_DELAY_S} s, ttlSeconds 20)`);
  assert.ok(tookOver < (LOCK_DELAY_S * 1000) / 2, `took ${tookOver} ms: the lock was not released, only its session ended`);
});

test('HA: a leader that cannot renew its session stops writing statuses until it leads again', { timeout: 120_000 }, async (t) => {
  const LOCK_DELAY_S = 5; // how long Consul keeps the freed lock from the same controller's next session
  const consul = await startConsul(t);
  await seed(consul);
  const a = await controller(t, consul, LOCK_DELAY_S);
  await waitFor(() => a.said(LEADS) === 1, { timeoutMs: 30_000, what: 'A to lead' });
  const first = await modifyIndexOf(consul, ROUTE_KEY);
  await waitFor(async () => (await statusGeneration(consul)) === first, { what: `A to write generation ${first}` });

  // Every change of the route's status in Consul, when it happened (a blocking query follows the key).
  const changes: { at: number; generation: number | undefined }[] = [];
  let watching = true;
  const watcher = (async () => {
    let index = await modifyIndexOf(consul, ROUTE_STATUS_KEY);
    while (watching) {
      const res = await consul.fetch(`/v1/kv/${ROUTE_STATUS_KEY}?index=${index}&wait=1s`).catch(() => undefined);
      const next = Number(res?.headers.get('x-consul-index') ?? index);
      if (res?.status === 200 && next !== index) {
        const [entry] = (await res.json()) as Array<{ Value: string | null }>;
        changes.push({ at: Date.now(), generation: (parse(Buffer.from(entry?.Value ?? '', 'base64').toString()) as { generation?: number })?.generation });
      }
      index = next;
    }
  })();
  t.after(async () => {
    watching = false;
    await watcher;
  });

  // The operator (or Consul) ends A's session: A's next renewal gets 404, so A knows it cannot renew.
  const session = await lockSession(consul);
  assert.ok(session, 'A holds the lock');
  assert.equal((await consul.fetch(`/v1/session/destroy/${session}`, { method: 'PUT' })).status, 200);
  await waitFor(() => a.said(NOT_LEADER) === 1, { timeoutMs: 30_000, what: 'A to step down once its renewal fails' });
  const steppedDown = a.loggedAt(NOT_LEADER, 0);

  // An edit while A does not lead: A computes the new status (every controller does) but must not write it.
  await put(consul, ROUTE_KEY, routeAt('/v2'));
  const edited = await modifyIndexOf(consul, ROUTE_KEY);
  const generationInA = async () => ((await (await fetch(`http://127.0.0.1:${a.c.adminPort}/debug/statuses`)).json()) as StatusRecord[]).find((r) => r.key === 'gateway.networking.k8s.io/HTTPRoute/default/web')?.generation;
  await waitFor(async () => (await generationInA()) === edited, { what: `A to compute generation ${edited}` });

  // After the lock-delay A's new session takes the lock again and writes what it computed meanwhile.
  await waitFor(() => a.said(LEADS) === 2, { timeoutMs: 60_000, what: 'A to lead again' });
  const ledAgain = a.loggedAt(LEADS, 1); // when A logged it, not when this test noticed
  await waitFor(async () => (await statusGeneration(consul)) === edited, { what: `A to write generation ${edited} once it leads` });
  const written = changes.find((c) => c.generation === edited);
  t.diagnostic(`stepped down, led again ${ledAgain - steppedDown} ms later (lock-delay ${LOCK_DELAY_S} s); the edit's status landed ${written ? written.at - ledAgain : '?'} ms after that`);
  assert.ok(written && written.at >= ledAgain, `the edit's status was written only once A led again (changes: ${JSON.stringify(changes)}, led again at ${ledAgain})`);
  assert.deepEqual(changes.map((c) => c.generation), [edited], 'no other status write meanwhile');
  assert.ok(!a.logs.text().includes('writing statuses'), 'no status write was even tried while A did not lead');
});

test('HA: a deposed but live leader is fenced out by Consul; the new leader writes', { timeout: 60_000 }, async (t) => {
  const consul = await startConsul(t);
  const connection = connectConsul({ address: consul.api });
  t.after(() => connection.close());
  // A session is tied to the node's serfHealth check, which a just-started agent may not have registered yet
  // (Consul answers "apply failed: …" under load): ask again until it is created.
  const session = async (name: string) => {
    let id = '';
    await waitFor(async () => {
      const res = await consul.fetch('/v1/session/create', { method: 'PUT', body: JSON.stringify({ Name: name, LockDelay: '0s', TTL: '60s' }) });
      const text = await res.text();
      if (res.status === 200) id = (JSON.parse(text) as { ID: string }).ID;
      return id !== '';
    }, { timeoutMs: 30_000, what: `a Consul session for '${name}'` });
    return id;
  };
  const acquire = async (id: string) => (await (await consul.fetch(`/v1/kv/${LOCK_KEY}?acquire=${id}`, { method: 'PUT', body: 'holder' })).json()) as boolean;
  const [old, next] = [await session('deposed'), await session('new leader')];
  assert.equal(await acquire(old), true);
  // Deposed: the lock moves to another session, while the old leader still believes it leads.
  assert.equal((await consul.fetch(`/v1/kv/${LOCK_KEY}?release=${old}`, { method: 'PUT', body: 'holder' })).status, 200);
  assert.equal(await acquire(next), true);

  const target = (held: string) => consulStatusTarget({ consul: connection, prefix: 'portico-status', lockKey: LOCK_KEY, fence: () => ({ key: LOCK_KEY, session: held }) });
  const key = 'portico-status/gateway.networking.k8s.io/HTTPRoute/default/web';
  await assert.rejects(target(old).apply({ put: new Map([[key, 'from the deposed leader\n']]), remove: [] }), /statuses/);
  assert.equal((await consul.fetch(`/v1/kv/${key}`)).status, 404, "the deposed leader's write did not land");
  await target(next).apply({ put: new Map([[key, 'from the new leader\n']]), remove: [] });
  assert.equal(await (await consul.fetch(`/v1/kv/${key}?raw`)).text(), 'from the new leader\n');
});
