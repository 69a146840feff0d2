// Auth that cannot be resolved fails closed, with a real Envoy and Portico's ext-auth service: deleting the
// RouteOption that carried `extauth` (named by an ExtensionRef) turns its rule into 500s, not into an open
// route; deleting the AuthConfig denies with 403; another team's AuthConfig is used only once its namespace
// grants it, while the refusal in between denies too; and another team's API keys (named, or picked by a label
// selector) open nothing until that team grants them. Each step says why in a status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/components.ts';
import { extAuthSocket, startExtAuth } from '../support/extauth.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const TEST_USER = basic('test', 'test123');

const ROUTE = route(
  'guarded',
  `    - matches: [{ path: { type: PathPrefix, value: /guarded } }]
      filters:
        - type: ExtensionRef
          extensionRef: { group: gateway.solo.io, kind: RouteOption, name: guard }
      backendRefs:
${backend('echo')}`,
);

const option = (configRef: string) => `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: guard, namespace: default }
spec: { options: { extauth: { configRef: ${configRef} } } }
`;

const authConfig = (namespace: string) => `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: basic-auth, namespace: ${namespace} }
spec:
  configs:
    - basicAuth:
        realm: gloo
        apr: { users: { test: { salt: n28wuo5p, hashedPassword: NLFTUNkXaht0g/2GJjUM51 } } }
`;

const GRANT = `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: default-options, namespace: team-a }
spec:
  from: [{ group: gateway.solo.io, kind: RouteOption, namespace: default }]
  to: [{ group: enterprise.gloo.solo.io, kind: AuthConfig }]
`;

/** default's AuthConfig naming team-a's Secret team-a/key, and selecting team-a's Secrets labelled `team: a`. */
const KEYS = `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: keys, namespace: default }
spec:
  configs:
    - apiKeyAuth:
        apiKeySecretRefs: [{ name: key, namespace: team-a }]
        labelSelector: { team: a }
`;

const SECRETS_GRANT = `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: default-authconfigs, namespace: team-a }
spec:
  from: [{ group: enterprise.gloo.solo.io, kind: AuthConfig, namespace: default }]
  to: [{ group: '', kind: Secret }]
`;

type Conditions = { type: string; status: string; reason: string; message: string }[];

/** Every condition in a status, at any depth (a route's are per parent). */
function conditionsIn(v: unknown): Conditions {
  if (Array.isArray(v)) return v.flatMap(conditionsIn);
  if (!v || typeof v !== 'object') return [];
  const o = v as Record<string, unknown>;
  const own = typeof o.type === 'string' && typeof o.reason === 'string' ? [o as unknown as Conditions[number]] : [];
  return [...own, ...Object.values(o).flatMap(conditionsIn)];
}

/** Waits until a condition of the resource's status (anywhere in it) has this type and reason. */
async function condition(gw: GatewayEnv, key: string, type: string, reason: string) {
  let found: Conditions[number] | undefined;
  await waitFor(async () => {
    found = conditionsIn(await gw.status(key)).find((c) => c.type === type && c.reason === reason);
    return found !== undefined;
  }, { timeoutMs: 10_000, what: `${key}: ${type} ${reason}` });
  return found as Conditions[number];
}

test('auth that no longer resolves denies (500 for a deleted ExtensionRef RouteOption, 403 for a missing or refused AuthConfig), and refused API keys open nothing', async (t) => {
  const socket = await extAuthSocket(t);
  const gw = await startGateway(t, {
    files: {
      'gateway.yaml': GATEWAY,
      'upstream.yaml': upstream('echo'),
      'route.yaml': ROUTE,
      'option.yaml': option('{ name: basic-auth }'),
      'auth.yaml': authConfig('default'),
    },
    backends: ['echo'],
    controller: { extAuthAddress: socket },
  });
  await startExtAuth(t, socket, gw.controller.xdsPort);

  await gw.until('/guarded', (r) => r.status === 401);
  assert.equal((await gw.get('/guarded', { headers: TEST_USER })).status, 200);

  await t.test('the RouteOption is deleted: 500, never served unchecked', async () => {
    await gw.remove('option.yaml');
    await gw.until('/guarded', (r) => r.status === 500, { headers: TEST_USER });
    const why = await condition(gw, 'gateway.networking.k8s.io/HTTPRoute/default/guarded', 'ResolvedRefs', 'RouteOptionNotFound');
    assert.match(why.message, /RouteOption default\/guard not found/);
    await gw.write('option.yaml', option('{ name: basic-auth }'));
    await gw.until('/guarded', (r) => r.status === 401);
  });

  await t.test('the AuthConfig is deleted: 403 from Envoy', async () => {
    await gw.remove('auth.yaml');
    await gw.until('/guarded', (r) => r.status === 403, { headers: TEST_USER });
    await condition(gw, 'gateway.solo.io/RouteOption/default/guard', 'ResolvedRefs', 'AuthConfigNotFound');
    await condition(gw, 'gateway.networking.k8s.io/HTTPRoute/default/guarded', 'ResolvedRefs', 'AuthConfigNotResolved');
  });

  await t.test("another team's AuthConfig: denied until its namespace grants it, then used", async () => {
    await gw.write('team-a.yaml', authConfig('team-a'));
    await gw.write('option.yaml', option('{ name: basic-auth, namespace: team-a }'));
    await condition(gw, 'gateway.solo.io/RouteOption/default/guard', 'ResolvedRefs', 'RefNotPermitted');
    assert.equal((await gw.get('/guarded', { headers: TEST_USER })).status, 403, 'refused: denied, not checked against team-a');
    await gw.write('grant.yaml', GRANT);
    await gw.until('/guarded', (r) => r.status === 200, { headers: TEST_USER });
    assert.equal((await gw.get('/guarded')).status, 401);
  });

  await t.test("another team's API keys, named or selected by label, open nothing until that team grants them", async () => {
    await gw.write('.secrets/team-a/key/api-key', 'team-a-key-123');
    await gw.write('.secrets/team-a/labelled/api-key', 'team-a-key-456');
    await gw.write('.secrets/team-a/labelled/.labels', 'team: a\n');
    await gw.write('auth.yaml', KEYS);
    await gw.write('option.yaml', option('{ name: keys }'));
    await gw.until('/guarded', (r) => r.status === 401, { headers: { 'api-key': 'team-a-key-123' } });
    const refused = await condition(gw, 'enterprise.gloo.solo.io/AuthConfig/default/keys', 'ResolvedRefs', 'RefNotPermitted');
    assert.doesNotMatch(refused.message, /labelled|team-a-key/, 'the selector refuses silently, and no value shows');
    assert.equal((await gw.get('/guarded', { headers: { 'api-key': 'team-a-key-456' } })).status, 401);
    await gw.write('grant-secrets.yaml', SECRETS_GRANT);
    await gw.until('/guarded', (r) => r.status === 200, { headers: { 'api-key': 'team-a-key-123' } });
    assert.equal((await gw.get('/guarded', { headers: { 'api-key': 'team-a-key-456' } })).status, 200);
  });
});
