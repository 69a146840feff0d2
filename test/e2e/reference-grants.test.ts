// Cross-namespace backendRefs served by a real Envoy only while a ReferenceGrant permits them: removing the
// grant turns the rule into 500s at once (and says why in the route's status), restoring it brings it back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/components.ts';
import { startGateway } from '../support/gateway.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';

const GRANT = `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: default-routes, namespace: backends }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default }]
  to: [{ group: gloo.solo.io, kind: Upstream, name: billing }]
`;

interface RouteStatus {
  status: { parents: { conditions: { type: string; status: string; reason: string; message: string }[] }[] };
}

const ROUTE = route(
  'cross',
  `    - matches: [{ path: { type: PathPrefix, value: /billing } }]
      backendRefs:
${backend('billing', undefined, 'backends')}`,
);

test('a ReferenceGrant permits a cross-namespace backend; deleting it takes effect at once', async (t) => {
  const gw = await startGateway(t, {
    backends: ['billing'],
    files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': upstream('billing', 'backends'), 'route.yaml': ROUTE, 'grant.yaml': GRANT },
  });
  const served = await gw.until('/billing', (r) => r.status === 200);
  assert.equal(JSON.parse(served.body).backend, 'billing');

  const removed = Date.now();
  await gw.remove('grant.yaml');
  // "At the next push": bounded for a loaded 2-core machine, the time printed.
  await gw.until('/billing', (r) => r.status === 500, { timeoutMs: 10_000 });
  t.diagnostic(`grant removal served after ${Date.now() - removed} ms`);
  // Statuses are written just after the push.
  let resolved: { status: string; reason: string; message: string } | undefined;
  await waitFor(async () => {
    const route = (await gw.status('gateway.networking.k8s.io/HTTPRoute/default/cross')) as RouteStatus | undefined;
    resolved = route?.status.parents[0]?.conditions.find((c) => c.type === 'ResolvedRefs');
    return resolved?.status === 'False';
  }, { what: 'ResolvedRefs False on the route' });
  assert.equal(resolved?.reason, 'RefNotPermitted');
  assert.match(resolved?.message ?? '', /no ReferenceGrant there permits it \(one from gateway.networking.k8s.io HTTPRoute in default to gloo.solo.io Upstream would\)/);

  const restored = Date.now();
  await gw.write('grant.yaml', GRANT);
  await gw.until('/billing', (r) => r.status === 200, { timeoutMs: 10_000 });
  t.diagnostic(`grant restored, served after ${Date.now() - restored} ms`);
});
