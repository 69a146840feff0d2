// Timeouts, retries and request mirroring, served by a real Envoy. The echo backends count requests per
// `?key=` (reply.attempt) and fail the first `&fail=N` of them, so a test can see every attempt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptsSeen, startGateway } from '../support/gateway.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { waitFor } from '../support/components.ts';

const mirror = (name: string, extra = '') => `        - type: RequestMirror
          requestMirror:
            backendRef: { group: gloo.solo.io, kind: Upstream, name: ${name} }${extra}`;

const ROUTES = [
  route('timeouts', `    - matches: [{ path: { type: PathPrefix, value: /timeout } }]
      timeouts: { request: 500ms }
      backendRefs:
${backend('a')}
    - matches: [{ path: { type: PathPrefix, value: /backend-timeout } }]
      timeouts: { request: 5s, backendRequest: 300ms }
      backendRefs:
${backend('a')}
    - matches: [{ path: { type: PathPrefix, value: /unlimited } }]
      timeouts: { request: 0s }
      backendRefs:
${backend('a')}`),
  route('retries', `    - matches: [{ path: { type: PathPrefix, value: /retry } }]
      retry: { codes: [503], attempts: 3, backoff: 10ms }
      backendRefs:
${backend('a')}
    - matches: [{ path: { type: PathPrefix, value: /no-retry } }]
      backendRefs:
${backend('a')}
    - matches: [{ path: { type: PathPrefix, value: /retry-slow } }]
      timeouts: { request: 5s, backendRequest: 300ms }
      retry: { codes: [503], attempts: 2, backoff: 10ms }
      backendRefs:
${backend('a')}
    - matches: [{ path: { type: PathPrefix, value: /zero-attempts } }]
      retry: { codes: [503], attempts: 0 }
      backendRefs:
${backend('a')}`),
  route('mirrors', `    - matches: [{ path: { type: PathPrefix, value: /mirror } }]
      filters:
${mirror('shadow')}
${mirror('audit', '\n            percent: 100')}
      backendRefs:
${backend('a')}
    - matches: [{ path: { type: PathPrefix, value: /never-mirrored } }]
      filters:
${mirror('shadow', '\n            fraction: { numerator: 0, denominator: 10 }')}
      backendRefs:
${backend('a')}
    - matches: [{ path: { type: PathPrefix, value: /mirror-ghost } }]
      filters:
${mirror('ghost')}
      backendRefs:
${backend('a')}`),
].join('---\n');

