import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discoveryFrom } from './discovery-options.ts';

const CONSUL = { address: 'http://127.0.0.1:8500', tokenFile: '/etc/portico/consul-token' };

test('discovery: the file turns kinds on, flags replace its choice and its values, Consul is the shared connection', () => {
  assert.equal(discoveryFrom({}, undefined, CONSUL), undefined, 'off unless asked');
  assert.deepEqual(discoveryFrom({}, { consul: { waitSeconds: 60 } }, CONSUL), { consul: { ...CONSUL, waitMs: 60_000 } });
  assert.deepEqual(discoveryFrom({ discovery: 'ec2', ec2Interval: '5' }, { consul: {} }, CONSUL), { ec2: { intervalMs: 5000 } });
  assert.deepEqual(discoveryFrom({ consulWait: '10' }, { consul: { waitSeconds: 60 }, ec2: { endpoint: 'http://moto' } }, CONSUL), {
    consul: { ...CONSUL, waitMs: 10_000 },
    ec2: { endpoint: 'http://moto' },
  });
  assert.throws(() => discoveryFrom({ discovery: 'consul,dns' }, undefined, CONSUL), /--discovery: unknown kind 'dns'/);
  assert.throws(() => discoveryFrom({ discovery: 'consul', consulWait: '900' }, undefined, CONSUL), /--consul-wait: '900'/);
});
