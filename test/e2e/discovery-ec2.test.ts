// EC2 discovery against moto_server and a real Envoy: running instances matching an awsEc2 Upstream's tag
// filters become the cluster's hosts in Envoy (read from Envoy's admin API: moto's 10.x addresses are not
// routable, so no traffic is sent), on the Upstream's port; a terminated instance leaves on the next poll;
// publicIp switches to the public addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { waitFor } from '../support/components.ts';
import { envoyClusterHosts } from '../support/envoy-admin.ts';
import { GATEWAY, route } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';
import { startMoto } from '../support/moto.ts';

const REGION = 'eu-west-1';

const upstream = (name: string, spec: string) => `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: ${name}, namespace: default }
spec:
  awsEc2: ${spec}
`;

const routeTo = (name: string) =>
  route(name, `    - matches: [{ path: { type: PathPrefix, value: /${name} } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: ${name} }]`);

test('EC2: tagged running instances become Envoy hosts on the Upstream port; terminated ones leave; publicIp', { timeout: 180_000 }, async (t) => {
  const moto = await startMoto(t);
  const ec2 = moto.ec2(REGION);
  const run = async (count: number, tags: Record<string, string>): Promise<Instance[]> => {
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: 'ami-12c6146b',
        MinCount: count,
        MaxCount: count,
        TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }],
      }),
    );
    return out.Instances ?? [];
  };
  const web = await run(2, { app: 'web', team: 'shop' });
  await run(1, { app: 'batch', team: 'shop' });
  const ips = (list: Instance[], port: number, field: 'PrivateIpAddress' | 'PublicIpAddress' = 'PrivateIpAddress') => list.map((i) => `${i[field]}:${port}`).sort();

  const gw = await startGateway(t, {
    files: {
      'gateway.yaml': GATEWAY,
      'fleet.yaml': upstream('fleet', `{ region: ${REGION}, port: 8080, filters: [{ kvPair: { key: app, value: web } }, { key: team }] }`) + '---\n' + routeTo('fleet'),
    },
    controller: { discovery: { ec2: { endpoint: moto.endpoint, intervalMs: 500 } } },
  });
  const hosts = async (cluster: string, expected: string[]) => {
    let last: string[] | undefined;
    await waitFor(async () => {
      last = await envoyClusterHosts(gw.envoy.adminPort, cluster);
      return JSON.stringify(last) === JSON.stringify(expected);
    }, { timeoutMs: 15_000, intervalMs: 100, what: () => `Envoy's ${cluster} hosts to be ${expected.join(', ')} (last: ${last?.join(', ')})` });
  };

  await hosts('upstream/default/fleet', ips(web, 8080));

  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [web[0]?.InstanceId as string] }));
  await hosts('upstream/default/fleet', ips(web.slice(1), 8080));

  // moto gives running instances public IPs too; publicIp picks those, on Gloo's default port 80.
  await gw.write('public.yaml', upstream('public', `{ region: ${REGION}, publicIp: true, filters: [{ key: team }] }`) + '---\n' + routeTo('public'));
  const described = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: ['team'] }, { Name: 'instance-state-name', Values: ['running'] }] }));
  const running = (described.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  assert.equal(running.length, 2);
  assert.ok(running.every((i) => i.PublicIpAddress), 'moto gave every running instance a public IP');
  await hosts('upstream/default/public', ips(running, 80, 'PublicIpAddress'));
  assert.deepEqual(gw.controller.discoveryWatches().length, 2);
});
