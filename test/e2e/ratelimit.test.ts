// Rate limiting with a real Envoy, Portico's rate-limit service (configured by the controller's stream), a real
// Redis and Portico's ext-auth service: the walkthrough's one request per minute (the second gets 429), per-header
// limits, nested descriptors, set-style rules, shadow mode, destination clusters, ratelimitBasic told apart by
// ext-auth's principal (a forged x-user-id changes nothing), the X-RateLimit-* and Retry-After headers, a
// RateLimitConfig edited live, Redis stopped and restarted under traffic (fail open, one log line, then limits
// again), and rateLimitBeforeAuth.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { startRateLimitService } from '../../src/ratelimit/service.ts';
import type { RateLimitSettings } from '../../src/xds/translator/rate-limit.ts';
import { freePort, tempDir, waitFor } from '../support/components.ts';
import { startExtAuth } from '../support/extauth.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';
import type { HttpOptions, HttpResult } from '../support/http.ts';
import { captureLogs } from '../support/logs.ts';
import { startRedis } from '../support/redis.ts';
import { startTraffic, unexpected } from '../support/traffic.ts';

/** A rule named `name` matching `/<name>`, forwarding to backend `to`. */
const rule = (name: string, to = 'a') => `    - name: ${name}
      matches: [{ path: { type: PathPrefix, value: /${name} } }]
      backendRefs:
${backend(to)}`;

/** The rules that check credentials live on a second HTTPRoute (one holds at most 16 rules). */
const AUTH_RULES = ['basic-auth', 'basic-open', 'auth-limit', 'authed'];
const routeOf = (rule: string) => (AUTH_RULES.includes(rule) ? 'auth' : 'limits');
/** A RouteOption's targetRef to the rule `name`. */
const target = (name: string) => `{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${routeOf(name)}, sectionName: ${name} }`;

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
  targetRefs: [${target(name)}]
  options:
    rateLimitConfigs: { refs: [{ name: ${name} }] }
`;

// The walkthrough's global limit of one request per minute, attached its way: the HTTPRoute rule names the
// RouteOption with an ExtensionRef filter.
const WALKTHROUGH = `
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: { name: ratelimit-config, namespace: default }
spec:
  raw:
    descriptors:
      - key: generic_key
        value: counter
        rateLimit:
          requestsPerUnit: 1
          unit: MINUTE
    rateLimits:
      - actions:
          - genericKey:
              descriptorValue: counter
---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: ratelimit-route-option, namespace: default }
spec:
  options:
    rateLimitConfigs:
      refs:
        - name: ratelimit-config
          namespace: default
`;

const WALKTHROUGH_RULE = `    - name: walkthrough
      matches: [{ path: { type: PathPrefix, value: /walkthrough } }]
      filters:
        - type: ExtensionRef
          extensionRef: { group: gateway.solo.io, kind: RouteOption, name: ratelimit-route-option }
      backendRefs:
${backend('a')}`;

const PER_HEADER = limited(
  'per-header',
  `    descriptors:
      - key: api_key
        rateLimit: { requestsPerUnit: 2, unit: DAY }
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
            rateLimit: { requestsPerUnit: 3, unit: DAY }
          - key: tier
            rateLimit: { requestsPerUnit: 1, unit: DAY }
    rateLimits:
      - actions: [{ genericKey: { descriptorValue: nested } }, { requestHeaders: { headerName: x-tier, descriptorKey: tier } }]`,
);

const SET_STYLE = limited(
  'set-style',
  `    setDescriptors:
      - simpleDescriptors: [{ key: type, value: messenger }, { key: number }]
        rateLimit: { requestsPerUnit: 1, unit: DAY }
      - simpleDescriptors: [{ key: type }]
        rateLimit: { requestsPerUnit: 100, unit: DAY }
    rateLimits:
      - setActions: [{ requestHeaders: { headerName: x-number, descriptorKey: number } }, { requestHeaders: { headerName: x-type, descriptorKey: type } }]`,
);

const SHADOW = limited(
  'shadow',
  `    descriptors:
      - key: generic_key
        value: shadow
        shadowMode: true
        rateLimit: { requestsPerUnit: 1, unit: DAY }
    rateLimits:
      - actions: [{ genericKey: { descriptorValue: shadow } }]`,
);

const OUTAGE = limited(
  'outage',
  `    descriptors:
      - key: generic_key
        value: outage
        rateLimit: { requestsPerUnit: 2, unit: DAY }
    rateLimits:
      - actions: [{ genericKey: { descriptorValue: outage } }]`,
);

/** A RouteOption `name` setting ratelimitBasic (and `extra` options) on the rule of the same name. */
const basicLimits = (name: string, limits: string, extra = '') => `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [${target(name)}]
  options:
    ratelimitBasic: { ${limits} }
