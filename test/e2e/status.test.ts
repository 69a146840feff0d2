// Every status reason the Gateway API conformance suite checks, as the controller writes it beside the
// config, while a real Envoy keeps serving the valid parts; and observedGeneration following each edit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/components.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';
import { backend, gatewayWith, route, upstream } from '../support/fixtures.ts';

const HTTP_LISTENER = "    - { name: http, protocol: HTTP, port: ${PORT}, hostname: '*.example.com', allowedRoutes: { namespaces: { from: Same } } }";

const GATEWAY = gatewayWith(`${HTTP_LISTENER}
    - { name: udp, protocol: UDP, port: \${udp} }
    - name: kinds
      protocol: HTTP
      port: \${kinds}
      allowedRoutes: { kinds: [{ kind: HTTPRoute }, { kind: TCPRoute }] }
    - { name: dup-a, protocol: HTTP, port: \${dup}, hostname: dup.example.com }
    - { name: dup-b, protocol: HTTP, port: \${dup}, hostname: dup.example.com }
    - { name: mixed-http, protocol: HTTP, port: \${mixed} }
    - { name: mixed-https, protocol: HTTPS, port: \${mixed}, tls: { certificateRefs: [{ name: absent }] } }
    - { name: no-cert, protocol: HTTPS, port: \${tls}, hostname: a.example.com, tls: { certificateRefs: [{ name: absent }] } }
    - { name: other-ns-cert, protocol: HTTPS, port: \${tls}, hostname: b.example.com, tls: { certificateRefs: [{ name: shop, namespace: certs }] } }`);

const ROUTES = [
  route('good', `    - matches: [{ path: { type: PathPrefix, value: /good } }]
      backendRefs:
${backend('a')}
    - matches: [{ path: { type: PathPrefix, value: /missing } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: ghost }]
    - matches: [{ path: { type: PathPrefix, value: /kind } }]
      backendRefs: [{ group: example.com, kind: Bucket, name: a }]
    - matches: [{ path: { type: PathPrefix, value: /cross } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: a, namespace: elsewhere }]`, `  hostnames: [www.example.com]\n`),
  route('no-section', '    - backendRefs:\n' + backend('a'), '').replace('    - name: gw', '    - { name: gw, sectionName: nope }'),
  route('other-host', '    - backendRefs:\n' + backend('a'), '  hostnames: [www.elsewhere.org]\n').replace('    - name: gw', '    - { name: gw, sectionName: http }'),
].join('---');

const FOREIGN = route('foreign', '    - backendRefs:\n' + backend('a')).replace('namespace: default', 'namespace: team').replace('    - name: gw', '    - { name: gw, namespace: default, sectionName: http }');

type Condition = { type: string; status: string; reason: string; message: string; observedGeneration?: number };
type Status = {
  generation?: number;
  status: { conditions?: Condition[]; listeners?: { name: string; conditions: Condition[] }[]; parents?: { parentRef: { sectionName?: string }; conditions: Condition[] }[] };
};

const GATEWAY_KEY = 'gateway.networking.k8s.io/Gateway/default/gw';
const routeKey = (ns: string, name: string) => `gateway.networking.k8s.io/HTTPRoute/${ns}/${name}`;

async function statusOf(gw: GatewayEnv, key: string, ready: (s: Status) => boolean = () => true): Promise<Status> {
  let found: Status | undefined;
  await waitFor(async () => {
    found = (await gw.status(key)) as Status | undefined;
    return found !== undefined && ready(found);
  }, { timeoutMs: 5000, intervalMs: 50, what: `the status of ${key}` });
  return found as Status;
}

const reasons = (conditions: Condition[] | undefined) => Object.fromEntries((conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason}`]));

test('status reasons for listeners and route parents, with the valid config serving', async (t) => {
  const gw = await startGateway(t, {
    backends: ['a'],
    ports: ['udp', 'kinds', 'dup', 'mixed', 'tls'],
    files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': `${upstream('a')}---${upstream('a', 'elsewhere')}`, 'routes.yaml': ROUTES, 'foreign.yaml': FOREIGN },
  });
  await gw.until('/good', (r) => r.status === 200, { host: 'www.example.com' });
  assert.equal((await gw.get('/missing', { host: 'www.example.com' })).status, 500);

  const gateway = await statusOf(gw, GATEWAY_KEY);
  const listener = (name: string) => reasons(gateway.status.listeners?.find((l) => l.name === name)?.conditions);
  assert.equal(reasons(gateway.status.conditions).Accepted, 'True ListenersNotValid', 'accepted: the valid listeners serve');
  assert.equal(listener('http').Programmed, 'True Programmed');
  assert.equal(listener('udp').Accepted, 'False UnsupportedProtocol');
  assert.equal(listener('kinds').ResolvedRefs, 'False InvalidRouteKinds');
  assert.equal(listener('dup-a').Conflicted, 'True HostnameConflict');
  assert.equal(listener('mixed-http').Conflicted, 'True ProtocolConflict');
  assert.equal(listener('no-cert').ResolvedRefs, 'False InvalidCertificateRef');
  assert.equal(listener('other-ns-cert').ResolvedRefs, 'False RefNotPermitted');

  const good = await statusOf(gw, routeKey('default', 'good'));
  const goodParent = reasons(good.status.parents?.[0]?.conditions);
  assert.equal(goodParent.Accepted, 'True Accepted');
  assert.equal(goodParent.ResolvedRefs, 'False BackendNotFound');
  const message = good.status.parents?.[0]?.conditions.find((c) => c.type === 'ResolvedRefs')?.message ?? '';
  assert.match(message, /spec\.rules\[2\]\.backendRefs\[0\]: backend kind Bucket/, 'InvalidKind is reported for its rule');
  assert.match(message, /spec\.rules\[3\]\.backendRefs\[0\]: .*no ReferenceGrant/, 'RefNotPermitted is reported for its rule');

  const parentReason = async (ns: string, name: string) => reasons((await statusOf(gw, routeKey(ns, name))).status.parents?.[0]?.conditions).Accepted;
  assert.equal(await parentReason('default', 'no-section'), 'False NoMatchingParent');
  assert.equal(await parentReason('default', 'other-host'), 'False NoMatchingListenerHostname');
  assert.equal(await parentReason('team', 'foreign'), 'False NotAllowedByListeners');
});

test('observedGeneration follows each spec change', async (t) => {
  const web = (path: string) => route('web', `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]\n      backendRefs:\n${backend('a')}`);
  const gw = await startGateway(t, {
    backends: ['a'],
    files: {
      'gateway.yaml': gatewayWith(HTTP_LISTENER),
      'upstream.yaml': upstream('a'),
      'web.yaml': web('/one'),
    },
  });
  const observed = (s: Status) => s.status.parents?.[0]?.conditions.map((c) => c.observedGeneration);
  const first = await statusOf(gw, routeKey('default', 'web'));
  assert.equal(first.generation, 1);
  assert.deepEqual(observed(first), [1, 1]);
  await gw.write('web.yaml', web('/two'));
  const second = await statusOf(gw, routeKey('default', 'web'), (s) => s.generation === 2);
  assert.deepEqual(observed(second), [2, 2]);
});
