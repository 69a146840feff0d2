// HTTPRoute filters and weighted backends, served by a real Envoy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countBackends, startGateway } from '../support/gateway.ts';
import { assertShare } from '../support/statistics.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';

const ROUTES = [
  route('headers', `    - matches: [{ path: { type: PathPrefix, value: /headers } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier:
            set: [{ name: x-set, value: forced }]
            add: [{ name: x-add, value: added }]
            remove: [x-remove]
        - type: ResponseHeaderModifier
          responseHeaderModifier:
            set: [{ name: x-resp, value: from-gateway }]
            remove: [x-echo-backend]
      backendRefs:
${backend('a')}`),
  route('redirect', `    - matches: [{ path: { type: PathPrefix, value: /old } }]
      filters:
        - type: RequestRedirect
          requestRedirect: { scheme: https, hostname: new.example.com, statusCode: 301, path: { type: ReplacePrefixMatch, replacePrefixMatch: /new } }
    - matches: [{ path: { type: Exact, value: /moved } }]
      filters:
        - type: RequestRedirect
          requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: /elsewhere }, statusCode: 302 }`),
  route('rewrite', `    - matches: [{ path: { type: PathPrefix, value: /api/v1 } }]
      filters:
        - type: URLRewrite
          urlRewrite: { hostname: internal.example.com, path: { type: ReplacePrefixMatch, replacePrefixMatch: /v2 } }
      backendRefs:
${backend('b')}
    - matches: [{ path: { type: PathPrefix, value: /strip } }]
      filters:
        - type: URLRewrite
          urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: / } }
      backendRefs:
${backend('b')}
    - matches: [{ path: { type: PathPrefix, value: /full } }]
      filters:
        - type: URLRewrite
          urlRewrite: { path: { type: ReplaceFullPath, replaceFullPath: /replaced } }
      backendRefs:
${backend('b')}`),
  route('per-backend', `    - matches: [{ path: { type: PathPrefix, value: /per-backend } }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-rule, value: both }] }
      backendRefs:
${backendWithHeaders('a')}
${backendWithHeaders('b')}`),
  route('split', `    - matches: [{ path: { type: PathPrefix, value: /split } }]
      backendRefs:
${backend('a', 80)}
${backend('b', 20)}`),
  route('broken', `    - matches: [{ path: { type: PathPrefix, value: /half } }]
      backendRefs:
${backend('a')}
${backend('ghost')}
    - matches: [{ path: { type: PathPrefix, value: /none } }]
      backendRefs:
${backend('ghost')}
    - matches: [{ path: { type: PathPrefix, value: /fine } }]
      backendRefs:
${backend('a')}`),
].join('---\n');

/** A backendRef whose own filters tag the request it receives and the response it gives. */
function backendWithHeaders(name: string): string {
  return `${backend(name)}
          filters:
            - type: RequestHeaderModifier
              requestHeaderModifier: { set: [{ name: x-for, value: ${name} }], remove: [x-secret] }
            - type: ResponseHeaderModifier
              responseHeaderModifier: { add: [{ name: x-via, value: ${name} }] }`;
}

test('filters and weights', async (t) => {
  const gw = await startGateway(t, {
    backends: ['a', 'b'],
    files: { 'gateway.yaml': GATEWAY, 'upstreams.yaml': `${upstream('a')}---${upstream('b')}`, 'routes.yaml': ROUTES },
  });
  await gw.until('/headers', (r) => r.status === 200);

  await t.test('request and response header modifiers', async () => {
    const r = await gw.get('/headers', { headers: { 'x-set': 'mine', 'x-add': 'mine', 'x-remove': 'gone' } });
    const seen = r.json?.headers ?? {};
    assert.equal(seen['x-set'], 'forced');
    assert.match(String(seen['x-add']), /mine.*added/);
    assert.equal(seen['x-remove'], undefined);
    assert.equal(r.headers['x-resp'], 'from-gateway');
    assert.equal(r.headers['x-echo-backend'], undefined);
  });

  await t.test("a backendRef's header modifiers apply only to requests sent to that backend", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await gw.get('/per-backend', { headers: { 'x-secret': 's' } });
      const name = String(r.json?.backend);
      seen.add(name);
      assert.equal(r.json?.headers?.['x-for'], name);
      assert.equal(r.json?.headers?.['x-rule'], 'both');
      assert.equal(r.json?.headers?.['x-secret'], undefined);
      assert.equal(r.headers['x-via'], name);
    }
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  });

  await t.test('RequestRedirect: scheme, hostname, prefix and full path, status code', async () => {
    const r = await gw.get('/old/page?x=1');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, 'https://new.example.com/new/page?x=1');
    const full = await gw.get('/moved', { host: 'site.example.com' });
    assert.equal(full.status, 302);
    assert.match(String(full.headers.location), /^http:\/\/site\.example\.com(:\d+)?\/elsewhere$/);
  });

  await t.test('URLRewrite: hostname and path', async () => {
    const r = await gw.get('/api/v1/users?id=7');
    assert.equal(r.json?.backend, 'b');
    assert.equal(r.json?.path, '/v2/users?id=7');
    assert.equal(r.json?.host, 'internal.example.com');
    assert.equal((await gw.get('/strip/a/b')).json?.path, '/a/b');
    assert.equal((await gw.get('/strip')).json?.path, '/');
    assert.equal((await gw.get('/full/x?q=1')).json?.path, '/replaced?q=1');
  });

  await t.test('invalid backends answer 500 for their share; the other rules keep working', async () => {
    assert.equal((await gw.get('/none')).status, 500);
    assert.equal((await gw.get('/fine')).status, 200);
    const statuses = await Promise.all(Array.from({ length: 60 }, () => gw.get('/half').then((r) => r.status)));
    assert.ok(statuses.includes(200) && statuses.includes(500), `expected a mix of 200 and 500, got ${statuses.join(',')}`);
    assert.deepEqual(statuses.filter((s) => s !== 200 && s !== 500), []);
    const status = await gw.status('gateway.networking.k8s.io/HTTPRoute/default/broken');
    const text = JSON.stringify(status);
    assert.match(text, /"type":"ResolvedRefs","status":"False","reason":"BackendNotFound"/);
    assert.match(text, /ghost/);
  });

  await t.test('weighted backends split 80/20 over 1000 requests (binomial tolerance)', async () => {
    const counts = await countBackends(gw, '/split', 1000);
    assertShare(counts, 'a', 0.8, 1000);
    assert.equal((counts.a ?? 0) + (counts.b ?? 0), 1000, JSON.stringify(counts));
  });
});
