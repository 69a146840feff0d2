// Gloo's RouteOption and VirtualHostOption, served by a real Envoy: timeouts, retries, header changes, Envoy's
// rewrites, injected faults, shadowing, CORS, options on a whole listener, an option attached by ExtensionRef,
// and the precedence rule (the HTTPRoute's own filter beats a RouteOption) seen in traffic and in status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envoyStats } from '../support/envoy-admin.ts';
import { attemptsSeen, startGateway } from '../support/gateway.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { waitFor } from '../support/components.ts';

/** A rule named `name` matching `/<name>`, forwarding to backend a, with extra YAML (filters) under it. */
const rule = (name: string, extra = '') => `    - name: ${name}
      matches: [{ path: { type: PathPrefix, value: /${name} } }]
${extra}      backendRefs:
${backend('a')}`;

/** A RouteOption on one rule of HTTPRoute default/opts (or, without a rule, attached only by ExtensionRef). */
const routeOption = (name: string, ruleName: string | undefined, options: string) => `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: ${name}, namespace: default }
spec:
${ruleName ? `  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: opts, sectionName: ${ruleName} }]\n` : ''}  options: ${options}
`;

const ROUTES = route(
  'opts',
  [
    rule('timeout'),
    rule('retries'),
    rule('headers'),
    rule('prefix'),
    rule('regex'),
    rule('host'),
    rule('abort'),
    rule('delay'),
    rule('shadow'),
    rule('cors'),
    rule('ext', `      filters:
        - type: ExtensionRef
          extensionRef: { group: gateway.solo.io, kind: RouteOption, name: by-reference }
`),
    rule('precedence', `      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-who, value: route }] }
`),
  ].join('\n'),
);

const OPTIONS = [
  routeOption('timeout', 'timeout', '{ timeout: 0.5s }'),
  routeOption('retries', 'retries', '{ retries: { retryOn: 5xx, numRetries: 3, retryBackOff: { baseInterval: 0.01s } } }'),
  routeOption(
    'headers',
    'headers',
    `{ headerManipulation: { requestHeadersToAdd: [{ header: { key: x-team, value: shop } }, { header: { key: x-env, value: prod }, append: false }],
       requestHeadersToRemove: [x-debug], responseHeadersToAdd: [{ header: { key: x-served-by, value: portico } }], responseHeadersToRemove: [x-echo-backend] } }`,
  ),
  routeOption('prefix', 'prefix', '{ prefixRewrite: /rewritten }'),
  routeOption('regex', 'regex', `{ regexRewrite: { pattern: { regex: '^/regex/([a-z]+)/(.*)$' }, substitution: '/\\2/\\1' } }`),
  routeOption('host', 'host', '{ hostRewrite: backend.internal }'),
  routeOption('abort', 'abort', '{ faults: { abort: { percentage: 100, httpStatus: 418 } } }'),
  routeOption('delay', 'delay', '{ faults: { delay: { percentage: 100, fixedDelay: 0.6s } } }'),
  routeOption('shadow', 'shadow', '{ shadowing: { upstream: { name: shadow }, percentage: 100 } }'),
  routeOption('cors', 'cors', `{ cors: { allowOrigin: ['https://app.example.com'], allowMethods: [GET, PUT], allowHeaders: [x-request-id], maxAge: '600' } }`),
  routeOption('by-reference', undefined, '{ headerManipulation: { requestHeadersToAdd: [{ header: { key: x-ext, value: attached } }] } }'),
  routeOption(
    'loser',
    'precedence',
    `{ headerManipulation: { requestHeadersToAdd: [{ header: { key: x-who, value: option }, append: false }],
       responseHeadersToAdd: [{ header: { key: x-loser, value: applied } }] } }`,
  ),
].join('---');

