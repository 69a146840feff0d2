// Denied discovery queries in the statuses of the resources using them: the Upstream fed by the query and
// the routes forwarding or mirroring to its cluster; nothing else changes, and nothing at all without denials.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consulWatchKey } from '../../ir/endpoints.ts';
import type { ClusterIr, GatewayIr, RouteIr } from '../../ir/types.ts';
import type { StatusRecord } from '../../status/record.ts';
import { withDiscoveryProblems } from './status.ts';

const cluster = (name: string, service?: string): ClusterIr => ({ name, endpoints: [], connectTimeoutMs: 1000, ...(service && { discovery: { consul: { service } } }) });
const forward = (name: string, clusters: string[], mirror?: string): RouteIr => ({
  name,
  match: { path: { type: 'PathPrefix', value: '/' } },
  action: { type: 'forward', backends: clusters.map((c) => ({ cluster: c, weight: 1 })), ...(mirror && { mirrors: [{ cluster: mirror }] }) },
});

const GW: GatewayIr = {
  key: 'default/gw',
  namespace: 'default',
  name: 'gw',
  clusters: [cluster('upstream/default/web', 'web'), cluster('service/default/web/80', 'web'), cluster('upstream/default/other', 'other'), cluster('upstream/default/static')],
  listeners: [{
    name: 'default/gw/80',
    address: '0.0.0.0',
    port: 80,
    protocol: 'HTTP',
    virtualHosts: [{
      name: 'default/gw/http/*',
      domains: ['*'],
      routes: [
        forward('httproute/default/by-service/rule/0/match/0', ['service/default/web/80']),
        forward('grpcroute/default/mirrored/rule/0/match/0', ['upstream/default/static'], 'upstream/default/web'),
        forward('httproute/default/fine/rule/0/match/0', ['upstream/default/other', 'upstream/default/static']),
      ],
    }],
  }],
};

const conditions = (...types: string[]) => types.map((type) => ({ type, status: 'True', reason: type }));
const route = (kind: string, name: string): StatusRecord => ({
  key: `gateway.networking.k8s.io/${kind}/default/${name}`,
  id: `${kind} default/${name}`,
  generation: 3,
  status: { parents: [{ parentRef: { name: 'gw' }, conditions: conditions('Accepted', 'ResolvedRefs') }] },
});
const upstream = (name: string): StatusRecord => ({ key: `gloo.solo.io/Upstream/default/${name}`, id: `Upstream default/${name}`, status: { conditions: conditions('Accepted') } });

const RECORDS = [route('HTTPRoute', 'by-service'), route('GRPCRoute', 'mirrored'), route('HTTPRoute', 'fine'), upstream('web'), upstream('other'), upstream('static')];
const MESSAGE = 'consul discovery: permission denied watching the instances of service web; the token needs service "web" { policy = "read" }';

test('a denied service: ResolvedRefs False on the Upstream it feeds and the routes forwarding or mirroring to it', () => {
  const out = withDiscoveryProblems(RECORDS, [GW], new Map([[consulWatchKey({ service: 'web' }), MESSAGE]]));
  const denied = { type: 'ResolvedRefs', status: 'False', reason: 'PermissionDenied', message: MESSAGE };
  const byKey = new Map(out.map((r) => [r.id, r.status]));
  assert.deepEqual(byKey.get('HTTPRoute default/by-service'), { parents: [{ parentRef: { name: 'gw' }, conditions: [conditions('Accepted')[0], { ...denied, observedGeneration: 3 }] }] });
  assert.deepEqual((byKey.get('GRPCRoute default/mirrored')?.parents as { conditions: unknown[] }[])[0]?.conditions[1], { ...denied, observedGeneration: 3 });
  assert.deepEqual(byKey.get('Upstream default/web'), { conditions: [...conditions('Accepted'), denied] });
  for (const unchanged of ['HTTPRoute default/fine', 'Upstream default/other', 'Upstream default/static']) {
    assert.equal(out.find((r) => r.id === unchanged), RECORDS.find((r) => r.id === unchanged), `${unchanged} is untouched`);
  }
});

test('no denied query, or one no cluster uses: the records as they were', () => {
  assert.equal(withDiscoveryProblems(RECORDS, [GW], new Map()), RECORDS);
  assert.equal(withDiscoveryProblems(RECORDS, [GW], new Map([[consulWatchKey({ service: 'unused' }), MESSAGE]])), RECORDS);
});
