// Smoke test: the moto_server scripts/setup.sh installed answers EC2 calls through the AWS SDK: instances
// started with tags are listed by a tag filter with their private IPs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DescribeInstancesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { startMoto } from '../support/moto.ts';

test('moto: RunInstances with tags, DescribeInstances by tag through the SDK', { timeout: 90_000 }, async (t) => {
  const moto = await startMoto(t);
  const ec2 = moto.ec2('eu-west-1');
  await ec2.send(
    new RunInstancesCommand({
      ImageId: 'ami-12c6146b',
      MinCount: 2,
      MaxCount: 2,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'app', Value: 'smoke' }] }],
    }),
  );
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:app', Values: ['smoke'] }] }));
  const instances = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  assert.equal(instances.length, 2);
  for (const i of instances) assert.match(i.PrivateIpAddress ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  const none = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:app', Values: ['other'] }] }));
  assert.equal((none.Reservations ?? []).length, 0);
});
