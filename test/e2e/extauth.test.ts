// External authorization with a real Envoy and Portico's ext-auth service (on a Unix socket, configured live by the
// controller): the walkthrough's basic auth, htpasswd entries of each kind, API keys, JWT, pass-through services,
// all-of/any-of, a live change under load, and what happens when the service is down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';
import { extAuthSocket, startExtAuth, startGrpcAuthService, startHttpAuthService, startJwtIssuer } from '../support/extauth.ts';
import type { HttpResult } from '../support/http.ts';
import { waitFor } from '../support/components.ts';
import { phases, startTraffic } from '../support/traffic.ts';

const ISSUER = 'https://issuer.portico.test';
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

/** A rule named `name` matching `/<name>`, forwarding to the echo upstream. */
const rule = (name: string) => `    - name: ${name}
      matches: [{ path: { type: PathPrefix, value: /${name} } }]
      backendRefs:
${backend('echo')}`;

/** The walkthrough's way: the HTTPRoute rule refers to the RouteOption with an ExtensionRef filter. */
const WALKTHROUGH_RULE = `    - name: basic
      matches: [{ path: { type: PathPrefix, value: /basic } }]
      filters:
        - type: ExtensionRef
          extensionRef: { group: gateway.solo.io, kind: RouteOption, name: basic-auth }
      backendRefs:
${backend('echo')}`;

const WALKTHROUGH_OPTION = `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: basic-auth, namespace: default }
spec:
  options:
    extauth:
      configRef:
        name: basic-auth
        namespace: default
`;

/** Every other path: no RouteOption, so the virtual host's AuthConfig applies. */
const CATCH_ALL = `    - backendRefs:
${backend('echo')}`;

const RULES = ['htpasswd', 'apikey', 'jwt', 'http-pass', 'grpc-pass', 'anyof', 'allof', 'open', 'ghost', 'public'];

const routeOption = (ruleName: string, extauth: string) => `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: ${ruleName}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: auth, sectionName: ${ruleName} }]
  options:
    extauth: ${extauth}
`;

const authConfig = (name: string, spec: string) => `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: ${name}, namespace: default }
spec:
${spec}`;

// The walkthrough's AuthConfig, as it is written there.
const WALKTHROUGH = authConfig(
  'basic-auth',
  `  configs:
  - basicAuth:
      apr:
        users:
          test:
            hashedPassword: NLFTUNkXaht0g/2GJjUM51
            salt: n28wuo5p
      realm: gloo
`,
);

const HTPASSWD = [
  'alice:$apr1$abcdefgh$Zo4a.zRe7RtZNr9rQ8xtC1',
  'bob:$2y$04$dZjReJH7S66bVQJurxR9qeW7Vg2S1mrtiHawURRcHQy4xEZvOag3K',
  'carol:{SHA}hsAaMBat8aKiQgxhKhAqvbXOPbw=',
  'dave:$2b$04$JMTt7A.cTAwi1AkCmvZPduBNd9VQHU.dytPEHH.qHDfDJG1ZLP7ri',
].join('\n');

function configs(jwksUrl: string, httpAuth: string, grpcAuth: string): string {
  return [
    WALKTHROUGH,
    authConfig('htpasswd', '  configs: [{ basicAuth: { realm: files, htpasswd: { secretRef: { name: users } } } }]\n'),
    authConfig(
      'apikey',
      '  configs: [{ apiKeyAuth: { headerName: x-api-key, labelSelector: { team: infra }, headersFromMetadataEntry: { x-organization: { name: organization } } } }]\n',
    ),
    authConfig(
      'jwt',
      `  configs:
    - jwt:
        providers:
          test:
            issuer: ${ISSUER}
            audiences: [portico]
            jwks: { remote: { url: "${jwksUrl}", timeout: 2s } }
            claimsToHeaders: [{ claim: sub, header: x-user }]
            requiredClaims: { scope: read }
`,
    ),
    authConfig('http-pass', `  configs: [{ passThroughAuth: { http: { url: "${httpAuth}", request: { allowedHeaders: [x-pass] }, response: { allowedUpstreamHeaders: [x-auth-user] } } } }]\n`),
    authConfig('grpc-pass', `  configs: [{ passThroughAuth: { grpc: { address: "${grpcAuth}" } } }]\n`),
    authConfig(
      'anyof',
      `  booleanExpr: user || key
  configs:
    - { name: user, basicAuth: { realm: either, htpasswd: { secretRef: { name: users } } } }
    - { name: key, apiKeyAuth: { headerName: x-api-key, apiKeySecretRefs: [{ name: key-a }] } }
`,
    ),
    authConfig(
      'allof',
      `  configs:
    - { name: user, basicAuth: { realm: both, htpasswd: { secretRef: { name: users } } } }
    - { name: key, apiKeyAuth: { headerName: x-api-key, apiKeySecretRefs: [{ name: key-a }] } }
`,
    ),
    authConfig('open', '  failureModeAllow: true\n  configs: [{ apiKeyAuth: { headerName: x-api-key, apiKeySecretRefs: [{ name: key-a }] } }]\n'),
  ].join('---');
}

