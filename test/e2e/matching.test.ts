// Every HTTPRoute match type of the foundation, served by a real Envoy to named echo backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';

const ROUTES = [
  route('exact', `    - matches: [{ path: { type: Exact, value: /exact } }]
      backendRefs:
${backend('a')}`),
  route('prefix', `    - matches: [{ path: { type: PathPrefix, value: /prefix } }]
      backendRefs:
${backend('b')}`),
  route('regex', `    - matches: [{ path: { type: RegularExpression, value: '/re/[0-9]+' } }]
      backendRefs:
${backend('a')}`),
  route('header', `    - matches: [{ path: { type: PathPrefix, value: /hdr }, headers: [{ name: X-Env, value: canary }] }]
      backendRefs:
${backend('b')}
    - matches: [{ path: { type: PathPrefix, value: /hdr } }]
      backendRefs:
${backend('a')}`),
  route('query', `    - matches: [{ path: { type: PathPrefix, value: /query }, queryParams: [{ name: v, value: '2' }] }]
      backendRefs:
${backend('b')}
    - matches: [{ path: { type: PathPrefix, value: /query } }]
      backendRefs:
${backend('a')}`),
  route('method', `    - matches: [{ path: { type: PathPrefix, value: /method }, method: POST }]
      backendRefs:
${backend('b')}
    - matches: [{ path: { type: PathPrefix, value: /method } }]
      backendRefs:
${backend('a')}`),
  route('host', `    - matches: [{ path: { type: PathPrefix, value: /host } }]
      backendRefs:
${backend('b')}`, `  hostnames: [foo.example.com]\n`),
].join('---\n');

test('every match type routes to the right backend', async (t) => {
  const gw = await startGateway(t, {
    backends: ['a', 'b'],
    files: { 'gateway.yaml': GATEWAY, 'upstreams.yaml': `${upstream('a')}---${upstream('b')}`, 'routes/all.yaml': ROUTES },
  });
  await gw.until('/exact', (r) => r.status === 200);
  const backendOf = async (path: string, opts = {}) => {
    const r = await gw.get(path, opts);
    return r.status === 200 ? r.json?.backend : r.status;
  };

  assert.equal(await backendOf('/exact'), 'a');
  assert.equal(await backendOf('/exact/more'), 404, 'Exact must not match a longer path');
  assert.equal(await backendOf('/prefix'), 'b');
  assert.equal(await backendOf('/prefix/'), 'b');
  assert.equal(await backendOf('/prefix/deeper?q=1'), 'b');
  assert.equal(await backendOf('/prefixed'), 404, 'PathPrefix matches whole segments only');
  assert.equal(await backendOf('/re/123'), 'a');
  assert.equal(await backendOf('/re/abc'), 404);
  assert.equal(await backendOf('/hdr', { headers: { 'x-env': 'canary' } }), 'b');
  assert.equal(await backendOf('/hdr', { headers: { 'x-env': 'prod' } }), 'a');
  assert.equal(await backendOf('/query?v=2'), 'b');
  assert.equal(await backendOf('/query?v=3'), 'a');
  assert.equal(await backendOf('/method', { method: 'POST' }), 'b');
  assert.equal(await backendOf('/method'), 'a');
  assert.equal(await backendOf('/host', { host: 'foo.example.com' }), 'b');
  assert.equal(await backendOf('/host', { host: 'foo.example.com:8080' }), 'b', 'the port in Host plays no part');
  assert.equal(await backendOf('/host', { host: 'bar.example.com' }), 404);

  const echoed = await gw.get('/prefix/deeper?q=1&r=2', { host: 'any.example.com' });
  assert.equal(echoed.json?.path, '/prefix/deeper?q=1&r=2', 'path and query reach the upstream unchanged');
  assert.equal(echoed.json?.method, 'GET');
});
