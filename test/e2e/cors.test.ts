// The CORS filter, served by a real Envoy: preflights answered by the gateway, actual requests forwarded
// with the CORS response headers, wildcard origins matched per the Gateway API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';

const ROUTES = route('cors', `    - matches: [{ path: { type: PathPrefix, value: /cors } }]
      filters:
        - type: CORS
          cors:
            allowOrigins: ['https://*.example.com', 'http://app.example.org:8080']
            allowMethods: [GET, PUT]
            allowHeaders: [x-request-id]
            exposeHeaders: [x-echo-backend]
            allowCredentials: true
            maxAge: 600
      backendRefs:
${backend('a')}
    - matches: [{ path: { type: PathPrefix, value: /anyone } }]
      filters:
        - { type: CORS, cors: { allowOrigins: ['*'] } }
      backendRefs:
${backend('a')}`);

const preflight = (origin: string, method = 'PUT') => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'x-request-id' },
});

test('CORS', async (t) => {
  const gw = await startGateway(t, { backends: ['a'], files: { 'gateway.yaml': GATEWAY, 'upstreams.yaml': upstream('a'), 'routes.yaml': ROUTES } });
  await gw.until('/cors', (r) => r.status === 200);

  await t.test('a preflight from an allowed origin is answered by the gateway with the policy', async () => {
    const r = await gw.get('/cors/items', preflight('https://app.example.com'));
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-echo-backend'], undefined, 'the backend never sees the preflight');
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(r.headers['access-control-allow-methods'], 'GET, PUT');
    assert.equal(r.headers['access-control-allow-headers'], 'x-request-id');
    assert.equal(r.headers['access-control-max-age'], '600');
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
  });

  await t.test('a preflight from another origin is answered by the gateway without Access-Control-Allow-Origin', async () => {
    // Exactly what Envoy answers (not merely "no allow-origin header", which a 404 or a 500 would pass too): its own
    // empty 200, the route's policy headers but no allow-origin, so the browser refuses; the backend never sees it.
    for (const origin of ['https://evil.test', 'https://example.com', 'http://app.example.org', 'http://app.example.com']) {
      const r = await gw.get('/cors/items', preflight(origin));
      const cors = Object.fromEntries(Object.entries(r.headers).filter(([k]) => k.startsWith('access-control-')));
      assert.deepEqual(
        { status: r.status, server: r.headers.server, length: r.headers['content-length'], backend: r.headers['x-echo-backend'], cors },
        {
          status: 200,
          server: 'envoy',
          length: '0',
          backend: undefined,
          cors: { 'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'GET, PUT', 'access-control-allow-headers': 'x-request-id', 'access-control-max-age': '600' },
        },
        origin,
      );
    }
  });

  await t.test('wildcard origins match any labels to the left; a default port may be written', async () => {
    for (const origin of ['https://a.b.example.com', 'https://www.example.com:443', 'http://app.example.org:8080']) {
      assert.equal((await gw.get('/cors', preflight(origin))).headers['access-control-allow-origin'], origin);
    }
  });

  await t.test('actual requests reach the backend and carry the allow-origin and expose headers', async () => {
    const r = await gw.get('/cors/items', { headers: { origin: 'https://app.example.com' } });
    assert.equal(r.json?.backend, 'a');
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(r.headers['access-control-expose-headers'], 'x-echo-backend');
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    const other = await gw.get('/cors/items', { headers: { origin: 'https://evil.test' } });
    assert.equal(other.json?.backend, 'a');
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  await t.test("'*' allows every origin, and maxAge defaults to 5 seconds", async () => {
    const r = await gw.get('/anyone', preflight('http://localhost:3000', 'GET'));
    assert.equal(r.headers['access-control-allow-origin'], 'http://localhost:3000');
    assert.equal(r.headers['access-control-max-age'], '5');
    assert.equal(r.headers['access-control-allow-credentials'], undefined);
  });
});
