// Consul with ACLs on (default deny): the controller works with a token made from the least-privilege
// policy in consul/portico-controller.hcl, and a token that lacks a rule (key read on the root, session
// write for the leader lock, key write on the status prefix for the status transactions), or that Consul
// does not know, shows up as degraded health that says which rule is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LeaderElectionConfig } from '../../src/app/config.ts';
import { Controller } from '../../src/app/controller.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { waitFor } from '../support/components.ts';
import { aclToken, controllerToken, startConsul } from '../support/consul.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';

const KV = { consulKv: { rootKey: 'portico', statusPrefix: 'portico-status' } };
const READ_ROOT = 'key_prefix "portico/" { policy = "read" }\n';
const SESSIONS = 'session_prefix "" { policy = "write" }\n';

test('ACLs: the least-privilege policy is enough; a missing rule or an unknown token is named in /healthz', { timeout: 180_000 }, async (t) => {
  const consul = await startConsul(t, { acl: true });
  const gw = await startGateway(t, { backends: ['a'], files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': upstream('a') }, controller: { ...KV, consul: { address: consul.api, token: await controllerToken(consul) } } });
  const body = route('web', `    - matches: [{ path: { type: PathPrefix, value: /web } }]\n      backendRefs:\n${backend('a')}`);
  assert.equal((await consul.fetch('/v1/kv/portico/gateway.networking.k8s.io/v1/HTTPRoute/default/web', { method: 'PUT', body })).status, 200);
  await gw.until('/web', (r) => r.status === 200);
  await waitFor(async () => (await consul.fetch('/v1/kv/portico-status/gateway.networking.k8s.io/HTTPRoute/default/web?raw')).status === 200, {
    what: 'the status written with the policy token (leader election and status writes allowed)',
  });
  assert.deepEqual(await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/healthz`)).json(), { status: 'ok', degraded: [] });

  /** A second controller with this token; resolves to its degraded health once an entry matches. */
  const degraded = async (token: string, match: RegExp, leaderElection: Partial<LeaderElectionConfig> = {}) => {
    const c = new Controller({ ...KV, consul: { address: consul.api, token }, leaderElection, xdsAddress: '127.0.0.1:0', adminAddress: '127.0.0.1:0', logger: silentLogger });
    await c.start();
    t.after(() => c.stop());
    let shown: string[] = [];
    await waitFor(async () => (shown = ((await (await fetch(`http://127.0.0.1:${c.adminPort}/healthz`)).json()) as { degraded: string[] }).degraded).some((d) => match.test(d)), {
      what: () => `degraded health matching ${match} (shown: ${JSON.stringify(shown)})`,
    });
    return shown;
  };
  const at = 'at http://127\\.0\\.0\\.1:\\d+';

  // No read on the root key: Consul hides the keys (no 403); Portico says which rule is missing.
  const noRead = await aclToken(consul, 'no-read', `key_prefix "portico-status/" { policy = "write" }\n${SESSIONS}`);
  await degraded(noRead, new RegExp(`^consul KV source: permission denied reading portico/ ${at}; the token needs key_prefix "portico/" \\{ policy = "read" \\}`));

  // No session write: the leader lock cannot be taken (Consul answers 403 to the session create).
  const noSession = await aclToken(consul, 'no-session', `${READ_ROOT}key_prefix "portico-status/" { policy = "write" }\n`);
  await degraded(noSession, new RegExp(`^leader election: permission denied creating a leader-election session ${at} \\(Consul: lacks permission 'session:write' on "portico-test"\\); the token needs session_prefix "" \\{ policy = "write" \\}$`));

  // Read instead of write on the status prefix (but its own lock, so it leads): the status transaction is
  // refused, which Consul answers with 409 and "Permission denied" in Errors[].What, not with a 403.
  const readStatuses = await aclToken(consul, 'read-statuses', `${READ_ROOT}${SESSIONS}key_prefix "portico-status/" { policy = "read" }\nkey "portico-status/.leader-b" { policy = "write" }\n`);
  await degraded(
    readStatuses,
    new RegExp(`^writing statuses to ${at.slice(3)} portico-status/ failed: permission denied writing statuses under portico-status/\\S+ ${at} \\(Consul: lacks permission 'key:write' on "portico-status/[^"]+"\\); the token needs key_prefix "portico-status/" \\{ policy = "write" \\}$`),
    { key: 'portico-status/.leader-b' },
  );

  await degraded('00000000-0000-0000-0000-000000000000', /Consul does not know the token \(ACL not found\)/);
});