const HOST_OPTION = `
apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata: { name: listener, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: gw, sectionName: http }]
  options:
    headerManipulation:
      requestHeadersToAdd: [{ header: { key: x-vho, value: request } }, { header: { key: x-who, value: listener }, append: false }]
      responseHeadersToAdd: [{ header: { key: x-vho, value: response } }]
`;

test('RouteOption and VirtualHostOption', async (t) => {
  const gw = await startGateway(t, {
    backends: ['a', 'shadow'],
    files: {
      'gateway.yaml': GATEWAY,
      'upstreams.yaml': [upstream('a'), upstream('shadow')].join('---'),
      'routes.yaml': ROUTES,
      'options.yaml': OPTIONS,
      'host-option.yaml': HOST_OPTION,
    },
  });
  await gw.until('/precedence', (r) => r.headers['x-loser'] === 'applied' && r.headers['x-vho'] === 'response');

  await t.test('timeout: a slower backend gets 504 at the option timeout', async (st) => {
    // The backend would answer after 10 s (Envoy's default timeout is 15 s): a 504 well before then is the 0.5 s
    // option's. The bound leaves room for a loaded machine; the time is printed.
    const started = Date.now();
    assert.equal((await gw.get('/timeout?delay=10000', { timeoutMs: 20_000 })).status, 504);
    st.diagnostic(`504 after ${Date.now() - started} ms (option: 500 ms)`);
    assert.ok(Date.now() - started < 5000, `the 504 came after ${Date.now() - started}ms`);
    assert.equal((await gw.get('/timeout?delay=10')).status, 200);
  });

  await t.test('retries: retryOn 5xx with numRetries 3 answers on the third attempt', async () => {
    const ok = await gw.get('/retries?key=twice&fail=2');
    assert.equal(ok.status, 200);
    assert.equal(ok.json?.attempt, 3);
    assert.equal((await gw.get('/retries?key=always&fail=10')).status, 503);
    assert.equal(await attemptsSeen(gw, 'a', 'always'), 4, '1 attempt + 3 retries');
  });

  await t.test('headerManipulation: added, replaced and removed request and response headers', async () => {
    const r = await gw.get('/headers', { headers: { 'x-env': 'dev', 'x-team': 'ops', 'x-debug': '1' } });
    const seen = r.json?.headers ?? {};
    assert.equal(seen['x-env'], 'prod', 'append: false replaces the value');
    assert.match(String(seen['x-team']), /ops.*shop/, 'append (the default) adds a value');
    assert.equal(seen['x-debug'], undefined);
    assert.equal(r.headers['x-served-by'], 'portico');
    assert.equal(r.headers['x-echo-backend'], undefined, 'a response header removed');
  });

  await t.test('prefixRewrite, regexRewrite and hostRewrite are what the backend sees', async () => {
    assert.equal((await gw.get('/prefix/page?x=1')).json?.path, '/rewritten/page?x=1');
    assert.equal((await gw.get('/regex/shop/items/7')).json?.path, '/items/7/shop');
    assert.equal((await gw.get('/host')).json?.host, 'backend.internal');
  });

  await t.test('faults: an abort at 100% answers its status; a delay holds the request', async (st) => {
    const aborted = await gw.get('/abort');
    assert.equal(aborted.status, 418);
    assert.equal(aborted.headers['x-echo-backend'], undefined, 'the backend never sees it');
    // Envoy counts each delay it injects: the counter, not a stopwatch, tells a delayed request from a slow one.
    const delays = async () => [...(await envoyStats(gw.envoy.adminPort, /\.fault\.delays_injected$/)).values()].reduce((a, b) => a + b, 0);
    const before = await delays();
    let started = Date.now();
    assert.equal((await gw.get('/delay')).status, 200);
    assert.ok(Date.now() - started >= 550, `delayed only ${Date.now() - started}ms`);
    assert.equal(await delays(), before + 1, 'the delay was injected');
    started = Date.now();
    assert.equal((await gw.get('/prefix/fast')).status, 200);
    st.diagnostic(`a route without the option answered in ${Date.now() - started} ms`);
    assert.equal(await delays(), before + 1, 'routes without the option are not delayed (the filter is off there)');
  });

  await t.test('shadowing: the shadow upstream sees every request; the client gets the primary answer', async () => {
    const r = await gw.get('/shadow?key=s1');
    assert.equal(r.status, 200);
    assert.equal(await attemptsSeen(gw, 'shadow', 's1'), 1);
  });

  await t.test('cors: a preflight from an allowed origin is answered by the gateway', async () => {
    const r = await gw.get('/cors', { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'PUT' } });
    assert.equal(r.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.equal(r.headers['access-control-allow-methods'], 'GET, PUT');
    assert.equal(r.headers['access-control-max-age'], '600');
    assert.equal(r.headers['x-echo-backend'], undefined);
    const other = await gw.get('/cors', { method: 'OPTIONS', headers: { origin: 'https://evil.test', 'access-control-request-method': 'PUT' } });
    // Refused by the gateway itself: its empty 200 without allow-origin (a 404 or 500 would also lack the header).
    assert.deepEqual([other.status, other.headers.server, other.headers['content-length'], other.headers['x-echo-backend']], [200, 'envoy', '0', undefined]);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    assert.equal(other.headers['access-control-allow-methods'], 'GET, PUT', "the route's policy answered it");
  });

  await t.test('an option attached by ExtensionRef applies to its rule', async () => {
    assert.equal((await gw.get('/ext')).json?.headers?.['x-ext'], 'attached');
    assert.equal((await gw.get('/headers')).json?.headers?.['x-ext'], undefined);
  });

  await t.test('VirtualHostOption headers reach every route of the listener, beneath what a route sets', async () => {
    for (const path of ['/headers', '/prefix/a', '/ext', '/precedence']) {
      const r = await gw.get(path);
      assert.equal(r.json?.headers?.['x-vho'], 'request', path);
      assert.equal(r.headers['x-vho'], 'response', path);
      assert.equal(r.json?.headers?.['x-who'], path === '/precedence' ? 'route' : 'listener', path);
    }
  });

  await t.test("precedence: the HTTPRoute's filter beats the RouteOption, which says so in its status", async () => {
    const r = await gw.get('/precedence');
    assert.equal(r.json?.headers?.['x-who'], 'route');
    assert.equal(r.headers['x-loser'], 'applied', "the option's other setting still applies");
    const text = JSON.stringify(await gw.status('gateway.solo.io/RouteOption/default/loser'));
    assert.match(text, /"type":"Accepted","status":"True"/);
    assert.match(text, /"type":"Overridden","status":"True","reason":"Overridden","message":"headerManipulation \(request\) on HTTPRoute default\/opts rule 11: overridden by the HTTPRoute's RequestHeaderModifier"/);
  });

  await t.test('an invalid RouteOption is reported by field; the route keeps serving without it', async () => {
    await gw.write('broken.yaml', routeOption('broken', 'timeout', '{ timeout: 100ms, extauth: { customAuth: {} } }'));
    const key = 'gateway.solo.io/RouteOption/default/broken';
    let text = '';
    await waitFor(async () => (text = JSON.stringify((await gw.status(key)) ?? {})).includes('extauth'), { timeoutMs: 5000, intervalMs: 50, what: `status of ${key}` });
    assert.match(text, /"reason":"Invalid"/);
    assert.match(text, /broken\.yaml:\d+: RouteOption default\/broken: spec\.options\.timeout: \\"100ms\\" is not a valid duration/);
    assert.match(text, /spec\.options\.extauth\.customAuth: customAuth is not supported: Portico runs its own ext-auth service/);
    assert.equal((await gw.get('/timeout?delay=1000')).status, 504, 'the valid option still applies');
    assert.equal((await gw.get('/timeout?delay=10')).status, 200);
  });
});
