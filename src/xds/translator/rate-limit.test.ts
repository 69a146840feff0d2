import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocuments } from '../../api/parse.ts';
import { translate } from '../../gatewayapi/translate.ts';
import { encodeMessage } from '../encode.ts';
import { TYPE_URLS } from '../resources.ts';
import { RATE_LIMIT_CLUSTER, rateLimitPlugin, type RateLimitSettings } from './rate-limit.ts';
import { translateIr } from './translate.ts';

const input = readFileSync(join(import.meta.dirname, '../../gatewayapi/testdata/rate-limits.in.yaml'), 'utf8');
const { ir } = translate(parseDocuments(input, { file: 'rate-limits.in.yaml' }).resources);
const settings: RateLimitSettings = { address: 'unix:/run/portico/ratelimit.sock', domain: 'portico', denyOnFail: true, beforeAuth: false, timeoutMs: 100, rateLimitHeaders: true };

function served(s?: RateLimitSettings) {
  const resources = translateIr(ir, s ? { rateLimit: s } : {}).get('default/gw') ?? {};
  const [listener] = resources[TYPE_URLS.listener] ?? [];
  const hcm = (listener?.resource as any).filter_chains[0].filters[0].typed_config;
  const [routes] = resources[TYPE_URLS.route] ?? [];
  return { resources, filters: hcm.http_filters as any[], vhost: (routes?.resource as any).virtual_hosts[0] };
}

test('the filter, the cluster and the actions encode as Envoy protos', () => {
  for (const [typeUrl, list] of Object.entries(served(settings).resources)) {
    for (const r of list) assert.doesNotThrow(() => encodeMessage(typeUrl.split('/')[1] as string, r.resource), r.name);
  }
});

test('the filter on every listener (failure_mode_deny, headers, timeout), after CORS, before the router', () => {
  const { filters } = served(settings);
  const at = (name: string) => filters.findIndex((f) => f.name === `envoy.filters.http.${name}`);
  assert.ok(at('cors') < at('ratelimit') && at('ratelimit') < at('router'));
  // ext_authz sits at order 150: rateLimitBeforeAuth moves the filter to its other side.
  assert.ok(rateLimitPlugin({ ...settings, beforeAuth: true }).order < 150 && rateLimitPlugin(settings).order > 150);
  const config = filters.find((f) => f.name === 'envoy.filters.http.ratelimit').typed_config;
  assert.equal(config.domain, 'portico');
  assert.equal(config.failure_mode_deny, true);
  assert.equal(config.enable_x_ratelimit_headers, 'DRAFT_VERSION_03');
  assert.deepEqual(config.timeout, { seconds: 0, nanos: 100_000_000 });
  assert.deepEqual(served().filters.map((f) => f.name).includes('envoy.filters.http.ratelimit'), false, 'off without settings');
});

test('the service cluster: HTTP/2 to a Unix socket, a static address or a DNS name', () => {
  const cluster = (address: string) => served({ ...settings, address }).resources[TYPE_URLS.cluster]?.find((c) => c.name === RATE_LIMIT_CLUSTER)?.resource as any;
  const endpoint = (c: any) => c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address;
  assert.deepEqual(endpoint(cluster('unix:/run/portico/ratelimit.sock')), { pipe: { path: '/run/portico/ratelimit.sock' } });
  assert.equal(cluster('10.0.0.5:8081').type, 'STATIC');
  assert.equal(cluster('ratelimit.internal:8081').type, 'STRICT_DNS');
  assert.ok(cluster('10.0.0.5:8081').typed_extension_protocol_options);
});

test('route and virtual host rate_limits; a route with its own also takes the host’s (Gloo: both apply)', () => {
  const { vhost } = served(settings);
  assert.equal(vhost.rate_limits.length, 2);
  const tree = vhost.routes.find((r: any) => r.match.path_separated_prefix === '/tree');
  assert.deepEqual(tree.route.rate_limits[0].actions, [
    { generic_key: { descriptor_key: 'portico.rlc', descriptor_value: 'default/tree' } },
    { generic_key: { descriptor_value: 'per-client' } },
    { remote_address: {} },
  ]);
  assert.deepEqual(tree.route.rate_limits[1].actions[1].header_value_match.headers, [
    { name: 'user-agent', string_match: { safe_regex: { regex: '.*Mobile.*' } } },
    { name: 'x-app', invert_match: true, present_match: true },
  ]);
  assert.equal(tree.typed_per_filter_config['envoy.filters.http.ratelimit'].vh_rate_limits, 'INCLUDE');
});

test('ratelimitBasic reads ext-auth\'s principal from dynamic metadata, never a header; destination_cluster as is', () => {
  const { vhost } = served(settings);
  const principal = { descriptor_key: 'portico.user', metadata_key: { key: 'envoy.filters.http.ext_authz', path: [{ key: 'userId' }] }, source: 'DYNAMIC' };
  assert.deepEqual(vhost.rate_limits.map((r: any) => r.actions.slice(1)), [
    [{ metadata: { ...principal, default_value: 'portico.anonymous' } }, { remote_address: {} }],
    [{ metadata: principal }],
  ]);
  const cluster = vhost.routes.find((r: any) => r.match.path_separated_prefix === '/cluster');
  assert.deepEqual(cluster.route.rate_limits[0].actions[1], { destination_cluster: {} });
});
