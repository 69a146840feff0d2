// Route-conflict precedence uses only what the user cannot forge and every controller agrees on: Consul KV's
// CreateIndex (metadata.creationIndex, set by the source), else namespace/name. A creationTimestamp written in
// the document never counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDocuments } from '../api/parse.ts';
import type { Resource } from '../api/resource.ts';
import { gatewayWith } from '../../test/support/fixtures.ts';
import { translate } from './translate.ts';

const BASE = gatewayWith('    - { name: http, port: 80, protocol: HTTP }');

/** A route on /same to its own Upstream (so the winner shows in the IR); `meta` adds to its metadata. */
function contender(name: string, meta = ''): string {
  return `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: ${name} }
spec: { static: { hosts: [{ addr: 10.0.0.1, port: 80 }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}${meta} }
spec:
  parentRefs: [{ name: gw }]
  rules: [{ matches: [{ path: { value: /same } }], backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: ${name} }] }]
`;
}

function resources(...docs: string[]): Resource[] {
  const parsed = parseDocuments([BASE, ...docs].join('---\n'), { file: 'x.yaml' });
  assert.deepEqual(parsed.rejected, []);
  return parsed.resources;
}

/** The Upstream the /same route of the gateway forwards to: the winner. */
function winner(rs: Resource[]): string | undefined {
  const [route] = translate(rs).ir.gateways[0]?.listeners[0]?.virtualHosts[0]?.routes ?? [];
  return route?.action.type === 'forward' ? route.action.backends[0]?.cluster : undefined;
}

const kv = (r: Resource, creationIndex: number): Resource => ({ ...r, metadata: { ...r.metadata, creationIndex } });

test('a creationTimestamp in the document does not win a conflict; without a source order, namespace/name decides', () => {
  // `zz` claims to be decades older; it is not believed.
  const rs = resources(contender('aa', `, creationTimestamp: '2030-01-01T00:00:00Z'`), contender('zz', `, creationTimestamp: '1970-01-01T00:00:00Z'`));
  assert.equal(winner(rs), 'upstream/default/aa');
  assert.equal(winner([...rs].reverse()), 'upstream/default/aa', 'nor does the order resources arrive in');
});

test('Consul KV: the key created first (lower CreateIndex) wins, whatever the names and timestamps', () => {
  const [gc, gw, ua, aa, uz, zz] = resources(contender('aa', `, creationTimestamp: '1970-01-01T00:00:00Z'`), contender('zz'));
  const base = [gc, gw, ua, uz] as Resource[];
  assert.equal(winner([...base, kv(aa as Resource, 20), kv(zz as Resource, 7)]), 'upstream/default/zz');
  assert.equal(winner([...base, kv(aa as Resource, 7), kv(zz as Resource, 20)]), 'upstream/default/aa');
});

test('a watched-folder route (no source order) ranks before any Consul KV key', () => {
  const [gc, gw, ua, aa, uz, zz] = resources(contender('aa'), contender('zz'));
  assert.equal(winner([gc, gw, ua, uz, kv(aa as Resource, 1), zz] as Resource[]), 'upstream/default/zz');
});
