// Rate limiting with a real Envoy, Portico's rate-limit service (configured by the controller's stream) and a
// real Redis: the walkthrough's one request per minute (the second gets 429), per-header limits, nested
// descriptors, set-style rules, shadow mode, ratelimitBasic, the X-RateLimit-* and Retry-After headers, and
// Redis stopped and restarted under traffic (fail open, then limits again).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../src/lib/logger.ts';
import { startRateLimitService } from '../../src/ratelimit/service.ts';
import type { RateLimitSettings } from '../../src/xds/translator/rate-limit.ts';
import { freePort, tempDir, waitFor } from '../support/components.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';
import type { HttpOptions } from '../support/http.ts';
import { startRedis } from '../support/redis.ts';
import { startTraffic, unexpected } from '../support/traffic.ts';

/** A rule named `name` matching `/<name>`, forwarding to backend a. */
const rule = (name: string) => `    - name: ${name}
      matches: [{ path: { type: PathPrefix, value: /${name} } }]
      backendRefs:
${backend('a')}`;

/** A RateLimitConfig `name` (the raw block given) and a RouteOption attaching it to the rule of the same name. */
const limited = (name: string, raw: string) => `
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: { name: ${name}, namespace: default }
spec:
  raw:
${raw}
---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: limits, sectionName: ${name} }]
  options:
    rateLimitConfigs: { refs: [{ name: ${name} }] }
`;

// The walkthrough's global limit: one request per minute.
const WALKTHROUGH = limited(
  'walkthrough',
  `    descriptors:
      - key: generic_key
        value: counter
        rateLimit: { requestsPerUnit: 1, unit: MINUTE }
    rateLimits:
      - actions: [{ genericKey: { descriptorValue: counter } }]`,
);

const PER_HEADER = limited(
  'per-header',
  `    descriptors:
      - key: api_key
        rateLimit: { requestsPerUnit: 2, unit: HOUR }
    rateLimits:
      - actions: [{ requestHeaders: { headerName: x-api-key, descriptorKey: api_key } }]`,
);

const NESTED = limited(
  'nested',
  `    descriptors:
      - key: generic_key
        value: nested
        descriptors:
          - key: tier
            value: gold
            rateLimit: { requestsPerUnit: 3, unit: HOUR }
          - key: tier
            rateLimit: { requestsPerUnit: 1, unit: HOUR }
    rateLimits:
      - actions: [{ genericKey: { descriptorValue: nested } }, { requestHeaders: { headerName: x-tier, descriptorKey: tier } }]`,
);

const SET_STYLE = limited(
  'set-style',
  `    setDescriptors:
      - simpleDescriptors: [{ key: type, value: messenger }, { key: number }]
        rateLimit: { requestsPerUnit: 1, unit: HOUR }
      - simpleDescriptors: [{ key: type }]
        rateLimit: { requestsPerUnit: 100, unit: HOUR }
    rateLimits:
      - setActions: [{ requestHeaders: { headerName: x-number, descriptorKey: number } }, { requestHeaders: { headerName: x-type, descriptorKey: type } }]`,
);

const SHADOW = limited(
  'shadow',
  `    descriptors:
      - key: generic_key
        value: shadow
        shadowMode: true
        rateLimit: { requestsPerUnit: 1, unit: HOUR }
    rateLimits:
      - actions: [{ genericKey: { descriptorValue: shadow } }]`,
);

const OUTAGE = limited(
  'outage',
  `    descriptors:
      - key: generic_key
        value: outage
        rateLimit: { requestsPerUnit: 2, unit: HOUR }
    rateLimits:
      - actions: [{ genericKey: { descriptorValue: outage } }]`,
);

const BASIC = `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: basic, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: limits, sectionName: basic }]
  options:
    ratelimitBasic:
      anonymousLimits: { requestsPerUnit: 1, unit: HOUR }
      authorizedLimits: { requestsPerUnit: 2, unit: HOUR }
`;