${extra}`;

const ANONYMOUS_1 = 'anonymousLimits: { requestsPerUnit: 1, unit: DAY }';
const AUTHORIZED_2 = 'authorizedLimits: { requestsPerUnit: 2, unit: DAY }';

// ratelimitBasic without ext-auth (anonymous only, whatever x-user-id says), with a fail-closed API-key AuthConfig,
// and with a fail-open basic-auth one (the other ext_authz filter instance: its principal must count too).
const BASIC = [
  basicLimits('basic', `${ANONYMOUS_1}, ${AUTHORIZED_2}`),
  basicLimits('basic-auth', `${ANONYMOUS_1}, ${AUTHORIZED_2}`, '    extauth: { configRef: { name: keys } }\n'),
  basicLimits('basic-open', 'authorizedLimits: { requestsPerUnit: 1, unit: DAY }', '    extauth: { configRef: { name: users-open } }\n'),
].join('---');

const AUTH_LIMIT = `${limited(
  'auth-limit',
  `    descriptors:
      - key: generic_key
        value: auth-limit
        rateLimit: { requestsPerUnit: 1, unit: DAY }
    rateLimits:
      - actions: [{ genericKey: { descriptorValue: auth-limit } }]`,
)}    extauth: { configRef: { name: keys } }
`;

const AUTH_CONFIGS = `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: keys, namespace: default }
spec:
  configs: [{ apiKeyAuth: { headerName: x-api-key, labelSelector: { team: infra } } }]
---
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: users-open, namespace: default }
spec:
  failureModeAllow: true
  configs: [{ basicAuth: { apr: { users: { test: { salt: n28wuo5p, hashedPassword: NLFTUNkXaht0g/2GJjUM51 } } } } }]
`;

// destinationCluster: the descriptor is the cluster a route forwards to; only backend a's has a limit.
const PER_CLUSTER = `
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: { name: per-cluster, namespace: default }
spec:
  raw:
    descriptors:
      - key: destination_cluster
        value: upstream/default/a
        rateLimit: { requestsPerUnit: 2, unit: DAY }
    rateLimits: [{ actions: [{ destinationCluster: {} }] }]
---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: per-cluster, namespace: default }
spec:
  targetRefs:
    - { group: gateway.networking.k8s.io, kind: HTTPRoute, name: limits, sectionName: per-cluster }
    - { group: gateway.networking.k8s.io, kind: HTTPRoute, name: limits, sectionName: per-cluster-b }
  options:
    rateLimitConfigs: { refs: [{ name: per-cluster }] }
`;

/** A limit of zero: every request is over it, so a 429 here says the limits are in place. */
const READY = limited(
  'ready',
  `    descriptors: [{ key: generic_key, value: ready, rateLimit: { requestsPerUnit: 0, unit: DAY } }]
    rateLimits: [{ actions: [{ genericKey: { descriptorValue: ready } }] }]`,
);

/** A RateLimitConfig edited while everything runs (its own file). */
const live = (requestsPerUnit: number) =>
  limited(
    'live',
    `    descriptors: [{ key: generic_key, value: live, rateLimit: { requestsPerUnit: ${requestsPerUnit}, unit: DAY } }]
    rateLimits: [{ actions: [{ genericKey: { descriptorValue: live } }] }]`,
  );

const REPLICAS = limited(
  'replicas',
  `    descriptors:
      - key: generic_key
        value: replicas
        rateLimit: { requestsPerUnit: 4, unit: DAY }
    rateLimits:
      - actions: [{ genericKey: { descriptorValue: replicas } }]`,
);

/** Checked by the API-key AuthConfig and limited by nothing: ext-auth has its configuration once this answers 200. */
const AUTHED = `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: authed, namespace: default }
spec:
  targetRefs: [${target('authed')}]
  options:
    extauth: { configRef: { name: keys } }
