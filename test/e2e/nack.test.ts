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
import { startGateway, STRICT_REGEX_ENVOY } from '../support/gateway.ts';
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

test('the controller contains an Envoy rejection: the route is withheld and says why, the rest serves, the fix is served', async (t) => {
  const gw = await startGateway(t, {
    backends: ['a'],
    files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': upstream('a'), 'ok.yaml': route('ok', `    - matches: [{ path: { type: PathPrefix, value: /ok } }]\n      backendRefs:\n${backend('a')}`) },
    envoyArgs: STRICT_REGEX_ENVOY,
  });
  await gw.until('/ok', (r) => r.status === 200);
  // Valid RE2 within Portico's limit (Envoy's default), but this Envoy is run stricter: it NACKs.
  const huge = route('huge', `    - matches: [{ path: { type: RegularExpression, value: '/[a-z]{40}' } }]\n      backendRefs:\n${backend('a')}`);
  await gw.write('huge.yaml', huge);
  const accepted = async () => {
    const parents = ((await gw.status('gateway.networking.k8s.io/HTTPRoute/default/huge'))?.status as { parents?: { conditions: { type: string; status: string; reason: string; message: string }[] }[] } | undefined)?.parents;
    return parents?.[0]?.conditions.find((c) => c.type === 'Accepted');
  };
  await waitFor(async () => (await accepted())?.reason === 'RejectedByEnvoy', { timeoutMs: 10_000, intervalMs: 50, what: 'the rejected route to say so' });
  assert.match((await accepted())?.message ?? '', /rejected RouteConfiguration version .* with this resource: .*it is not served/);
  await gw.write('later.yaml', route('later', `    - matches: [{ path: { type: PathPrefix, value: /later } }]\n      backendRefs:\n${backend('a')}`));
  await gw.until('/later', (r) => r.status === 200);
  assert.equal((await gw.get('/ok')).status, 200);

  await gw.write('huge.yaml', huge.replace('{40}', '{9}'));
  await gw.until('/abcdefghi', (r) => r.status === 200);
  await waitFor(async () => (await accepted())?.status === 'True', { timeoutMs: 10_000, intervalMs: 50, what: 'the fixed route to be accepted' });
  const programmed = ((await gw.status('gateway.networking.k8s.io/Gateway/default/gw'))?.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Programmed');
  assert.equal(programmed?.status, 'True');
});