const REPLICAS = limited(
  'replicas',
  `    descriptors:
      - key: generic_key
        value: replicas
        rateLimit: { requestsPerUnit: 4, unit: HOUR }
    rateLimits:
      - actions: [{ genericKey: { descriptorValue: replicas } }]`,
);

const NAMES = ['walkthrough', 'per-header', 'nested', 'set-style', 'shadow', 'outage', 'basic', 'replicas', 'open'];

/** The gateway with every limit above, the rate-limit service streamed its configuration, Redis under it. */
async function setUp(t: TestContext, opts: { denyOnFail?: boolean; unixSocket?: boolean } = {}) {
  const redis = await startRedis(t);
  const address = opts.unixSocket ? `unix:${join(await tempDir('rls', t), 'rls.sock')}` : `127.0.0.1:${await freePort()}`;
  const rateLimit: RateLimitSettings = { address, domain: 'portico', denyOnFail: opts.denyOnFail ?? false, beforeAuth: false, timeoutMs: 2000, rateLimitHeaders: true };
  const gw = await startGateway(t, {
    backends: ['a'],
    controller: { rateLimit },
    files: {
      'gateway.yaml': GATEWAY,
      'upstreams.yaml': upstream('a'),
      'routes.yaml': route('limits', NAMES.map(rule).join('\n')),
      'limits.yaml': [WALKTHROUGH, PER_HEADER, NESTED, SET_STYLE, SHADOW, OUTAGE, BASIC, REPLICAS].join('---'),
    },
  });
  /** A replica of the service at the address Envoy calls, configured by the controller's stream. */
  const replica = async () => {
    const service = await startRateLimitService({ listen: rateLimit.address, redisUrl: redis.url, xds: { address: `127.0.0.1:${gw.controller.xdsPort}` }, logger: silentLogger });
    t.after(() => service.close());
    await service.ready();
    return service;
  };
  const first = await replica();
  // In place once a limited route answers with X-RateLimit headers (a key of its own: no other test counts it).
  await gw.until('/per-header', (r) => r.headers['x-ratelimit-limit'] !== undefined, { timeoutMs: 20_000, headers: { 'x-api-key': 'probe' } });
  await awayFromMinuteEnd();
  return { gw, redis, first, replica };
}

/** The walkthrough counts in a one-minute window (the other limits are per hour): not across its end. */
async function awayFromMinuteEnd(): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 55_000) await new Promise((r) => setTimeout(r, 60_100 - intoMinute));
}

/** The statuses of `count` requests to `path`, one after the other. */
async function statuses(gw: GatewayEnv, path: string, count: number, opts?: HttpOptions): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await gw.get(path, opts)).status);
  return out;
}

