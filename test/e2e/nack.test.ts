// A config the real Envoy rejects: the ADS server reports the NACK with Envoy's message, does not resend it,
// and Envoy keeps serving its last good config; the next good snapshot is applied normally.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEnvoy } from '../../src/app/envoy.ts';
import { startEcho } from '../../src/echo/server.ts';
import type { GatewayIr } from '../../src/ir/types.ts';
import { findBinary } from '../../src/lib/binaries.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { SnapshotCache } from '../../src/xds/cache/snapshot-cache.ts';
import { TYPE_URLS } from '../../src/xds/resources.ts';
import { AdsServer, type AckEvent, type NackEvent } from '../../src/xds/server/ads.ts';
import { translateGateway } from '../../src/xds/translator/translate.ts';
import { freePort, waitFor } from '../support/components.ts';
import { envoyStats } from '../support/envoy-admin.ts';
import { startGateway } from '../support/gateway.ts';
import { httpRequest } from '../support/http.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';

function gateway(port: number, echoPort: number, regex: string): GatewayIr {
  const cluster = 'upstream/default/echo';
  return {
    key: 'default/gw',
    namespace: 'default',
    name: 'gw',
    listeners: [
      {
        name: `default/gw/${port}`,
        address: '127.0.0.1',
        port,
        protocol: 'HTTP',
        virtualHosts: [
          {
            name: 'default/gw/http/*',
            domains: ['*'],
            routes: [{ name: 'httproute/default/r/rule/0/match/0', match: { path: { type: 'RegularExpression', value: regex } }, action: { type: 'forward', backends: [{ cluster, weight: 1 }] } }],
          },
        ],
      },
    ],
    clusters: [{ name: cluster, connectTimeoutMs: 1000, endpoints: [{ address: '127.0.0.1', port: echoPort }] }],
  };
}

/** Envoy's `update_rejected` counter of each RDS subscription (one per route configuration). */
async function rdsRejections(adminPort: number): Promise<number[]> {
  return [...(await envoyStats(adminPort, /^http\..*\.rds\..*\.update_rejected$/)).values()];
}

test('a NACKed route config is reported and Envoy keeps its last good one', async (t) => {
  const envoyBin = findBinary('envoy', "run 'scripts/setup.sh envoy' (or 'make test', which runs the whole set-up)");
  const echo = await startEcho({ name: 'echo' });
  t.after(() => echo.close());
  const cache = new SnapshotCache();
  const ads = new AdsServer({ cache, logger: silentLogger });
  const nacks: NackEvent[] = [];
  const acks: AckEvent[] = [];
  ads.on('nack', (e) => nacks.push(e));
  ads.on('ack', (e) => acks.push(e));
  const xdsPort = await ads.listen('127.0.0.1', 0);
  t.after(() => ads.close());
  const port = await freePort();

  cache.set('default/gw', translateGateway(gateway(port, echo.port, '/good/[0-9]+')));
  const envoy = await startEnvoy({ envoyBin, gateway: 'default/gw', xdsHost: '127.0.0.1', xdsPort, logger: silentLogger });
  t.after(() => envoy.stop());
  const status = (path: string) => httpRequest(port, path).then((r) => r.status, () => 0);
  await waitFor(async () => (await status('/good/1')) === 200, { timeoutMs: 10_000, intervalMs: 50, what: 'the first config to serve' });

  // RE2 has no look-ahead: Envoy rejects the regex, though it is a valid JavaScript one.
  cache.set('default/gw', translateGateway(gateway(port, echo.port, '/bad/(?=x)')));
  await waitFor(async () => nacks.length > 0, { timeoutMs: 10_000, intervalMs: 50, what: 'a NACK from Envoy' });
  const [nack] = nacks;
  assert.equal(nack?.typeUrl, TYPE_URLS.route);
  assert.equal(nack?.nodeKey, 'default/gw');
  assert.match(nack?.message ?? '', /regex|RE2|invalid/i);
  assert.equal(await status('/good/1'), 200, 'Envoy keeps serving the last good routes');
  const proxy = ads.proxies().find((p) => p.nodeKey === 'default/gw');
  assert.ok(JSON.stringify(proxy).includes(nack?.message ?? '?'), 'the proxy view shows the last NACK');

  // "Not sent again", without waiting for nothing: the stream is ordered, so a resent rejected version would be
  // NACKed before the fixed one is ACKed. Once Envoy ACKs the fix, both Envoy's rejection counter and ours say 1.
  const acked = acks.length;
  cache.set('default/gw', translateGateway(gateway(port, echo.port, '/fixed/[a-z]+')));
  await waitFor(() => acks.slice(acked).some((a) => a.typeUrl === TYPE_URLS.route), { timeoutMs: 10_000, intervalMs: 50, what: 'the fixed routes ACKed' });
  await waitFor(async () => (await status('/fixed/abc')) === 200, { timeoutMs: 10_000, intervalMs: 50, what: 'the fixed config to serve' });
  assert.equal(nacks.length, 1, 'the rejected version is not sent again');
  assert.deepEqual(await rdsRejections(envoy.adminPort), [1], "Envoy's RDS update_rejected: the bad version arrived once");
  assert.equal(await status('/good/1'), 404);
});

test('the controller turns an Envoy rejection into Programmed=False on the Gateway, and recovers', async (t) => {
  const gw = await startGateway(t, {
    backends: ['a'],
    files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': upstream('a'), 'ok.yaml': route('ok', `    - matches: [{ path: { type: PathPrefix, value: /ok } }]\n      backendRefs:\n${backend('a')}`) },
  });
  await gw.until('/ok', (r) => r.status === 200);
  // Valid to Portico, which cannot see Envoy's files: an Upstream whose CA file Envoy cannot read. Envoy NACKs the
  // cluster. (A regex past Envoy's program size no longer gets that far: the validator measures it with RE2.)
  const missing = `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: nofile, namespace: default }
spec:
  static: { hosts: [{ addr: 127.0.0.1, port: 1 }] }
  sslConfig: { sslFiles: { rootCa: /nonexistent/portico-ca.crt } }
---
${route('nofile', `    - matches: [{ path: { type: PathPrefix, value: /nofile } }]\n      backendRefs:\n${backend('nofile')}`)}`;
  await gw.write('nofile.yaml', missing);
  const key = 'gateway.networking.k8s.io/Gateway/default/gw';
  const programmed = async () => {
    const conditions = ((await gw.status(key))?.status as { conditions?: { type: string; status: string; message?: string }[] } | undefined)?.conditions;
    return conditions?.find((c) => c.type === 'Programmed');
  };
  await waitFor(async () => (await programmed())?.status === 'False', { timeoutMs: 10_000, intervalMs: 50, what: 'Programmed=False on the Gateway' });
  assert.match((await programmed())?.message ?? '', /rejected Cluster.*portico-ca\.crt.*keeps serving its last accepted config/);
  assert.equal((await gw.get('/ok')).status, 200, 'Envoy keeps serving the last good config');

  await gw.remove('nofile.yaml');
  await waitFor(async () => (await programmed())?.status === 'True', { timeoutMs: 10_000, intervalMs: 50, what: 'Programmed=True again after the fix' });
  assert.equal((await gw.get('/ok')).status, 200);
});
