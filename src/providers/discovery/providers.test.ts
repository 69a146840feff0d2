// The pure parts of the providers: how Consul health entries and EC2 instances become endpoints (Consul's
// address rule, tagged addresses), the EC2 filters and error texts, and the discovery channel's bookkeeping
// (only wanted keys, only real changes, one call per burst).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { silentLogger } from '../../lib/logger.ts';
import { endpointsOf, type HealthEntry } from './consul-catalog.ts';
import { Discovery } from './discovery.ts';
import { FailingQueries } from './failing.ts';
import { awsReason, ec2Filters, instanceEndpoints } from './ec2.ts';

const entry = (service: Partial<HealthEntry['Service']>, node: Partial<HealthEntry['Node']> = {}): HealthEntry => ({
  Node: { Address: '10.0.0.1', ...node },
  Service: { Address: '', Port: 0, ...service },
});

const wan = (Address: string, Port = 0) => ({ wan: { Address, Port } });

test('consul addresses, Consul\'s rule: service address, else node address; registered port; tags; lan tagged addresses never picked', () => {
  const entries = [
    entry({ Address: '10.0.1.1', Port: 8080, Tags: ['v2'], TaggedAddresses: { lan: { Address: '10.9.9.9', Port: 1 }, lan_ipv4: { Address: '10.9.9.8', Port: 2 } } }),
    entry({ Port: 9090 }, { Address: '10.0.0.2', TaggedAddresses: { lan: '10.9.9.7', lan_ipv4: '10.9.9.6' } }),
    entry({ Address: '10.0.1.3', Port: 80, TaggedAddresses: wan('203.0.113.3', 8443) }),
    entry({ Address: '10.0.1.4', Port: 80 }, { TaggedAddresses: { wan: '203.0.113.4' } }),
    entry({ Port: 80 }, { Address: '10.0.0.5', TaggedAddresses: { wan: '203.0.113.5' } }),
  ];
  assert.deepEqual(endpointsOf(entries, undefined).endpoints, [
    { address: '10.0.1.1', port: 8080, tags: ['v2'] },
    { address: '10.0.0.2', port: 9090 },
    { address: '10.0.1.3', port: 80 },
    { address: '10.0.1.4', port: 80 },
    { address: '10.0.0.5', port: 80 },
  ]);
  assert.deepEqual(endpointsOf(entries, 'dc1', 'dc1').endpoints.slice(2), endpointsOf(entries, undefined).endpoints.slice(2), 'the agent\'s own datacenter named explicitly is still local');
});

test('consul addresses in another datacenter: service wan (with its port), service address, node wan, node address', () => {
  const remote = (e: HealthEntry) => endpointsOf([e], 'dc1', 'dc2').endpoints[0];
  assert.deepEqual(remote(entry({ Address: '10.0.1.3', Port: 80, TaggedAddresses: wan('203.0.113.3', 8443) })), { address: '203.0.113.3', port: 8443 });
  assert.deepEqual(remote(entry({ Address: '10.0.1.3', Port: 80, TaggedAddresses: wan('203.0.113.3') })), { address: '203.0.113.3', port: 80 }, 'a wan address without a port keeps the service port');
  // The service has its own address but no wan one: Consul takes the service address before the node's wan.
  assert.deepEqual(remote(entry({ Address: '10.0.1.4', Port: 80 }, { TaggedAddresses: { wan: '203.0.113.4' } })), { address: '10.0.1.4', port: 80 });
  assert.deepEqual(remote(entry({ Port: 80 }, { Address: '10.0.0.5', TaggedAddresses: { wan: '203.0.113.5' } })), { address: '203.0.113.5', port: 80 });
  assert.deepEqual(remote(entry({ Port: 80 }, { Address: '10.0.0.6' })), { address: '10.0.0.6', port: 80 });
  // The entry's own datacenter decides: a dc2 watch answered by dc1's node is local.
  assert.deepEqual(endpointsOf([entry({ Address: '10.0.1.7', Port: 80, TaggedAddresses: wan('203.0.113.7') }, { Datacenter: 'dc1' })], 'dc1', 'dc2').endpoints, [{ address: '10.0.1.7', port: 80 }]);
  // The agent's datacenter unknown: everything is local.
  assert.deepEqual(endpointsOf([entry({ Address: '10.0.1.8', Port: 80, TaggedAddresses: wan('203.0.113.8') })], undefined, 'dc2').endpoints, [{ address: '10.0.1.8', port: 80 }]);
});

