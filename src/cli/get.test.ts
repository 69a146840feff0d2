// The pure parts of `portico get`: kind names, the layout a status is stored under, a route's conditions over
// several parents, and where the statuses are read from (the controller's own defaults).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStored, render, resolveKinds, select, statusLocation, type StoredStatus } from './get.ts';

test('kinds: kubectl names resolve, duplicates once, all is every kind; an unknown name suggests the closest', () => {
  assert.deepEqual(resolveKinds('gtw,Gateways,gateway.gateway.networking.k8s.io').map((k) => k.kind), ['Gateway']);
  assert.deepEqual(resolveKinds('ug,refgrant,secrets').map((k) => `${k.group}/${k.kind}`), ['gloo.solo.io/UpstreamGroup', 'gateway.networking.k8s.io/ReferenceGrant', '/Secret']);
  assert.ok(resolveKinds('all').length >= 14);
  assert.throws(() => resolveKinds('upstreamgroup,gatway'), /^ConfigError: unknown kind 'gatway'; did you mean 'gateway'\?/);
  assert.throws(() => resolveKinds('frobs'), (e: Error) => !e.message.includes('did you mean'));
});

test('stored statuses: namespaced and cluster-scoped paths, core as the empty group; stray entries are named', () => {
  const text = 'resource: Secret default/tls\nsource: conf/.secrets/default/tls\ngeneration: 2\nstatus: { conditions: [] }\n';
  assert.deepEqual(parseStored('core/Secret/default/tls', text, 'f'), { group: '', kind: 'Secret', namespace: 'default', name: 'tls', location: 'f', source: 'conf/.secrets/default/tls', generation: 2, status: { conditions: [] } });
  assert.equal((parseStored('gateway.networking.k8s.io/GatewayClass/portico', 'status: {}', 'g') as StoredStatus).namespace, undefined);
  assert.deepEqual(parseStored('notes', 'x', 'n'), { skipped: 'n: not laid out as <group>/<Kind>/[<namespace>/]<name>' });
  assert.deepEqual(parseStored('a/B/c/d', 'resource: x\n', 'k'), { skipped: 'k: no status in it' });
  assert.match((parseStored('a/B/c/d', 'status: [', 'k') as { skipped: string }).skipped, /^k: not YAML: /);
});

test("a route's column is False when any parent says False; - when no parent has the condition", () => {
  const parent = (accepted: string) => ({ conditions: [{ type: 'Accepted', status: accepted, reason: accepted === 'True' ? 'Accepted' : 'NotAllowedByListeners', message: 'm' }] });
  const route = (name: string, ...parents: ReturnType<typeof parent>[]): StoredStatus => ({ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'default', name, location: name, status: { parents } });
  const kinds = resolveKinds('httproutes');
  const out = render(select([route('two', parent('True'), parent('False')), route('one', parent('True'))], kinds), kinds, 'wide', false);
  assert.deepEqual(out.split('\n').map((l) => l.split(/ {3,}/)), [
    ['NAME', 'NAMESPACE', 'ACCEPTED', 'RESOLVEDREFS', 'GENERATION', 'SOURCE', 'MESSAGE'],
    ['one', 'default', 'True', '-', '-', '-', '-'],
    ['two', 'default', 'False', '-', '-', '-', 'NotAllowedByListeners: m'],
    [''],
  ]);
});

test('where: a status folder wins over Consul flags; Consul KV with the controller\'s default prefix; nothing given is an error', () => {
  const given = (values: Record<string, string>) => (name: string) => values[name];
  assert.deepEqual(statusLocation(given({ configDir: '/conf', consulAddress: 'http://c:8500' })), { dir: '/conf/.status' });
  const consul = statusLocation(given({ consulAddress: 'http://c:8500', consulKvRoot: 'team' }));
  assert.ok('consul' in consul && consul.prefix === 'team-status' && consul.consul.address === 'http://c:8500', JSON.stringify(consul));
  assert.throws(() => statusLocation(given({})), /where are the statuses\?/);
});
