// The README's controller metrics, scraped from /metrics on the admin endpoint of a controller serving a real
// Envoy: portico_xds_connected_proxies follows the ADS streams (Envoy, a service joining and leaving),
// portico_config_version grows with each edit that is served, and portico_config_problems counts what
// /debug/problems lists (a broken resource in, then fixed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../support/components.ts';
import { extAuthSocket, startExtAuth } from '../support/extauth.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';

const routeAt = (name: string, path: string, extra = '') =>
  route(name, `    - matches: [{ path: { type: PathPrefix, value: ${path} }${extra} }]
      backendRefs:
${backend('a')}`);

/** One unlabelled sample of the controller's /metrics. */
async function metric(gw: GatewayEnv, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/metrics`)).text();
  const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
  assert.ok(value !== undefined, `${name} in /metrics:\n${text.slice(0, 2000)}`);
  return Number(value);
}

async function untilMetric(gw: GatewayEnv, name: string, check: (v: number) => boolean, what: string): Promise<number> {
  let last = NaN;
  await waitFor(async () => check((last = await metric(gw, name))), { timeoutMs: 20_000, what: () => `${name} ${what} (last ${last})` });
  return last;
}

const problems = async (gw: GatewayEnv) => (await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/debug/problems`)).json()) as string[];

test('controller metrics: connected proxies, config version and config problems', async (t) => {
  const socket = await extAuthSocket(t);
  const gw = await startGateway(t, {
    backends: ['a'],
    files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': upstream('a'), 'web.yaml': routeAt('web', '/web') },
    controller: { extAuthAddress: socket },
  });
  await gw.until('/web', (r) => r.status === 200);

  await t.test('portico_xds_connected_proxies: Envoy, then a service stream joining and leaving', async () => {
    await untilMetric(gw, 'portico_xds_connected_proxies', (v) => v === 1, 'to be 1 (the Envoy)');
    const extauth = await startExtAuth(t, socket, gw.controller.xdsPort);
    await untilMetric(gw, 'portico_xds_connected_proxies', (v) => v === 2, 'to be 2 with the ext-auth service');
    await extauth.stop();
    await untilMetric(gw, 'portico_xds_connected_proxies', (v) => v === 1, 'to be 1 again once the service left');
  });

  await t.test('portico_config_version: grows with an edit that is served', async () => {
    const before = await metric(gw, 'portico_config_version');
    assert.ok(before >= 1, `a version once the first configuration is translated (${before})`);
    await gw.write('more.yaml', routeAt('more', '/more'));
    await gw.until('/more', (r) => r.status === 200);
    await untilMetric(gw, 'portico_config_version', (v) => v > before, `to grow past ${before}`);
  });

  await t.test('portico_config_problems: what /debug/problems lists, up with a broken resource and down once fixed', async () => {
    assert.equal(await metric(gw, 'portico_config_problems'), 0);
    assert.deepEqual(await problems(gw), []);
    await gw.write('broken.yaml', routeAt('broken', '/broken', ', bogus: 1'));
    const count = await untilMetric(gw, 'portico_config_problems', (v) => v > 0, 'to count the broken resource');
    const listed = await problems(gw);
    assert.equal(count, listed.length, listed.join('\n'));
    assert.ok(listed.every((p) => p.includes('broken.yaml')) && listed.some((p) => p.includes('bogus')), listed.join('\n'));
    await gw.remove('broken.yaml');
    await untilMetric(gw, 'portico_config_problems', (v) => v === 0, 'to be 0 once the file is gone');
  });
});
