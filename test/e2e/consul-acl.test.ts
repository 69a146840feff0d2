// Consul with ACLs on (default deny): the controller works with a token made from the least-privilege
// policy in consul/portico-controller.hcl, and a token that lacks a rule, or that Consul does not know,
// shows up as degraded health that says which rule is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Controller } from '../../src/app/controller.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { waitFor } from '../support/components.ts';
import { startConsul, type ConsulAgent } from '../support/consul.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';

const POLICY = resolve(import.meta.dirname, '../../consul/portico-controller.hcl');
const KV = { consulKv: { rootKey: 'portico', statusPrefix: 'portico-status' } };

async function acl(consul: ConsulAgent, path: string, body: unknown): Promise<Record<string, string>> {
  const res = await fetch(`${consul.api}/v1/acl/${path}`, { method: 'PUT', headers: { 'x-consul-token': consul.managementToken ?? '' }, body: JSON.stringify(body) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text) as Record<string, string>;
}

async function tokenFor(consul: ConsulAgent, name: string, rules: string): Promise<string> {
  await acl(consul, 'policy', { Name: name, Rules: rules });
  return (await acl(consul, 'token', { Description: name, Policies: [{ Name: name }] })).SecretID as string;
}

test('ACLs: the least-privilege policy is enough; a missing rule or an unknown token is named in /healthz', { timeout: 120_000 }, async (t) => {
  const consul = await startConsul(t, { acl: true });
  const token = await tokenFor(consul, 'portico-controller', await readFile(POLICY, 'utf8'));
  const gw = await startGateway(t, { backends: ['a'], files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': upstream('a') }, controller: { ...KV, consul: { address: consul.api, token } } });
  const admin = { 'x-consul-token': consul.managementToken ?? '' };
  const body = route('web', `    - matches: [{ path: { type: PathPrefix, value: /web } }]\n      backendRefs:\n${backend('a')}`);
  assert.equal((await fetch(`${consul.api}/v1/kv/portico/gateway.networking.k8s.io/v1/HTTPRoute/default/web`, { method: 'PUT', headers: admin, body })).status, 200);
  await gw.until('/web', (r) => r.status === 200);
  await waitFor(async () => (await fetch(`${consul.api}/v1/kv/portico-status/gateway.networking.k8s.io/HTTPRoute/default/web?raw`, { headers: admin })).status === 200, {
    what: 'the status written with the policy token (leader election and status writes allowed)',
  });
  assert.deepEqual(await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/healthz`)).json(), { status: 'ok', degraded: [] });

  // A token without read on the root key: Consul hides the keys (no 403); Portico says which rule is missing.
  const noRead = await tokenFor(consul, 'no-read', 'key_prefix "portico-status/" { policy = "write" }\nsession_prefix "" { policy = "write" }\n');
  const degraded = async (token: string) => {
    const c = new Controller({ ...KV, consul: { address: consul.api, token }, xdsAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0', logger: silentLogger });
    await c.start();
    t.after(() => c.stop());
    let shown: string[] = [];
    await waitFor(async () => (shown = ((await (await fetch(`http://127.0.0.1:${c.adminPort}/healthz`)).json()) as { degraded: string[] }).degraded).length > 0, { what: 'degraded health' });
    return shown.join('\n');
  };
  assert.match(await degraded(noRead), /permission denied reading portico\/ at http:\/\/127\.0\.0\.1:\d+; the token needs key_prefix "portico\/" read/);
  assert.match(await degraded('00000000-0000-0000-0000-000000000000'), /Consul does not know the token \(ACL not found\)/);
});