`;

const NAMES = ['per-header', 'nested', 'set-style', 'shadow', 'outage', 'basic', 'per-cluster', 'replicas', 'live', 'ready', 'open'];

const KEY_A = { 'x-api-key': 'key-a-123' };
const KEY_B = { 'x-api-key': 'key-b-456' };
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

interface SetUpOptions {
  denyOnFail?: boolean;
  /** Both services on Unix sockets (default: TCP on loopback). */
  unixSockets?: boolean;
  beforeAuth?: boolean;
  rateLimitHeaders?: boolean;
}

/**
 * The gateway with every limit above, the rate-limit service streamed its configuration, Redis under it, and the
 * ext-auth service (streamed its AuthConfigs) for the routes that check credentials.
 */
async function setUp(t: TestContext, opts: SetUpOptions = {}) {
  const redis = await startRedis(t);
  const address = async (name: string) => (opts.unixSockets ? `unix:${join(await tempDir(name, t), `${name}.sock`)}` : `127.0.0.1:${await freePort()}`);
  const rateLimit: RateLimitSettings = {
    address: await address('rls'),
    domain: 'portico',
    denyOnFail: opts.denyOnFail ?? false,
    beforeAuth: opts.beforeAuth ?? false,
    timeoutMs: 2000,
    rateLimitHeaders: opts.rateLimitHeaders ?? true,
  };
  const extAuthAddress = await address('extauth');
  const gw = await startGateway(t, {
    backends: ['a', 'b'],
    controller: { rateLimit, extAuthAddress },
    files: {
      'gateway.yaml': GATEWAY,
      'upstreams.yaml': [upstream('a'), upstream('b')].join('---'),
      'routes.yaml': [
        route('limits', [WALKTHROUGH_RULE, ...NAMES.map((n) => rule(n)), rule('per-cluster-b', 'b')].join('\n')),
        route('auth', AUTH_RULES.map((n) => rule(n)).join('\n')),
      ].join('---'),
      'limits.yaml': [WALKTHROUGH, PER_HEADER, NESTED, SET_STYLE, SHADOW, OUTAGE, BASIC, AUTH_LIMIT, PER_CLUSTER, REPLICAS, READY, AUTHED].join('---'),
      'live.yaml': live(100),
      'auth.yaml': AUTH_CONFIGS,
      '.secrets/default/key-a/api-key': 'key-a-123',
      '.secrets/default/key-a/.labels': 'team: infra\n',
      '.secrets/default/key-b/api-key': 'key-b-456',
      '.secrets/default/key-b/.labels': 'team: infra\n',
    },
  });
  /** What every replica logs (the Redis outage is checked by its log lines). */
  const logs = captureLogs('info');
  /** A replica of the service at the address Envoy calls, configured by the controller's stream. */
  const replica = async () => {
    const service = await startRateLimitService({ listen: rateLimit.address, redisUrl: redis.url, xds: { address: `127.0.0.1:${gw.controller.xdsPort}` }, logger: logs.logger });
    t.after(() => service.close());
    await service.ready();
    return service;
  };
  const first = await replica();
  await startExtAuth(t, extAuthAddress, gw.controller.xdsPort);
  await gw.until('/ready', (r) => r.status === 429, { timeoutMs: 20_000 });
  await gw.until('/authed', (r) => r.status === 200, { timeoutMs: 20_000, headers: KEY_A });
  // No window may end while a test counts in it: the walkthrough's minute is used right away, the daily limits
  // by the whole test, whose timeout bounds how long that is (a rare wait, never a false failure).
  await awayFromWindowEnd(60, 5_000);
  await awayFromWindowEnd(DAY_S, TEST_TIMEOUT_MS);
  return { gw, redis, first, replica, logs };
}

const DAY_S = 86_400;
const TEST_TIMEOUT_MS = 180_000;

/** Waits for the next window of `unitSeconds` when the current one ends within `marginMs`. */
async function awayFromWindowEnd(unitSeconds: number, marginMs: number): Promise<void> {
  const into = Date.now() % (unitSeconds * 1000);
  if (into > unitSeconds * 1000 - marginMs) await new Promise((r) => setTimeout(r, unitSeconds * 1000 + 100 - into));
}

/** Seconds until the current fixed window of `unitSeconds` ends (what X-RateLimit-Reset and Retry-After say). */
function toWindowEnd(unitSeconds: number): number {
  return unitSeconds - (Math.floor(Date.now() / 1000) % unitSeconds);
}

/** A header holding a number of seconds within a second of `expected` (a second may tick between). */
function assertSeconds(r: HttpResult, header: string, expected: number): void {
  const value = Number(r.headers[header]);
  assert.ok(Math.abs(value - expected) <= 1, `${header}: ${r.headers[header]}, expected about ${expected}`);
}

/** The statuses of `count` requests to `path`, one after the other. */
async function statuses(gw: GatewayEnv, path: string, count: number, opts?: HttpOptions): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await gw.get(path, opts)).status);
  return out;
}

test('rate limiting end to end', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { gw, redis, first, replica, logs } = await setUp(t);

  await t.test('the walkthrough (attached by ExtensionRef): one request per minute, the second gets 429; Retry-After and X-RateLimit-Reset say when the minute ends', async () => {
    const first = await gw.get('/walkthrough');
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-ratelimit-remaining'], '0');
    assertSeconds(first, 'x-ratelimit-reset', toWindowEnd(60));
    const second = await gw.get('/walkthrough');
    assert.equal(second.status, 429);
    assertSeconds(second, 'retry-after', toWindowEnd(60));
    assertSeconds(second, 'x-ratelimit-reset', toWindowEnd(60));
    assert.equal(second.headers['x-ratelimit-remaining'], '0');
    assert.match(String(second.headers['x-ratelimit-limit']), /^1, 1;w=60/);
    const used = async () => /used by RouteOption default\/ratelimit-route-option/.test(JSON.stringify(await gw.status('ratelimit.solo.io/RateLimitConfig/default/ratelimit-config')) ?? '');
    await waitFor(used, { what: 'the RateLimitConfig status to name the RouteOption using it' });
  });

  await t.test('per-header limits: a counter per x-api-key value; X-RateLimit-Reset counts to the end of the day', async () => {
    const firstOfAlice = await gw.get('/per-header', { headers: { 'x-api-key': 'alice' } });
    assert.equal(firstOfAlice.status, 200);
    assertSeconds(firstOfAlice, 'x-ratelimit-reset', toWindowEnd(DAY_S));
    assert.deepEqual(await statuses(gw, '/per-header', 2, { headers: { 'x-api-key': 'alice' } }), [200, 429]);
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

  await t.test('destinationCluster: a counter per cluster routed to', async () => {
    assert.deepEqual(await statuses(gw, '/per-cluster', 3), [200, 200, 429]);
    assert.deepEqual(await statuses(gw, '/per-cluster-b', 3), [200, 200, 200], "backend b's cluster has no limit");
  });

  await t.test('ratelimitBasic without ext-auth: anonymous only, and a forged x-user-id does not escape the limit', async () => {
    assert.deepEqual(await statuses(gw, '/basic', 2), [200, 429]);
    for (const id of ['u1', 'u2', 'default/key-a']) assert.equal((await gw.get('/basic', { headers: { 'x-user-id': id } })).status, 429, `x-user-id: ${id}`);
  });

  await t.test("ratelimitBasic with ext-auth (over TCP): each principal gets the authorized limit, whatever x-user-id says", async () => {
    assert.deepEqual(await statuses(gw, '/basic-auth', 3, { headers: KEY_A }), [200, 200, 429]);
    assert.equal((await gw.get('/basic-auth', { headers: { ...KEY_A, 'x-user-id': 'someone-else' } })).status, 429, 'still counted as key-a');
    assert.deepEqual(await statuses(gw, '/basic-auth', 2, { headers: { ...KEY_B, 'x-user-id': 'default/key-a' } }), [200, 200], 'key-b counts as key-b');
    assert.equal((await gw.get('/basic-auth')).status, 401, 'no credentials: denied before any limit');
  });

  await t.test("the fail-open ext_authz filter's principal counts too (Envoy's namespace is the same for both filters)", async () => {
    assert.deepEqual(await statuses(gw, '/basic-open', 2, { headers: basic('test', 'test123') }), [200, 429]);
  });

  await t.test('the rate-limit filter runs after ext_authz: requests without credentials get 401 and are not counted', async () => {
    assert.deepEqual(await statuses(gw, '/auth-limit', 3), [401, 401, 401]);
    assert.deepEqual(await statuses(gw, '/auth-limit', 2, { headers: KEY_A }), [200, 429]);
  });

  await t.test('a RateLimitConfig edited while everything runs applies at once; removed, nothing is limited', async () => {
    assert.deepEqual(await statuses(gw, '/live', 2), [200, 200]);
    assert.match(String((await gw.get('/live')).headers['x-ratelimit-limit']), /^100, 100;w=86400/);
    await gw.write('live.yaml', live(3));
    const limited = await gw.until('/live', (r) => r.status === 429, { timeoutMs: 20_000 });
    assert.match(String(limited.headers['x-ratelimit-limit']), /^3, 3;w=86400/);
    await gw.remove('live.yaml');
    await gw.until('/live', (r) => r.status === 200 && r.headers['x-ratelimit-limit'] === undefined, { timeoutMs: 20_000 });
  });

  await t.test('replicas sharing one Redis count as one: a replacement replica goes on counting', async () => {
    assert.deepEqual(await statuses(gw, '/replicas', 2), [200, 200]);
    await first.close();
    await replica();
    // Envoy reconnects to the new replica by itself; until then it fails open (nothing counted).
    await waitFor(async () => (await gw.get('/replicas')).headers['x-ratelimit-limit'] !== undefined, { timeoutMs: 20_000, what: 'Envoy to reach the second replica' });
    assert.deepEqual(await statuses(gw, '/replicas', 2), [200, 429], 'the 5th counted request is over the limit of 4');
  });

  await t.test('Redis stopped and restarted under traffic: fail open with one log line per outage, then limits again', async (st) => {
    /** Traffic to /outage, each answer also kept in order in `into`; it stops with this subtest, failed or not. */
    const trafficInto = (into: number[]) => startTraffic(st, async () => {
      const status = (await gw.get('/outage')).status;
      into.push(status);
      return status;
    });
    const logged = logs.entries.length;
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
    const lines = logs.entries.slice(logged).map((e) => String(e.msg));
    const count = (prefix: string) => lines.filter((m) => m.startsWith(prefix)).length;
    assert.equal(count('redis unreachable'), 1, `one line for the outage, not one per request or retry: ${lines.join(' | ')}`);
    assert.equal(count('cannot count: failing open'), 1, lines.join(' | '));
    assert.equal(count('redis connected'), 1, lines.join(' | '));
  });
});

test('rateLimitBeforeAuth, denyOnFail, no X-RateLimit headers, both services on Unix sockets', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { gw, redis } = await setUp(t, { denyOnFail: true, unixSockets: true, beforeAuth: true, rateLimitHeaders: false });

  await t.test('without enableXRatelimitHeaders: no X-RateLimit-* headers, allowed or limited (Retry-After stays)', async () => {
    const ok = await gw.get('/walkthrough');
    const over = await gw.get('/walkthrough');
    assert.deepEqual([ok.status, over.status], [200, 429]);
    for (const r of [ok, over]) assert.deepEqual(Object.keys(r.headers).filter((h) => h.startsWith('x-ratelimit-')), [], String(r.status));
    assert.ok(Number(over.headers['retry-after']) >= 1);
  });

  await t.test('the rate-limit filter runs before ext_authz: over the limit is 429 even without credentials', async () => {
    assert.deepEqual(await statuses(gw, '/auth-limit', 2), [401, 429]);
    assert.equal((await gw.get('/auth-limit', { headers: KEY_A })).status, 429, 'credentials do not lift it');
  });

  await t.test('before ext_authz there is no principal yet: ratelimitBasic counts everyone as anonymous', async () => {
    assert.deepEqual(await statuses(gw, '/basic-auth', 2, { headers: KEY_A }), [200, 429]);
  });

  await t.test('denyOnFail: Redis down fails closed (Envoy answers 500), and recovers', async () => {
    assert.equal((await gw.get('/outage')).status, 200);
    await redis.stop();
    assert.deepEqual(await statuses(gw, '/outage', 2), [500, 500]);
    assert.equal((await gw.get('/open')).status, 200, 'a route without limits is not affected');
    await redis.start();
    await waitFor(async () => (await gw.get('/outage')).status === 200, { timeoutMs: 20_000, what: '/outage to be served again' });
  });
});
