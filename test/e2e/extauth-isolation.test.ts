// ext-auth with a real Envoy and the service: a token without `exp` is refused unless its provider opts out
// (YAML → validate → IR → service → Envoy); and one AuthConfig the service cannot compile fails closed (denied,
// even with a token its last good version accepted) while an edit of another AuthConfig in the same version (a
// revoked API key) takes effect, and the version's NACK names it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { AuthConfigIr } from '../../src/contracts/extauth.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { SnapshotCache } from '../../src/xds/cache/snapshot-cache.ts';
import { TYPE_URLS } from '../../src/xds/resources.ts';
import { AdsServer } from '../../src/xds/server/ads.ts';
import type { NackEvent } from '../../src/xds/server/stream.ts';
import { type JsonObject, SERVICE_NODE_KEYS } from '../../src/contracts/service-config.ts';
import { serviceConfigResources } from '../../src/xds/service-config.ts';
import { waitFor } from '../support/components.ts';
import { extAuthSocket, startExtAuth } from '../support/extauth.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';

const NAMES = ['keys', 'jwt', 'noexp'];

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

const authConfig = (name: string, step: string) => `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: ${name}, namespace: default }
spec:
  configs: [${step}]
`;

const jwtStep = (jwks: string, extra = '') => `{ jwt: { providers: { local: { jwks: { local: { key: '${jwks}' } }${extra} } } } }`;

async function keyPair() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] });
  const sign = async (exp?: string) => {
    const jwt = new SignJWT({ sub: 'ada' }).setProtectedHeader({ alg: 'ES256', kid: 'k' });
    return { authorization: `Bearer ${await (exp ? jwt.setExpirationTime(exp) : jwt).sign(privateKey)}` };
  };
  return { jwks, sign };
}

async function gateway(t: TestContext, configs: string) {
  const socket = await extAuthSocket(t);
  const gw = await startGateway(t, {
    files: {
      'gateway.yaml': GATEWAY,
      'upstream.yaml': upstream('echo'),
      'route.yaml': route('auth', NAMES.map(rule).join('\n')),
      'options.yaml': NAMES.map(option).join('---'),
      'auth.yaml': configs,
    },
    backends: ['echo'],
    controller: { extAuthAddress: socket },
  });
  return { gw, socket };
}

test('ext-auth: a token without exp is refused, and accepted where its provider says requireExpiration: false', { timeout: 120_000 }, async (t) => {
  const { jwks, sign } = await keyPair();
  const { gw, socket } = await gateway(t, [authConfig('jwt', jwtStep(jwks)), authConfig('noexp', jwtStep(jwks, ', requireExpiration: false'))].join('---'));
  await startExtAuth(t, socket, gw.controller.xdsPort);
  await gw.until('/jwt', (r) => r.status === 200, { headers: await sign('10m') });
  assert.equal((await gw.get('/jwt', { headers: await sign() })).status, 401, 'no exp');
  assert.equal((await gw.get('/noexp', { headers: await sign() })).status, 200, 'no exp, opted out');
  assert.equal((await gw.get('/noexp', { headers: await sign('-1m') })).status, 401, 'expired, opted out or not');
});

test('ext-auth: an AuthConfig the service cannot compile denies its routes and is NACKed by name; the others apply the same version', { timeout: 120_000 }, async (t) => {
  const { jwks, sign } = await keyPair();
  // The controller validates a JWKS as the service compiles it, so a bad one reaches the service only from a
  // controller of another version (an upgrade in progress): a Portico ADS server here plays that controller for the
  // service, while the gateway's own controller programs Envoy.
  const { gw, socket } = await gateway(t, NAMES.map((n) => authConfig(n, '{ apiKeyAuth: { apiKeySecretRefs: [{ name: key-a }] } }')).join('---'));
  const cache = new SnapshotCache();
  const ads = new AdsServer({ cache, logger: silentLogger });
  const port = await ads.listen('127.0.0.1', 0);
  t.after(() => ads.close());
  const nacks: NackEvent[] = [];
  ads.on('nack', (e: NackEvent) => nacks.push(e));
  const serve = (key: string, jwksText: string) => {
    const keys: AuthConfigIr = { name: 'default/keys', steps: [{ name: 'k', apiKey: { header: 'api-key', keys: [{ key, secret: 'default/s', metadata: {} }], headersFromMetadata: [] } }] };
    const jwt: AuthConfigIr = {
      name: 'default/jwt',
      steps: [{ name: 'j', jwt: { providers: [{ name: 'local', jwks: { inline: jwksText }, sources: [{ header: 'authorization', prefix: 'Bearer ' }], claimsToHeaders: [], clockSkewSeconds: 0 }] } }],
    };
    cache.set(SERVICE_NODE_KEYS.extauth, { [TYPE_URLS.serviceConfig]: serviceConfigResources([keys, jwt].map((c) => ({ name: c.name, config: c as unknown as JsonObject }))) });
  };
  serve('key-a-123', jwks);
  await startExtAuth(t, socket, port);
  const bearer = await sign('10m');
  await gw.until('/keys', (r) => r.status === 200, { headers: { 'api-key': 'key-a-123' } });
  await gw.until('/jwt', (r) => r.status === 200, { headers: bearer });

  // One version: key-a revoked for key-b, and the JWKS broken.
  serve('key-b-456', '{"keys":[1]}');
  await gw.until('/keys', (r) => r.status === 401, { headers: { 'api-key': 'key-a-123' } });
  assert.equal((await gw.get('/keys', { headers: { 'api-key': 'key-b-456' } })).status, 200, 'the other AuthConfig applied the new version');
  await gw.until('/jwt', (r) => r.status === 403, { headers: bearer });
  assert.equal((await gw.get('/jwt')).status, 403, 'fails closed without a token too');
  await waitFor(() => nacks.length > 0, { what: 'the NACK of the version' });
  assert.equal(nacks[0]?.message, 'applied without 1 item(s):\nAuthConfig default/jwt: JSON Web Key Set malformed');
});
