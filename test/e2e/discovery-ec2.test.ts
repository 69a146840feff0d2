// EC2 discovery against moto_server and a real Envoy: running instances matching an awsEc2 Upstream's tag
// filters become the cluster's hosts in Envoy (read from Envoy's admin API: moto's 10.x addresses are not
// routable, so no traffic is sent), on the Upstream's port; a terminated instance leaves on the next poll;
// publicIp switches to the public addresses. Credentials from a Secret: moto keeps instances per account
// and picks the account by access key, so the hosts Envoy gets show whose credentials were used. An EC2
// outage (moto stopped) is degraded health and a metric, logged once, keeps the last hosts; moto back,
// the poller recovers and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { DescribeInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { pino } from 'pino';
import type { AwsCredentials } from '../../src/api/aws-secret.ts';
import { statusPath } from '../../src/status/file-writer.ts';
import { waitFor } from '../support/components.ts';
import { envoyClusterHosts, untilClusterHosts } from '../support/envoy-admin.ts';
import { GATEWAY, route } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';
import { captureLogs } from '../support/logs.ts';
import { instanceHosts, runInstances, startMoto } from '../support/moto.ts';

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
  const web = await runInstances(ec2, 2, { app: 'web', team: 'shop' });
  await runInstances(ec2, 1, { app: 'batch', team: 'shop' });

  const gw = await startGateway(t, {
    files: {
      'gateway.yaml': GATEWAY,
      'fleet.yaml': upstream('fleet', `{ region: ${REGION}, port: 8080, filters: [{ kvPair: { key: app, value: web } }, { key: team }] }`) + '---\n' + routeTo('fleet'),
    },
    controller: { discovery: { ec2: { endpoint: moto.endpoint, intervalMs: 500 } } },
  });
  await untilClusterHosts(gw.envoy.adminPort, 'upstream/default/fleet', instanceHosts(web, 8080));

  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [web[0]?.InstanceId as string] }));
  await untilClusterHosts(gw.envoy.adminPort, 'upstream/default/fleet', instanceHosts(web.slice(1), 8080));

  // moto gives running instances public IPs too; publicIp picks those, on Gloo's default port 80.
  await gw.write('public.yaml', upstream('public', `{ region: ${REGION}, publicIp: true, filters: [{ key: team }] }`) + '---\n' + routeTo('public'));
  const described = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: ['team'] }, { Name: 'instance-state-name', Values: ['running'] }] }));
  const running = (described.Reservations ?? []).flatMap((r) => r.Instances ?? []);
  assert.equal(running.length, 2);
  assert.ok(running.every((i) => i.PublicIpAddress), 'moto gave every running instance a public IP');
  await untilClusterHosts(gw.envoy.adminPort, 'upstream/default/public', instanceHosts(running, 80, 'PublicIpAddress'));
  assert.deepEqual(gw.controller.discoveryWatches().length, 2);
});

/** The Secret `default/aws` as file secrets: one file per key. */
async function writeCredentials(gw: GatewayEnv, c: AwsCredentials): Promise<void> {
  await gw.write('.secrets/default/aws/aws_access_key_id', `${c.accessKeyId}\n`);
  await gw.write('.secrets/default/aws/aws_secret_access_key', `${c.secretAccessKey}\n`);
  await gw.write('.secrets/default/aws/aws_session_token', `${c.sessionToken}\n`);
}

