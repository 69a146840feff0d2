import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourceKey, type Resource } from '../api/resource.ts';
import { TYPE_URLS } from '../xds/resources.ts';
import { pinned, runGatewayPipeline, runPipeline } from './pipeline.ts';

const gatewayClass: Resource = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'portico', namespace: '' }, spec: { controllerName: 'portico.dev/gateway-controller' } };
const gateway = (name: string, port: number): Resource => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace: 'default' },
  spec: { gatewayClassName: 'portico', listeners: [{ name: 'http', protocol: 'HTTP', port }] },
});
const route = (name: string, path: string): Resource => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name, namespace: 'default' },
  spec: { parentRefs: [{ name: 'gw' }, { name: 'gw2' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }], filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: 302 } }] }] },
});

test('pinned serves withheld resources at their fall-back version, leaves out those without one, keeps the order', () => {
  const current = [gatewayClass, gateway('gw', 8080), route('a', '/a-new'), route('b', '/b'), route('c', '/c-new')];
  const fallback = new Map([[resourceKey(route('a', '')), route('a', '/a-old')]]);
  const withheld = new Set([resourceKey(route('a', '')), resourceKey(route('c', ''))]);
  const out = pinned(current, withheld, fallback);
  assert.deepEqual([...out.keys()], [...out.keys()].sort());
  assert.equal((out.get(resourceKey(route('a', '')))?.spec as { rules: { matches: { path: { value: string } }[] }[] }).rules[0]?.matches[0]?.path.value, '/a-old');
  assert.equal(out.has(resourceKey(route('c', ''))), false);
  assert.equal(out.get(resourceKey(route('b', ''))), current[3], 'the others are the very same objects');
});

test('runGatewayPipeline translates one gateway as runPipeline does', () => {
  const resources = [gatewayClass, gateway('gw', 8080), gateway('gw2', 8081), route('a', '/a')];
  const one = runGatewayPipeline(resources, 'default/gw');
  assert.deepEqual(one?.xds, runPipeline(resources, []).xds.get('default/gw'));
  assert.equal(one?.gateway.key, 'default/gw');
  assert.ok(one?.xds[TYPE_URLS.route]?.length);
  assert.equal(runGatewayPipeline(resources, 'default/absent'), undefined);
});