test('consul addresses that are DNS names: the IP tagged address Consul\'s DNS would answer with (IPv4 first), else left out and named', () => {
  const svc = (TaggedAddresses: NonNullable<HealthEntry['Service']['TaggedAddresses']>) => entry({ ID: 'web-1', Address: 'web.internal', Port: 80, TaggedAddresses }, { Node: 'n1' });
  const both = { lan_ipv4: { Address: '10.0.2.1', Port: 8080 }, lan_ipv6: { Address: 'fd00::1', Port: 0 }, wan: { Address: 'web.example.com', Port: 0 }, wan_ipv4: { Address: '198.51.100.1', Port: 0 } };
  assert.deepEqual(endpointsOf([svc(both)], undefined).endpoints, [{ address: '10.0.2.1', port: 8080 }], 'lan_ipv4, with its port');
  assert.deepEqual(endpointsOf([svc({ lan_ipv6: { Address: 'fd00::1', Port: 0 } })], undefined).endpoints, [{ address: 'fd00::1', port: 80 }]);
  assert.deepEqual(endpointsOf([svc(both)], 'dc1', 'dc2').endpoints, [{ address: '198.51.100.1', port: 80 }], 'another datacenter: wan_ipv4 before lan_ipv4');
  const node = entry({ ID: 'db-1', Port: 5432 }, { Node: 'n2', Address: 'db.internal', TaggedAddresses: { lan_ipv4: '10.0.3.1' } });
  assert.deepEqual(endpointsOf([node], undefined).endpoints, [{ address: '10.0.3.1', port: 5432 }], 'the node level too');
  assert.deepEqual(endpointsOf([svc({}), node], undefined), { endpoints: [{ address: '10.0.3.1', port: 5432 }], unusable: ['web-1 on n1 (web.internal)'] });
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

test('ec2 errors in one line: the AWS error code and message, or the network code hidden in an AggregateError', () => {
  const refused = Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:5000'), { code: 'ECONNREFUSED' })], ''), { code: 'ECONNREFUSED' });
  assert.equal(awsReason(refused), 'connect ECONNREFUSED ::1:5000');
  assert.equal(awsReason(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 'ECONNRESET: socket hang up');
  assert.equal(awsReason(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED' })), 'connect ECONNREFUSED 127.0.0.1:5000');
  const denied = Object.assign(new Error('You are not authorized to perform this operation.'), { name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } });
  assert.equal(awsReason(denied), 'AWS answered 403 UnauthorizedOperation: You are not authorized to perform this operation.');
});

test('FailingQueries: the first failure and how many more; a repeated failure is not new; denied ones apart', () => {
  const f = new FailingQueries('Consul service queries');
  assert.equal(f.summary(), undefined);
  assert.equal(f.fail('a', 'a is down'), undefined, 'new');
  assert.equal(f.fail('a', 'a is down')?.message, 'a is down', 'the same outage');
  f.fail('b', 'b is hidden', true);
  assert.equal(f.summary(), 'a is down (and 1 more Consul service queries failing)');
  assert.deepEqual([...f.denied()], [['b', 'b is hidden']]);
  assert.equal(f.recover('a')?.message, 'a is down');
  assert.equal(f.recover('a'), undefined);
  assert.equal(f.summary(), 'b is hidden');
});
