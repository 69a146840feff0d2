// One AuthConfig that cannot compile (a JWKS of `{"keys":[1]}`) with a real Envoy and the ext-auth service: its
// routes fail closed (denied, even with a token its last good version accepted), its status says why, and an edit
// of another AuthConfig in the same version (a revoked API key) still takes effect. Also: a token without `exp` is
// refused unless the provider opts out with `requireExpiration: false`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { waitFor } from '../support/components.ts';
import { extAuthSocket, startExtAuth } from '../support/extauth.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';

const rule = (name: string) => `    - name: ${name}
      matches: [{ path: { type: PathPrefix, value: /${name} } }]
      backendRefs:
${backend('echo')}`;

const option = (name: string) => `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: auth, sectionName: ${name} }]
  options:
    extauth: { configRef: { name: ${name} } }
`;

const configs = (key: string, jwks: string, good: string) => `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: keys, namespace: default }
spec:
  configs: [{ apiKeyAuth: { headerName: x-api-key, apiKeySecretRefs: [{ name: ${key} }] } }]
---
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: jwt, namespace: default }
spec:
  configs: [{ jwt: { providers: { local: { jwks: { local: { key: '${jwks}' } } } } } }]
---
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: noexp, namespace: default }
spec:
  configs: [{ jwt: { providers: { local: { jwks: { local: { key: '${good}' } }, requireExpiration: false } } } }]
`;

test('ext-auth: an AuthConfig that cannot compile denies its routes and says why; the others apply the same version', { timeout: 120_000 }, async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] });
  const token = await new SignJWT({ sub: 'ada' }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setExpirationTime('10m').sign(privateKey);
  const bearer = { authorization: `Bearer ${token}` };
  const forever = { authorization: `Bearer ${await new SignJWT({ sub: 'ada' }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).sign(privateKey)}` };
  const socket = await extAuthSocket(t);
  const gw = await startGateway(t, {
    files: {
      'gateway.yaml': GATEWAY,
      'upstream.yaml': upstream('echo'),
      'route.yaml': route('auth', [rule('keys'), rule('jwt'), rule('noexp')].join('\n')),
      'options.yaml': [option('keys'), option('jwt'), option('noexp')].join('---'),
      'auth.yaml': configs('key-a', jwks, jwks),
    },
    backends: ['echo'],
    controller: { extAuthAddress: socket },
  });
  await gw.write('.secrets/default/key-a/api-key', 'key-a-123');
  await gw.write('.secrets/default/key-b/api-key', 'key-b-456');
  await startExtAuth(t, socket, gw.controller.xdsPort);
  await gw.until('/keys', (r) => r.status === 200, { headers: { 'x-api-key': 'key-a-123' } });
  await gw.until('/jwt', (r) => r.status === 200, { headers: bearer });
  assert.equal((await gw.get('/jwt', { headers: forever })).status, 401, 'a token without exp');
  assert.equal((await gw.get('/noexp', { headers: forever })).status, 200, 'accepted where the provider opts out (requireExpiration: false)');

  // One edit, one version: key-a revoked for key-b, and the JWKS broken.
  await gw.write('auth.yaml', configs('key-b', '{"keys":[1]}', jwks));
  await gw.until('/keys', (r) => r.status === 401, { headers: { 'x-api-key': 'key-a-123' } });
  assert.equal((await gw.get('/keys', { headers: { 'x-api-key': 'key-b-456' } })).status, 200, 'the other AuthConfig applied the new version');
  await gw.until('/jwt', (r) => r.status === 403, { headers: bearer });
  assert.equal((await gw.get('/jwt')).status, 403, 'fails closed without a token too');

  let accepted: { status?: string; message?: string } | undefined;
  await waitFor(async () => {
    const s = await gw.status('enterprise.gloo.solo.io/AuthConfig/default/jwt');
    accepted = ((s?.status as { conditions?: { type: string; status: string; message: string }[] })?.conditions ?? []).find((c) => c.type === 'Accepted');
    return accepted?.status === 'False';
  }, { what: () => `AuthConfig default/jwt Accepted=False (last: ${JSON.stringify(accepted)})` });
  assert.match(accepted?.message ?? '', /JSON Web Key Set|JWKS/i);
  assert.equal((await gw.get('/jwt', { headers: bearer })).status, 403, 'still denied');
});
