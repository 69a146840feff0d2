import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem } from '../../lib/errors.ts';
import { parseKvEntry, parseKvKey, resourceKvKey } from './consul-kv-layout.ts';

const ROUTE = (name = 'web', ns = 'default') =>
  `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: {parentRefs: [{name: gw}]}\n`;

test('keys: namespaced, cluster-scoped and core-group kinds, and the key back from an identity', () => {
  assert.deepEqual(parseKvKey('portico', 'portico/gateway.networking.k8s.io/v1/HTTPRoute/default/web'), {
    id: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'default', name: 'web' },
  });
  assert.deepEqual(parseKvKey('portico', 'portico/gateway.networking.k8s.io/v1/GatewayClass/portico'), {
    id: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', namespace: '', name: 'portico' },
  });
  assert.deepEqual(parseKvKey('p/q', 'p/q/core/v1/Namespace/team-a'), { id: { apiVersion: 'v1', kind: 'Namespace', namespace: '', name: 'team-a' } });
  for (const key of ['portico/gloo.solo.io/v1/Upstream/default/a', 'portico/core/v1/Namespace/x', 'portico/gateway.networking.k8s.io/v1/GatewayClass/c']) {
    const parsed = parseKvKey('portico', key);
    assert.ok('id' in parsed);
    assert.equal(resourceKvKey('portico', parsed.id), key);
  }
});

test('keys: folders, dot-segments and other prefixes are ignored; bad layouts say what is expected', () => {
  for (const key of ['portico/', 'portico/gateway.networking.k8s.io/', 'portico/.status/x', 'portico/a/.draft/b', 'porticox/a/b/c/d', 'other/a']) {
    assert.deepEqual(parseKvKey('portico', key), { ignored: true }, key);
  }
  const problem = (key: string) => {
    const r = parseKvKey('portico', key);
    return 'problem' in r ? r.problem : assert.fail(`${key}: ${JSON.stringify(r)}`);
  };
  assert.match(problem('portico/gateway.networking.k8s.io/v1/HTTPRoute'), /portico\/<group>\/<version>\/<Kind>\/<namespace>\/<name>/);
  assert.match(problem('portico/gateway.networking.k8s.io/v1/HTTPRoute/web'), /HTTPRoute key ends in <namespace>\/<name>/);
  assert.match(problem('portico/gateway.networking.k8s.io/v1/GatewayClass/default/x'), /cluster-scoped/);
  assert.match(problem('portico/gateway.networking.k8s.io/v1/HTTPRoutes/default/x'), /Kind: unknown kind HTTPRoutes.*did you mean HTTPRoute/);
  assert.match(problem('portico/gateway.networking.k8s.io/v9/HTTPRoute/default/x'), /group\/version: HTTPRoute is not served at apiVersion gateway.networking.k8s.io\/v9/);
});

test('values: YAML or JSON; a value naming another resource, several, none or invalid ones are rejected naming the key', () => {
  const key = 'portico/gateway.networking.k8s.io/v1/HTTPRoute/default/web';
  const ok = parseKvEntry('portico', key, ROUTE());
  assert.ok('resource' in ok && ok.resource.source?.key === key);
  const json = parseKvEntry('portico', key, JSON.stringify({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'web' }, spec: {} }));
  assert.ok('resource' in json, 'JSON, and the namespace defaults to default');

  const rejected = (value: string | null) => {
    const r = parseKvEntry('portico', key, value);
    if (!('rejected' in r)) return assert.fail(JSON.stringify(r));
    assert.deepEqual(r.rejected.id, { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'default', name: 'web' }, 'the status lands on the resource the key names');
    return r.rejected.problems.map(formatProblem).join('\n');
  };
  assert.match(rejected(ROUTE('other')), new RegExp(`^${key}: HTTPRoute default/web: the key names .* but the value is .*HTTPRoute default/other \\(name differ\\)`));
  assert.match(rejected(ROUTE('web', 'team-a')), /namespace differ/);
  assert.match(rejected(`${ROUTE()}---\n${ROUTE()}`), /exactly one resource \(found 2\)/);
  assert.match(rejected(''), /the value is empty/);
  assert.match(rejected(null), /the value is empty/);
  assert.match(rejected('kind: [unclosed'), new RegExp(`^${key}:1:\\d+: .*YAML syntax error`));
  assert.match(rejected(ROUTE().replace('spec: {', 'spec: {bogus: 1, ')), new RegExp(`^${key}:\\d+: HTTPRoute default/web: spec.bogus`));

  const badKey = parseKvEntry('portico', 'portico/gateway.networking.k8s.io/v1/HTTPRoute/web', ROUTE());
  assert.ok('rejected' in badKey && !badKey.rejected.id);
  assert.match(formatProblem(badKey.rejected.problems[0]!), /^portico\/gateway.networking.k8s.io\/v1\/HTTPRoute\/web: a HTTPRoute key ends in/);
  assert.deepEqual(parseKvEntry('portico', 'portico/.status/x', 'junk'), { ignored: true });
});

test("rootKey gloo: Gloo's own key layout (gloo/<group>/<version>/<Kind>/<namespace>/<name>) is read as it is", () => {
  const key = 'gloo/gloo.solo.io/v1/Upstream/default/foo';
  const id = { apiVersion: 'gloo.solo.io/v1', kind: 'Upstream', namespace: 'default', name: 'foo' };
  assert.deepEqual(parseKvKey('gloo', key), { id });
  assert.equal(resourceKvKey('gloo', id), key);
  const upstream = 'apiVersion: gloo.solo.io/v1\nkind: Upstream\nmetadata: {name: foo, namespace: default}\nspec:\n  static:\n    hosts: [{addr: 127.0.0.1, port: 8080}]\n';
  const ok = parseKvEntry('gloo', key, upstream);
  assert.ok('resource' in ok && ok.resource.metadata.name === 'foo' && ok.resource.source?.key === key, JSON.stringify(ok));
  assert.deepEqual(parseKvKey('gloo', 'gloo/gateway.networking.k8s.io/v1/HTTPRoute/default/web'), { id: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'default', name: 'web' } });
  // Gloo itself writes solo-kit's YAML (metadata and the spec fields at the top, no apiVersion/kind/spec):
  // the layout is shared, the value is not; such a value is rejected naming the key and what is missing.
  const soloKit = parseKvEntry('gloo', key, 'metadata:\n  name: foo\n  namespace: default\nstatic:\n  hosts:\n  - addr: 127.0.0.1\n    port: 8080\n');
  assert.ok('rejected' in soloKit);
  assert.deepEqual(soloKit.rejected.id, id, 'the status lands on gloo.solo.io/Upstream/default/foo');
  assert.match(soloKit.rejected.problems.map(formatProblem).join('\n'), new RegExp(`^${key}:1: apiVersion: required field is missing`));
});
