// A real Envoy reaching Portico's ext-auth service over mutual TLS with a bearer token, as portico.yaml's
// `extAuth.tls` and `extAuth.tokenFile` configure it: the check runs (a good password passes, a bad one is 401).
// A service requiring a token Envoy does not send refuses every check (UNAUTHENTICATED): Envoy denies (403).
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { freePort, tempDir } from '../support/components.ts';
import { startExtAuth } from '../support/extauth.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';
import { makeCertificates, writeCertificates } from '../support/tls.ts';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

const FILES = {
  'gateway.yaml': GATEWAY,
  'upstream.yaml': upstream('echo'),
  'route.yaml': route(
    'auth',
    `    - name: basic
      matches: [{ path: { type: PathPrefix, value: /basic } }]
      filters:
        - type: ExtensionRef
          extensionRef: { group: gateway.solo.io, kind: RouteOption, name: basic-auth }
      backendRefs:
${backend('echo')}`,
  ),
  'options.yaml': `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: basic-auth, namespace: default }
spec:
  options:
    extauth: { configRef: { name: basic-auth, namespace: default } }
`,
  'auth.yaml': `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: basic-auth, namespace: default }
spec:
  configs:
  - basicAuth:
      apr:
        users:
          test: { hashedPassword: NLFTUNkXaht0g/2GJjUM51, salt: n28wuo5p }
      realm: gloo
`,
};

async function gatewayWithTlsExtAuth(t: TestContext, serviceToken: string) {
  const certs = makeCertificates();
  const files = writeCertificates(certs, await tempDir('service-tls', t));
  const address = `127.0.0.1:${await freePort()}`;
  const gw = await startGateway(t, {
    files: FILES,
    backends: ['echo'],
    controller: {
      extAuthAddress: address,
      extAuthTransport: { tls: { caFile: files.ca, certFile: files.clientCert, keyFile: files.clientKey, serverName: 'localhost' }, token: 'envoy-token' },
    },
  });
  await startExtAuth(t, address, gw.controller.xdsPort, undefined, { security: { tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca }, token: serviceToken } });
  return gw;
}

test('Envoy calls the ext-auth service over mutual TLS with its token: checks run', { timeout: 120_000 }, async (t) => {
  const gw = await gatewayWithTlsExtAuth(t, 'envoy-token');
  await gw.until('/basic', (r) => r.status === 200, { headers: basic('test', 'test123'), timeoutMs: 30_000 });
  assert.equal((await gw.get('/basic', { headers: basic('test', 'wrong') })).status, 401);
  assert.equal((await gw.get('/basic')).status, 401);
});

test('a service that requires another token refuses Envoy’s checks: Envoy denies, nothing passes unchecked', { timeout: 120_000 }, async (t) => {
  const gw = await gatewayWithTlsExtAuth(t, 'another-token');
  await gw.until('/basic', (r) => r.status === 403, { headers: basic('test', 'test123'), timeoutMs: 30_000 });
});
