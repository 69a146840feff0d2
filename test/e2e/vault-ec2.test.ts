// EC2 credentials from a Vault-held Secret, end to end: moto_server (it keeps instances per account and tells
// accounts apart by access key), a real OpenBao, the controller and a real Envoy. An awsEc2 Upstream's secretRef
// names a Vault KV secret: the instances of its account become Envoy's hosts (read from Envoy's admin API: moto's
// addresses are not routable); rotating the credentials in Vault switches accounts; a key removed in Vault is named
// in the Upstream's status and the hosts go; no credential value is shown anywhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AwsCredentials } from '../../src/api/aws-secret.ts';
import { waitFor } from '../support/components.ts';
import { untilClusterHosts } from '../support/envoy-admin.ts';
import { GATEWAY, route } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';
import { captureLogs } from '../support/logs.ts';
import { instanceHosts, runInstances, startMoto } from '../support/moto.ts';
import { assertNotShown, shownByController, startVault } from '../support/vault.ts';

const REGION = 'eu-west-1';
const CLUSTER = 'upstream/default/fleet';

const FLEET = `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: fleet, namespace: default }
spec:
  awsEc2: { region: ${REGION}, filters: [{ kvPair: { key: app, value: web } }], secretRef: { name: aws, namespace: default } }
---
${route('fleet', `    - backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: fleet }]`)}`;

/** The KV v2 data of the Secret default/aws, under Gloo's key names. */
const kvData = (c: AwsCredentials) => ({ aws_access_key_id: c.accessKeyId, aws_secret_access_key: c.secretAccessKey, aws_session_token: c.sessionToken ?? '' });

test('EC2 credentials from a Vault KV secret: its account is listed, a rotation in Vault switches accounts, a removed key is named, no value shown', { timeout: 180_000 }, async (t) => {
  const [vault, moto] = await Promise.all([startVault(t), startMoto(t)]);
  const [a, b] = [await moto.assumeRole('333333333333'), await moto.assumeRole('444444444444')];
  // Same tags in three accounts: the environment's (which the standard chain would list), A's and B's.
  await runInstances(moto.ec2(REGION), 1, { app: 'web' });
  const inA = await runInstances(moto.ec2(REGION, a), 1, { app: 'web' });
  const inB = await runInstances(moto.ec2(REGION, b), 2, { app: 'web' });
  await vault.kvPut('portico/default/aws', kvData(a));

  const logs = captureLogs();
  const gw = await startGateway(t, {
    files: { 'gateway.yaml': GATEWAY, 'fleet.yaml': FLEET },
    controller: {
      logger: logs.logger,
      discovery: { ec2: { endpoint: moto.endpoint, intervalMs: 500 } },
      vault: { address: vault.address, auth: { method: 'appRole', roleIdFile: vault.files.roleId, secretIdFile: vault.files.secretId }, kv: { intervalMs: 300 } },
    },
  });
  await untilClusterHosts(gw.envoy.adminPort, CLUSTER, instanceHosts(inA, 80));

  await vault.kvPut('portico/default/aws', kvData(b));
  await untilClusterHosts(gw.envoy.adminPort, CLUSTER, instanceHosts(inB, 80));

  await vault.kvPut('portico/default/aws', { aws_access_key_id: b.accessKeyId });
  await untilClusterHosts(gw.envoy.adminPort, CLUSTER, []);
  let resolved: { status?: string; message?: string } | undefined;
  await waitFor(async () => {
    const conditions = ((await gw.status('gloo.solo.io/Upstream/default/fleet'))?.status as { conditions?: { type: string; status: string; message: string }[] } | undefined)?.conditions;
    resolved = conditions?.find((c) => c.type === 'ResolvedRefs');
    return resolved?.status === 'False';
  }, { what: () => `ResolvedRefs=False on the Upstream (last: ${JSON.stringify(resolved)})` });
  assert.match(resolved?.message ?? '', /^Secret default\/aws has no key aws_secret_access_key/);

  const shown = await shownByController(gw, [logs]);
  assert.match(shown.log ?? '', /polling EC2/);
  assertNotShown(shown, Object.fromEntries([a, b].flatMap((c, i) => Object.entries(c).map(([k, v]) => [`account ${'AB'[i]}'s ${k}`, v as string]))));
});
