// The pure parts of the providers: how Consul health entries and EC2 instances become endpoints, the EC2
// filters, and the discovery channel's bookkeeping (only wanted keys, only real changes, one call per burst).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { silentLogger } from '../../lib/logger.ts';
import { endpointsOf, type HealthEntry } from './consul-catalog.ts';
import { Discovery } from './discovery.ts';
import { ec2Filters, instanceEndpoints } from './ec2.ts';

const entry = (service: Partial<HealthEntry['Service']>, node: Partial<HealthEntry['Node']> = {}): HealthEntry => ({
  Node: { Address: '10.0.0.1', ...node },
  Service: { Address: '', Port: 0, ...service },
});

test('consul: service address, else node address; registered port; tags; wan tagged address only for another datacenter', () => {
  const entries = [
    entry({ Address: '10.0.1.1', Port: 8080, Tags: ['v2'] }),
    entry({ Port: 9090 }, { Address: '10.0.0.2' }),
    entry({ Address: '10.0.1.3', Port: 80, TaggedAddresses: { wan: { Address: '203.0.113.3', Port: 8443 } } }),
    entry({ Address: '10.0.1.4', Port: 80 }, { TaggedAddresses: { wan: '203.0.113.4' } }),
  ];
  assert.deepEqual(endpointsOf(entries, false), [
    { address: '10.0.1.1', port: 8080, tags: ['v2'] },
    { address: '10.0.0.2', port: 9090 },
    { address: '10.0.1.3', port: 80 },
    { address: '10.0.1.4', port: 80 },
  ]);
  assert.deepEqual(endpointsOf(entries, true).slice(2), [
    { address: '203.0.113.3', port: 8443 },
    { address: '203.0.113.4', port: 80 },
  ]);
});

test('ec2: running instances with every tag filter; private IP, or public IP when asked (instances without one left out)', () => {
  assert.deepEqual(ec2Filters({ region: 'eu-west-1', filters: [{ key: 'app' }, { key: 'env', value: 'prod' }] }), [
    { Name: 'instance-state-name', Values: ['running'] },
    { Name: 'tag-key', Values: ['app'] },
    { Name: 'tag:env', Values: ['prod'] },
  ]);
  const instances = [{ PrivateIpAddress: '10.0.0.1', PublicIpAddress: '198.51.100.1' }, { PrivateIpAddress: '10.0.0.2' }];
  assert.deepEqual(instanceEndpoints(instances, { region: 'r', filters: [] }), [{ address: '10.0.0.1' }, { address: '10.0.0.2' }]);
  assert.deepEqual(instanceEndpoints(instances, { region: 'r', filters: [], publicIp: true }), [{ address: '198.51.100.1' }]);
});

test('Discovery: without a provider, wanted keys only warn; sets of unwanted keys are dropped', async () => {
  let changes = 0;
  const d = new Discovery({ logger: silentLogger, onChange: () => changes++ });
  d.want({ consul: new Map([['consul//web', { service: 'web' }]]), ec2: new Map() }, () => undefined);
  assert.deepEqual(d.watching(), []);
  await tick();
  assert.equal(changes, 0);
  await d.stop();
});
