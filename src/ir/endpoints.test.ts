import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consulWatchKey, discoveredEndpoints, ec2WatchKey, joinCluster, watchesOf, type DiscoveredEndpoint } from './endpoints.ts';
import type { ClusterIr, GatewayIr } from './types.ts';

const cluster = (name: string, discovery?: ClusterIr['discovery']): ClusterIr => ({ name, endpoints: [], connectTimeoutMs: 5000, ...(discovery && { discovery }) });
const gateway = (clusters: ClusterIr[]): GatewayIr => ({ key: 'default/gw', namespace: 'default', name: 'gw', listeners: [], clusters });
const sets = (entries: Record<string, DiscoveredEndpoint[]>) => new Map(Object.entries(entries));

test('watchesOf: one Consul watch per service and datacenter, one EC2 watch per query (port and tags do not widen it)', () => {
  const w = watchesOf([
    gateway([
      cluster('a', { consul: { service: 'web', port: 80 } }),
      cluster('b', { consul: { service: 'web', tags: ['v2'] } }),
      cluster('c', { consul: { service: 'pay', dataCenters: ['dc1', 'dc2'] } }),
      cluster('stale', { consul: { service: 'pay', dataCenters: ['dc2'], consistency: 'stale' } }),
      cluster('d', { ec2: { region: 'eu-west-1', filters: [{ key: 'app' }], port: 80 } }),
      cluster('e', { ec2: { region: 'eu-west-1', filters: [{ key: 'app' }], port: 8080 } }),
      cluster('static'),
    ]),
  ]);
  assert.deepEqual([...w.consul.keys()], ['consul//web', 'consul/dc1/pay', 'consul/dc2/pay', 'consul/dc2/pay?stale']);
  assert.deepEqual(w.consul.get('consul/dc2/pay?stale'), { service: 'pay', dc: 'dc2', consistency: 'stale' });
  assert.deepEqual(w.consul.get('consul/dc2/pay'), { service: 'pay', dc: 'dc2' });
  assert.deepEqual([...w.ec2.values()], [{ region: 'eu-west-1', filters: [{ key: 'app' }] }]);
});

test('discoveredEndpoints: the instance port wins, the source port fills in, tags filter, duplicates merge, sorted', () => {
  const key = consulWatchKey({ service: 'web' });
  const found = sets({
    [key]: [
      { address: '10.0.0.2', port: 9000, tags: ['v2', 'canary'] },
      { address: '10.0.0.1', tags: ['v2'] },
      { address: '10.0.0.1', tags: ['v2'] },
      { address: '10.0.0.3', port: 9000, tags: ['v1'] },
    ],
  });
  assert.deepEqual(discoveredEndpoints({ consul: { service: 'web', port: 80 } }, found), [
    { address: '10.0.0.1', port: 80 },
    { address: '10.0.0.2', port: 9000 },
    { address: '10.0.0.3', port: 9000 },
  ]);
  assert.deepEqual(discoveredEndpoints({ consul: { service: 'web', tags: ['canary', 'v2'] } }, found), [{ address: '10.0.0.2', port: 9000 }]);
  // No port anywhere: the instance cannot be reached, so it is left out.
  assert.deepEqual(discoveredEndpoints({ consul: { service: 'web', tags: ['v2'] } }, found), [{ address: '10.0.0.2', port: 9000 }]);
});

test('discoveredEndpoints: excluded tags leave an instance out; subset tags label each endpoint "1" or "0" (Gloo\'s tag_<tag>)', () => {
  const found = sets({
    [consulWatchKey({ service: 'web' })]: [
      { address: '10.0.0.1', port: 80, tags: ['v1'] },
      { address: '10.0.0.2', port: 80, tags: ['v2', 'canary'] },
      { address: '10.0.0.3', port: 80, tags: ['v2', 'draining'] },
      { address: '10.0.0.4', port: 80 },
    ],
  });
  assert.deepEqual(discoveredEndpoints({ consul: { service: 'web', excludedTags: ['draining'], subsetTags: ['canary', 'v2'] } }, found), [
    { address: '10.0.0.1', port: 80, subset: { tag_canary: '0', tag_v2: '0' } },
    { address: '10.0.0.2', port: 80, subset: { tag_canary: '1', tag_v2: '1' } },
    { address: '10.0.0.4', port: 80, subset: { tag_canary: '0', tag_v2: '0' } },
  ]);
});

test('discoveredEndpoints: every datacenter is joined; EC2 instances take the source port; unanswered watches give none', () => {
  const found = sets({
    'consul/dc1/pay': [{ address: '10.1.0.1', port: 80 }],
    'consul/dc2/pay': [{ address: '10.2.0.1', port: 80 }],
    [ec2WatchKey({ region: 'us-east-1', filters: [] })]: [{ address: '172.16.0.9' }],
  });
  assert.deepEqual(discoveredEndpoints({ consul: { service: 'pay', dataCenters: ['dc1', 'dc2'] } }, found).map((e) => e.address), ['10.1.0.1', '10.2.0.1']);
  assert.deepEqual(discoveredEndpoints({ ec2: { region: 'us-east-1', filters: [], port: 8080 } }, found), [{ address: '172.16.0.9', port: 8080 }]);
  assert.deepEqual(discoveredEndpoints({ consul: { service: 'nobody' } }, found), []);
});

test('joinCluster: fills discovered clusters only, leaving the rest of the cluster as it was', () => {
  const s = cluster('static');
  s.endpoints = [{ address: '127.0.0.1', port: 1 }];
  assert.equal(joinCluster(s, new Map()), s);
  const d = cluster('d', { consul: { service: 'web', port: 80 } });
  const joined = joinCluster(d, sets({ 'consul//web': [{ address: '10.0.0.1' }] }));
  assert.deepEqual(joined, { ...d, endpoints: [{ address: '10.0.0.1', port: 80 }] });
  assert.deepEqual(d.endpoints, [], 'the IR is not changed in place');
});