test('rate limiting end to end', { timeout: 120_000 }, async (t) => {
  const { gw, redis, first, replica } = await setUp(t);

  await t.test("the walkthrough: one request per minute, the second gets 429 with Retry-After", async () => {
    const first = await gw.get('/walkthrough');
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-ratelimit-remaining'], '0');
    const second = await gw.get('/walkthrough');
    assert.equal(second.status, 429);
    const retryAfter = Number(second.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${second.headers['retry-after']}`);
    assert.equal(second.headers['x-ratelimit-remaining'], '0');
    assert.match(String(second.headers['x-ratelimit-limit']), /^1, 1;w=60/);
    const used = async () => /used by RouteOption default\/walkthrough/.test(JSON.stringify(await gw.status('ratelimit.solo.io/RateLimitConfig/default/walkthrough')) ?? '');
    await waitFor(used, { what: 'the RateLimitConfig status to name the RouteOption using it' });
  });

  await t.test('per-header limits: a counter per x-api-key value', async () => {
    assert.deepEqual(await statuses(gw, '/per-header', 3, { headers: { 'x-api-key': 'alice' } }), [200, 200, 429]);
    assert.deepEqual(await statuses(gw, '/per-header', 2, { headers: { 'x-api-key': 'bob' } }), [200, 200]);
    assert.deepEqual(await statuses(gw, '/per-header', 3), [200, 200, 200], 'no header: no descriptor, no limit');
  });

  await t.test('nested descriptors: a value-specific limit beneath the key-wide one', async () => {
    assert.deepEqual(await statuses(gw, '/nested', 4, { headers: { 'x-tier': 'gold' } }), [200, 200, 200, 429]);
    assert.deepEqual(await statuses(gw, '/nested', 2, { headers: { 'x-tier': 'silver' } }), [200, 429]);
  });

  await t.test('set-style: entries in any order, the first matching rule applies', async () => {
    const messenger = { headers: { 'x-type': 'messenger', 'x-number': '411' } };
    assert.deepEqual(await statuses(gw, '/set-style', 2, messenger), [200, 429]);
    assert.deepEqual(await statuses(gw, '/set-style', 2, { headers: { 'x-type': 'sms', 'x-number': '411' } }), [200, 200]);
  });

  await t.test('shadow mode: counted in Redis, never denied', async () => {
    assert.deepEqual(await statuses(gw, '/shadow', 3), [200, 200, 200]);
    const [key] = (await redis.cli('KEYS', 'portico_portico.rlc_default/shadow_generic_key_shadow_*')).split('\n');
    assert.equal(await redis.cli('GET', key as string), '3');
  });

  await t.test('ratelimitBasic: anonymous per client address, authorized per user id', async () => {
    assert.deepEqual(await statuses(gw, '/basic', 2), [200, 429]);
    assert.deepEqual(await statuses(gw, '/basic', 3, { headers: { 'x-user-id': 'u1' } }), [200, 200, 429]);
  });

  await t.test('replicas sharing one Redis count as one: a replacement replica goes on counting', async () => {
    assert.deepEqual(await statuses(gw, '/replicas', 2), [200, 200]);
    await first.close();
    await replica();
    // Envoy reconnects to the new replica by itself; until then it fails open (nothing counted).
    await waitFor(async () => (await gw.get('/replicas')).headers['x-ratelimit-limit'] !== undefined, { timeoutMs: 20_000, what: 'Envoy to reach the second replica' });
    assert.deepEqual(await statuses(gw, '/replicas', 2), [200, 429], 'the 5th counted request is over the limit of 4');
  });

  await t.test('Redis stopped and restarted under traffic: fail open, then limits again', async () => {
    /** Traffic to /outage, each answer also kept in order in `into`. */
    const trafficInto = (into: number[]) => startTraffic(t, async () => {
      const status = (await gw.get('/outage')).status;
      into.push(status);
      return status;
    });
    await redis.stop();
    const during: number[] = [];
    const outage = trafficInto(during);
    await waitFor(() => during.length >= 20, { what: '20 requests during the outage' });
    assert.deepEqual(unexpected(await outage.stop(), ['200']), [], 'fail open while Redis is down');
    await redis.start();
    const after: number[] = [];
    const back = trafficInto(after);
    await waitFor(() => after.includes(429), { timeoutMs: 20_000, what: '/outage to be limited again' });
    assert.deepEqual(unexpected(await back.stop(), ['200', '429']), []);
    assert.ok(!after.slice(after.indexOf(429)).includes(200), `once limited, limited for the rest of the window: ${after.join(' ')}`);
  });
});

test('denyOnFail, the service on a Unix socket: Redis down fails closed (Envoy answers 500), and recovers', { timeout: 120_000 }, async (t) => {
  const { gw, redis } = await setUp(t, { denyOnFail: true, unixSocket: true });
  assert.equal((await gw.get('/outage')).status, 200);
  await redis.stop();
  assert.deepEqual(await statuses(gw, '/outage', 2), [500, 500]);
  assert.equal((await gw.get('/open')).status, 200, 'a route without limits is not affected');
  await redis.start();
  await waitFor(async () => (await gw.get('/outage')).status === 200, { timeoutMs: 20_000, what: '/outage to be served again' });
});
