// Gloo Gateway's DirectResponse through a real Envoy: a rule with an ExtensionRef to one answers with its
// status and body; editing it changes the answer; removing it turns the rule into 500s and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/components.ts';
import { startGateway } from '../support/gateway.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';

const directResponse = (status: number, body: string) => `
apiVersion: gateway.solo.io/v1alpha1
kind: DirectResponse
metadata: { name: maintenance, namespace: default }
spec: { status: ${status}, body: '${body}' }
`;

const ROUTE = route(
  'web',
  `    - matches: [{ path: { type: PathPrefix, value: /shop } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.solo.io, kind: DirectResponse, name: maintenance } }]
    - matches: [{ path: { type: PathPrefix, value: /api } }]
      backendRefs:
${backend('a')}`,
);

test('DirectResponse: fixed answers by ExtensionRef, following edits and removal', async (t) => {
  const gw = await startGateway(t, {
    backends: ['a'],
    files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': upstream('a'), 'route.yaml': ROUTE, 'direct.yaml': directResponse(503, 'down for maintenance') },
  });
  const first = await gw.until('/shop', (r) => r.status === 503);
  assert.equal(first.body, 'down for maintenance');
  assert.equal((await gw.get('/api')).status, 200, 'the other rule still forwards');

  await gw.write('direct.yaml', directResponse(200, 'back soon'));
  assert.equal((await gw.until('/shop', (r) => r.status === 200)).body, 'back soon');

  await gw.remove('direct.yaml');
  await gw.until('/shop', (r) => r.status === 500);
  await waitFor(async () => JSON.stringify((await gw.status('gateway.networking.k8s.io/HTTPRoute/default/web')) ?? {}).includes('DirectResponseNotFound'), {
    what: 'the route status naming the missing DirectResponse',
  });
  assert.equal((await gw.get('/api')).status, 200);
});