test('EC2 credentials from a Secret: its account is listed; a rotation switches accounts; a missing key is named; no value in /debug/ir, status or logs', { timeout: 180_000 }, async (t) => {
  const moto = await startMoto(t);
  const [a, b] = [await moto.assumeRole('111111111111'), await moto.assumeRole('222222222222')];
  // Same tags in three accounts: the environment's (the standard chain's), A's and B's.
  const inEnvAccount = await runInstances(moto.ec2(REGION), 2, { app: 'web' });
  const inA = await runInstances(moto.ec2(REGION, a), 1, { app: 'web' });
  const inB = await runInstances(moto.ec2(REGION, b), 2, { app: 'web' });
  assert.equal(new Set([...inEnvAccount, ...inA, ...inB].map((i) => i.PrivateIpAddress)).size, 5);

  const logs: string[] = [];
  const gw = await startGateway(t, {
    files: { 'gateway.yaml': GATEWAY, 'fleet.yaml': upstream('fleet', `{ region: ${REGION}, filters: [{ kvPair: { key: app, value: web } }], secretRef: { name: aws, namespace: default } }`) + '---\n' + routeTo('fleet') },
    controller: { discovery: { ec2: { endpoint: moto.endpoint, intervalMs: 500 } }, logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }) },
  });
  await writeCredentials(gw, a);
  await untilClusterHosts(gw.envoy.adminPort, 'upstream/default/fleet', instanceHosts(inA, 80));

  await writeCredentials(gw, b);
  await untilClusterHosts(gw.envoy.adminPort, 'upstream/default/fleet', instanceHosts(inB, 80));
  assert.equal(gw.controller.discoveryWatches().length, 1, 'the rotation replaced the poller');
  const debugIr = async () => (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/debug/ir`)).text();
  const irServing = await debugIr();
  assert.match(irServing, /"secretRef": \{\s*"namespace": "default",\s*"name": "aws"\s*\}/);

  await gw.remove('.secrets/default/aws/aws_secret_access_key');
  await untilClusterHosts(gw.envoy.adminPort, 'upstream/default/fleet', []);
  const key = 'gloo.solo.io/Upstream/default/fleet';
  let resolved: unknown;
  await waitFor(async () => {
    const conditions = ((await gw.status(key))?.status as { conditions?: { type: string; status: string; message: string }[] } | undefined)?.conditions ?? [];
    resolved = conditions.find((c) => c.type === 'ResolvedRefs');
    return (resolved as { status?: string } | undefined)?.status === 'False';
  }, { what: () => `ResolvedRefs=False on the Upstream (last: ${JSON.stringify(resolved)})` });
  assert.match((resolved as { message: string }).message, /^Secret default\/aws has no key aws_secret_access_key/);

  const status = await readFile(statusPath(gw.controller.statusDir, key), 'utf8');
  const shown = { ir: irServing + (await debugIr()), status, logs: logs.join('') };
  assert.match(shown.logs, /polling EC2/);
  for (const c of [a, b]) {
    for (const [what, text] of Object.entries(shown)) {
      for (const value of Object.values(c)) assert.ok(!text.includes(value), `a credential value is in the ${what}`);
    }
  }
});

test('EC2 outage: /healthz degraded and the metric, the last hosts kept, logged once without a stack; EC2 back: recovered, logged', { timeout: 180_000 }, async (t) => {
  const moto = await startMoto(t);
  const web = await runInstances(moto.ec2(REGION), 2, { app: 'web' });
  const logs = captureLogs('info');
  const gw = await startGateway(t, {
    files: { 'gateway.yaml': GATEWAY, 'fleet.yaml': upstream('fleet', `{ region: ${REGION}, port: 8080, filters: [{ kvPair: { key: app, value: web } }] }`) + '---\n' + routeTo('fleet') },
    controller: { discovery: { ec2: { endpoint: moto.endpoint, intervalMs: 500 } }, logger: logs.logger },
  });
  const admin = (path: string) => fetch(`http://127.0.0.1:${gw.controller.adminPort}${path}`);
  const healthz = async () => (await (await admin('/healthz')).json()) as { status: string; degraded: string[] };
  const metric = async () => /^portico_degraded_components (\d+)$/m.exec(await (await admin('/metrics')).text())?.[1];
  await untilClusterHosts(gw.envoy.adminPort, 'upstream/default/fleet', instanceHosts(web, 8080));
  assert.deepEqual(await healthz(), { status: 'ok', degraded: [] });

  await moto.stop();
  const OUTAGE = new RegExp(`^ec2 discovery: EC2 DescribeInstances in ${REGION} at ${moto.endpoint.replaceAll('.', '\\.')} failed: .*ECONNREFUSED.*; the last instances stay in use, retrying$`);
  let health = await healthz();
  await waitFor(async () => (health = await healthz()).status === 'degraded', { what: () => `degraded health (last: ${JSON.stringify(health)})` });
  assert.equal(health.degraded.length, 1, JSON.stringify(health));
  assert.match(health.degraded[0] as string, OUTAGE);
  t.diagnostic(health.degraded[0] as string);
  assert.equal(await metric(), '1');
  // Many polls (every 500 ms at most) later: the same hosts, and the outage logged once.
  await new Promise((r) => setTimeout(r, 4000));
  assert.deepEqual(await envoyClusterHosts(gw.envoy.adminPort, 'upstream/default/fleet'), instanceHosts(web, 8080), 'the last hosts stay in use');
  const lines = logs.entries.filter((e) => OUTAGE.test(String(e.msg)));
  assert.equal(lines.length, 1, logs.text());
  assert.equal(lines[0]?.level, 40, 'a warning');
  assert.ok(!('err' in (lines[0] ?? {})) && !logs.text().includes('    at '), 'no stack trace');

  // moto comes back empty (it keeps nothing): the poller recovers and serves what EC2 lists now.
  await moto.restart();
  const back = await runInstances(moto.ec2(REGION), 1, { app: 'web' });
  await untilClusterHosts(gw.envoy.adminPort, 'upstream/default/fleet', instanceHosts(back, 8080));
  await waitFor(async () => (health = await healthz()).status === 'ok', { what: () => `healthy again (last: ${JSON.stringify(health)})` });
  assert.equal(await metric(), '0');
  assert.equal(logs.entries.filter((e) => e.msg === 'EC2 query answers again').length, 1, logs.text());
});