const OPTIONS = [
  WALKTHROUGH_OPTION,
  ...RULES.filter((r) => r !== 'public').map((r) => routeOption(r, `{ configRef: { name: ${r} } }`)),
  routeOption('public', '{ disable: true }'),
].join('---');

/** A VirtualHostOption checks every route with the walkthrough's AuthConfig unless the route says otherwise. */
const HOST_OPTION = `
apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata: { name: everything, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: gw }]
  options:
    extauth: { configRef: { name: basic-auth } }
`;

async function writeSecrets(gw: GatewayEnv): Promise<void> {
  await gw.write('.secrets/default/users/htpasswd', HTPASSWD);
  await gw.write('.secrets/default/key-a/api-key', 'key-a-123');
  await gw.write('.secrets/default/key-a/organization', 'solo.io');
  await gw.write('.secrets/default/key-a/.labels', 'team: infra\n');
  await gw.write('.secrets/default/key-b/api-key', 'key-b-456');
}

const status = (r: HttpResult) => r.status;

test('ext-auth: each auth type allows and denies, config changes apply live, and the service down fails closed', async (t) => {
  const socket = await extAuthSocket(t);
  const [issuer, httpAuth, grpcAuth] = await Promise.all([startJwtIssuer(t, ISSUER), startHttpAuthService(t), startGrpcAuthService(t)]);
  const gw = await startGateway(t, {
    files: {
      'gateway.yaml': GATEWAY,
      'upstream.yaml': upstream('echo'),
      'route.yaml': route('auth', [WALKTHROUGH_RULE, ...RULES.map(rule), CATCH_ALL].join('\n')),
      'auth.yaml': configs(issuer.jwksUrl, httpAuth, grpcAuth),
      'options.yaml': `${OPTIONS}---${HOST_OPTION}`,
    },
    backends: ['echo'],
    controller: { extAuthAddress: socket },
  });
  await writeSecrets(gw);
  const extauth = await startExtAuth(t, socket, gw.controller.xdsPort);

  await t.test('the walkthrough: no Authorization header → 401 with the realm; test:test123 → 200', async () => {
    const denied = await gw.until('/basic', (r) => r.status === 401);
    assert.equal(denied.headers['www-authenticate'], 'Basic realm="gloo"');
    assert.equal(status(await gw.get('/basic', { headers: basic('test', 'test123') })), 200);
    assert.equal(status(await gw.get('/basic', { headers: basic('test', 'wrong') })), 401);
  });

  await t.test('htpasswd from a Secret: $apr1$, bcrypt ($2y$, $2b$) and {SHA} entries', async () => {
    await gw.until('/htpasswd', (r) => r.status === 200, { headers: basic('alice', 'alice-pw') });
    for (const [user, password] of [['bob', 'bob-pw'], ['carol', 'carol-pw'], ['dave', 'dave-pw']] as const) {
      assert.equal(status(await gw.get('/htpasswd', { headers: basic(user, password) })), 200, user);
      assert.equal(status(await gw.get('/htpasswd', { headers: basic(user, 'nope') })), 401, user);
    }
  });

  await t.test('API keys by label: the Secret\'s metadata goes upstream as a header; unknown or missing → 401', async () => {
    const ok = await gw.until('/apikey', (r) => r.status === 200, { headers: { 'x-api-key': 'key-a-123', 'x-organization': 'forged' } });
    assert.equal(ok.json?.headers?.['x-organization'], 'solo.io');
    assert.equal(status(await gw.get('/apikey', { headers: { 'x-api-key': 'key-b-456' } })), 401, 'key-b has no label');
    assert.equal(status(await gw.get('/apikey')), 401);
  });

  await t.test('JWT: a valid token → 200 with its claim upstream; none, a bad one or another issuer\'s → 401; a claim rule failing → 403', async () => {
    const good = await issuer.sign({ sub: 'ada', scope: 'read write' });
    const ok = await gw.until('/jwt', (r) => r.status === 200, { headers: { authorization: `Bearer ${good}` } });
    assert.equal(ok.json?.headers?.['x-user'], 'ada');
    assert.equal(status(await gw.get('/jwt')), 401);
    assert.equal(status(await gw.get('/jwt', { headers: { authorization: `Bearer ${good.slice(0, -4)}AAAA` } })), 401);
    assert.equal(status(await gw.get('/jwt', { headers: { authorization: `Bearer ${await issuer.sign({ sub: 'ada' }, { audience: 'other' })}` } })), 401);
    const otherIssuer = await issuer.sign({ sub: 'ada', scope: 'read' }, { issuer: 'https://elsewhere.test' });
    assert.equal(status(await gw.get('/jwt', { headers: { authorization: `Bearer ${otherIssuer}` } })), 401, 'right key and claims, wrong issuer');
    assert.equal(status(await gw.get('/jwt', { headers: { authorization: `Bearer ${await issuer.sign({ sub: 'ada', scope: 'write' })}` } })), 403);
  });

  await t.test('pass-through to an HTTP and a gRPC auth service', async () => {
    for (const [path, who] of [['/http-pass', 'from-http'], ['/grpc-pass', 'from-grpc']]) {
      const ok = await gw.until(path as string, (r) => r.status === 200, { headers: { 'x-pass': 'yes' } });
      assert.equal(ok.json?.headers?.['x-auth-user'], who);
      assert.equal(status(await gw.get(path as string, { headers: { 'x-pass': 'no' } })), 403, path);
    }
  });

  await t.test('any-of and all-of; the first denial is what the client sees', async () => {
    const key = { 'x-api-key': 'key-a-123' };
    assert.equal(status(await gw.until('/anyof', (r) => r.status === 200, { headers: key })), 200);
    assert.equal(status(await gw.get('/anyof', { headers: basic('alice', 'alice-pw') })), 200);
    const neither = await gw.get('/anyof');
    assert.equal(neither.status, 401);
    assert.equal(neither.headers['www-authenticate'], 'Basic realm="either"');
    assert.equal(status(await gw.get('/allof', { headers: key })), 401);
    assert.equal(status(await gw.get('/allof', { headers: { ...key, ...basic('alice', 'alice-pw') } })), 200);
  });

  await t.test('the virtual host\'s AuthConfig covers other paths; a route may turn auth off; a missing AuthConfig denies', async () => {
    assert.equal(status(await gw.get('/elsewhere')), 401);
    assert.equal(status(await gw.get('/public')), 200);
    assert.equal(status(await gw.get('/ghost', { headers: basic('test', 'test123') })), 403);
  });

  await t.test('live changes (a Secret, an AuthConfig) apply without a restart or a failed request', async (st) => {
    // Counted per credential: key-b goes from 401 to 200 once its label is set; test:test123 stays 200 throughout.
    let next = 0;
    const load = startTraffic(st, async () =>
      next++ % 2 === 0
        ? `key-b ${status(await gw.get('/apikey', { headers: { 'x-api-key': 'key-b-456' } }))}`
        : `test ${status(await gw.get('/basic', { headers: basic('test', 'test123') }))}`,
    );
    await waitFor(() => load.answers.includes('key-b 401'), { what: 'key-b refused before it has the label' });
    await gw.write('.secrets/default/key-b/.labels', 'team: infra\n');
    await gw.until('/apikey', (r) => r.status === 200, { headers: { 'x-api-key': 'key-b-456' } });
    await gw.write('auth.yaml', configs(issuer.jwksUrl, httpAuth, grpcAuth).replace('realm: gloo', 'realm: changed'));
    await gw.until('/basic', (r) => r.headers['www-authenticate'] === 'Basic realm="changed"');
    await waitFor(() => load.answers.includes('key-b 200'), { what: 'the load to see key-b accepted' });
    const seen = await load.stop();
    assert.deepEqual(phases(load.answers, 'key-b'), ['401', '200'], `answers seen: ${JSON.stringify([...seen])}`);
    assert.deepEqual(phases(load.answers, 'test'), ['200'], `answers seen: ${JSON.stringify([...seen])}`);
  });

  await t.test('with the service down, Envoy denies (403) unless the AuthConfig sets failureModeAllow', async () => {
    assert.equal(status(await gw.get('/open', { headers: { 'x-api-key': 'key-a-123' } })), 200);
    await extauth.stop();
    assert.equal(status(await gw.get('/basic', { headers: basic('test', 'test123') })), 403);
    assert.equal(status(await gw.get('/open')), 200);
  });
});