test('timeouts, retries and mirrors', async (t) => {
  const gw = await startGateway(t, {
    backends: ['a', 'shadow', 'audit'],
    files: { 'gateway.yaml': GATEWAY, 'upstreams.yaml': ['a', 'shadow', 'audit'].map((name) => upstream(name)).join('---'), 'routes.yaml': ROUTES },
  });
  await gw.until('/mirror-ghost', (r) => r.status === 200);
  // Envoy's default route timeout is 15s: a 16s answer shows that `0s` really removes the limit. It runs
  // while the other subtests do.
  const unlimited = gw.get('/unlimited?delay=16000', { timeoutMs: 30_000 });

  await t.test('timeouts.request: a slower backend gets 504, a faster one answers', async (st) => {
    // The backend would answer after 10 s (Envoy's default timeout is 15 s): a 504 well before then is the 500 ms
    // route timeout's. The bound leaves room for a loaded machine; the time is printed.
    const started = Date.now();
    assert.equal((await gw.get('/timeout?delay=10000', { timeoutMs: 20_000 })).status, 504);
    st.diagnostic(`504 after ${Date.now() - started} ms (timeouts.request: 500 ms)`);
    assert.ok(Date.now() - started < 5000, `the 504 came after ${Date.now() - started}ms`);
    assert.equal((await gw.get('/timeout?delay=10')).status, 200);
  });

  await t.test('timeouts.backendRequest bounds one attempt', async () => {
    assert.equal((await gw.get('/backend-timeout?delay=1500')).status, 504);
    assert.equal((await gw.get('/backend-timeout?delay=10')).status, 200);
  });

  await t.test('retry: a backend failing twice answers on the third attempt; too many failures give the error', async () => {
    const ok = await gw.get('/retry?key=twice&fail=2');
    assert.equal(ok.status, 200);
    assert.equal(ok.json?.attempt, 3);
    const exhausted = await gw.get('/retry?key=always&fail=10');
    assert.equal(exhausted.status, 503);
    assert.equal(await attemptsSeen(gw, 'a', 'always'), 4, '1 attempt + 3 retries');
  });

  await t.test('with retries, backendRequest bounds each attempt and a timed-out attempt is retried', async (st) => {
    // Each attempt would take 10 s: three ended by the 300 ms backendRequest bound come well before the 5 s request
    // timeout (the time is printed), and the backend counts the three.
    const started = Date.now();
    assert.equal((await gw.get('/retry-slow?key=slow&delay=10000', { timeoutMs: 20_000 })).status, 504);
    st.diagnostic(`3 attempts of 300 ms: 504 after ${Date.now() - started} ms`);
    assert.ok(Date.now() - started < 4500, `3 attempts of 300ms took ${Date.now() - started}ms`);
    assert.equal(await attemptsSeen(gw, 'a', 'slow'), 3, '1 attempt + 2 retries');
  });

  await t.test('no retry stanza, or attempts 0: the first failure is the answer', async () => {
    assert.equal((await gw.get('/no-retry?key=none&fail=1')).status, 503);
    assert.equal((await gw.get('/zero-attempts?key=zero&fail=1')).status, 503);
    assert.equal(await attemptsSeen(gw, 'a', 'none'), 1);
    assert.equal(await attemptsSeen(gw, 'a', 'zero'), 1);
  });

  await t.test('RequestMirror: every mirror backend sees the request; the client gets the primary answer', async () => {
    const r = await gw.get('/mirror/page?key=m1');
    assert.equal(r.json?.backend, 'a');
    for (const name of ['shadow', 'audit']) assert.equal(await attemptsSeen(gw, name, 'm1'), 1, `${name} saw the mirrored request once`);
  });

  await t.test('a 0 fraction mirrors nothing', async () => {
    assert.equal((await gw.get('/never-mirrored?key=m0')).status, 200);
    // Then the same key on the always-mirrored route: once shadow has that copy, a copy of the first request
    // (mirrored when it arrived, before its answer) would have landed as well. Shadow must count exactly one.
    assert.equal((await gw.get('/mirror/after?key=m0')).status, 200);
    assert.equal(await attemptsSeen(gw, 'shadow', 'm0'), 1, 'only the copy from the mirrored route');
  });

  await t.test('a mirror to a missing backend is dropped: the rule serves, ResolvedRefs says why', async () => {
    assert.equal((await gw.get('/mirror-ghost')).json?.backend, 'a');
    const text = JSON.stringify(await gw.status('gateway.networking.k8s.io/HTTPRoute/default/mirrors'));
    assert.match(text, /"type":"ResolvedRefs","status":"False","reason":"BackendNotFound"/);
    assert.match(text, /spec\.rules\[2\]\.filters\[0\]\.requestMirror\.backendRef: Upstream default\/ghost not found/);
  });

  await t.test('an invalid retry or timeout keeps the last valid version serving, and the status names the field', async () => {
    await gw.write('broken.yaml', route('broken', `    - matches: [{ path: { type: PathPrefix, value: /broken } }]
      timeouts: { request: 1s, backendRequest: 2s }
      retry: { codes: [200] }
      backendRefs:
${backend('a')}`));
    const key = 'gateway.networking.k8s.io/HTTPRoute/default/broken';
    let text = '';
    await waitFor(async () => (text = JSON.stringify((await gw.status(key)) ?? {})).includes('backendRequest'), {
      timeoutMs: 5000,
      intervalMs: 50,
      what: `status of ${key} naming the bad fields`,
    });
    assert.match(text, /spec\.rules\[0\]\.timeouts\.backendRequest: backendRequest timeout \(2s\) cannot be longer than request timeout \(1s\)/);
    assert.match(text, /spec\.rules\[0\]\.retry\.codes\[0\]: must be between 400 and 599 \(got 200\)/);
    assert.equal((await gw.get('/broken')).status, 404, 'never valid, so never served');
    assert.equal((await gw.get('/timeout?delay=10')).status, 200, 'the other routes keep serving');
  });

  await t.test('timeouts.request 0s: a 16s answer is not cut at the 15s default', async () => {
    assert.equal((await unlimited).status, 200);
  });
});
