// A real Envoy reaching Portico's ext-auth and rate-limit services over mutual TLS with a bearer token, as
// portico.yaml's `extAuth`/`rateLimit` `tls` and `tokenFile` configure it: checks run (a good password passes, a
// bad one is 401) and limits count (the second request is 429). A service requiring a token Envoy does not send
// refuses every call (UNAUTHENTICATED): Envoy denies (403), or fails the request when the limit fails closed.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../src/lib/logger.ts';
import { startRateLimitService } from '../../src/ratelimit/service.ts';
import type { ServiceTransport } from '../../src/xds/translator/service-transport.ts';
import { freePort, tempDir } from '../support/components.ts';
import { startExtAuth } from '../support/extauth.ts';
import { backend, basicAuthConfig, GATEWAY, oncePerDay, route, upstream } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';
import { startRedis } from '../support/redis.ts';
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
  'auth.yaml': basicAuthConfig(),
};

/** Certificates on disk, what Envoy is told (client certificate, CA, the token it sends), and the service's side. */
async function mutualTls(t: TestContext, serviceToken: string) {
  const certs = makeCertificates();
  const files = writeCertificates(certs, await tempDir('service-tls', t));
  const envoy: ServiceTransport = { tls: { caFile: files.ca, certFile: files.clientCert, keyFile: files.clientKey, serverName: 'localhost' }, token: 'envoy-token' };
  const serving = { security: { tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca }, token: serviceToken } };
  return { envoy, serving };
}

async function gatewayWithTlsExtAuth(t: TestContext, serviceToken: string) {
  const { envoy, serving } = await mutualTls(t, serviceToken);
  const address = `127.0.0.1:${await freePort()}`;
  const gw = await startGateway(t, {
    files: FILES,
    backends: ['echo'],
    controller: { extAuthAddress: address, extAuthTransport: envoy },
  });
  await startExtAuth(t, address, gw.controller.xdsPort, undefined, serving);
  return gw;
}


async function gatewayWithTlsRateLimit(t: TestContext, serviceToken: string) {
  const { envoy, serving } = await mutualTls(t, serviceToken);
  const redis = await startRedis(t);
  const address = `127.0.0.1:${await freePort()}`;
  const gw = await startGateway(t, {
    files: {
      'gateway.yaml': GATEWAY,
      'upstream.yaml': upstream('echo'),
      'route.yaml': route('limited', `    - name: once\n      matches: [{ path: { type: PathPrefix, value: /once } }]\n      backendRefs:\n${backend('echo')}`),
      'limits.yaml': oncePerDay('limited', 'once'),
    },
    backends: ['echo'],
    controller: { rateLimit: { address, domain: 'portico', denyOnFail: true, beforeAuth: false, timeoutMs: 2000, rateLimitHeaders: false, transport: envoy } },
  });
  const service = await startRateLimitService({ listen: address, serving, redisUrl: redis.url, xds: { address: `127.0.0.1:${gw.controller.xdsPort}` }, logger: silentLogger });
  t.after(() => service.close());
  await service.ready();
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

test('Envoy calls the rate-limit service over mutual TLS with its token: the limit counts', { timeout: 120_000 }, async (t) => {
  const gw = await gatewayWithTlsRateLimit(t, 'envoy-token');
  await gw.until('/once', (r) => r.status === 429, { timeoutMs: 30_000 });
});

test('a rate-limit service that requires another token fails Envoy’s calls: with denyOnFail the request fails, it is not let through', { timeout: 120_000 }, async (t) => {
  const gw = await gatewayWithTlsRateLimit(t, 'another-token');
  await gw.until('/once', (r) => r.status === 500, { timeoutMs: 30_000 });
  assert.deepEqual([(await gw.get('/once')).status, (await gw.get('/once')).status], [500, 500]);
});