// README: "Without extAuth.address, routes with an AuthConfig are denied (403), never served unchecked" — also an
// AuthConfig with failureModeAllow, which only lets requests through when a configured service is down.
test('ext-auth: without extAuth.address every route with an AuthConfig is denied 403, failureModeAllow or not', async (t) => {
  const gw = await startGateway(t, {
    files: {
      'gateway.yaml': GATEWAY,
      'upstream.yaml': upstream('echo'),
      'route.yaml': route('auth', ['basic', 'open', 'public'].map(rule).join('\n')),
      'auth.yaml': [WALKTHROUGH, authConfig('open', '  failureModeAllow: true\n  configs: [{ apiKeyAuth: { headerName: x-api-key, apiKeySecretRefs: [{ name: key-a }] } }]\n')].join('---'),
      'options.yaml': [routeOption('basic', '{ configRef: { name: basic-auth } }'), routeOption('open', '{ configRef: { name: open } }'), routeOption('public', '{ disable: true }')].join('---'),
    },
    backends: ['echo'],
  });
  await writeSecrets(gw);
  // The route configuration has reached Envoy once the rule without auth answers.
  await gw.until('/public', (r) => r.status === 200);
  assert.equal(status(await gw.get('/basic')), 403);
  assert.equal(status(await gw.get('/basic', { headers: basic('test', 'test123') })), 403, 'right credentials, but nobody to check them');
  assert.equal(status(await gw.get('/open')), 403, 'failureModeAllow: still denied');
  assert.equal(status(await gw.get('/open', { headers: { 'x-api-key': 'key-a-123' } })), 403);
});
