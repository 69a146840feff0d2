import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { GatewayIr, Ir, ListenerIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { TYPE_URLS } from '../resources.ts';
import type { HttpFilterPlugin } from './filter-plugin.ts';
import { httpFilterPlugins, type FilterServices } from './http-filters.ts';
import { buildHttpFilters } from './listener.ts';
import type { RateLimitSettings } from './rate-limit.ts';
import { buildRouteConfigurations } from './route.ts';
import { translateIr } from './translate.ts';

const TESTDATA = join(import.meta.dirname, 'testdata');
const rateLimit: RateLimitSettings = { address: '127.0.0.1:8081', domain: 'portico', denyOnFail: true, beforeAuth: false, timeoutMs: 100, rateLimitHeaders: false };
const allServices: FilterServices = { rateLimit, extAuth: { address: '127.0.0.1:9001' } };
const gateway = { key: 'default/gw', namespace: 'default', name: 'gw', listeners: [], clusters: [] } satisfies GatewayIr;

const chain = (services: FilterServices) => buildHttpFilters(httpFilterPlugins(services), gateway).map((f) => f.name.replace('envoy.filters.http.', ''));

test('the chain: fault, CORS, rate limit on either side of ext_authz, buffer, and the router last', () => {
  assert.deepEqual(chain({}), ['fault', 'cors', 'buffer', 'router']);
  assert.deepEqual(chain(allServices), ['fault', 'cors', 'ext_authz', 'ext_authz/fail-open', 'ratelimit', 'buffer', 'router']);
  assert.deepEqual(chain({ ...allServices, rateLimit: { ...rateLimit, beforeAuth: true } }), ['fault', 'cors', 'ratelimit', 'ext_authz', 'ext_authz/fail-open', 'buffer', 'router']);
});

// A typed_per_filter_config entry for a filter that is not in the chain does nothing: every key a plug-in writes
// must be the name of a filter it puts on the listener.
test('every typed_per_filter_config entry names a filter of the listener chain', () => {
  const perFilterKeys = (o: XdsObject) => Object.keys((o.typed_per_filter_config ?? {}) as XdsObject);
  let checked = 0;
  for (const file of readdirSync(TESTDATA).filter((f) => f.endsWith('.in.yaml'))) {
    for (const byType of translateIr(parse(readFileSync(join(TESTDATA, file), 'utf8')) as Ir, allServices).values()) {
      const filters = new Set((byType[TYPE_URLS.listener] ?? []).flatMap((l: any) => l.resource.filter_chains.flatMap((c: any) => c.filters[0].typed_config.http_filters.map((f: any) => f.name))));
      for (const rc of byType[TYPE_URLS.route] ?? []) {
        for (const vh of (rc.resource as any).virtual_hosts) {
          for (const key of [...perFilterKeys(vh), ...vh.routes.flatMap(perFilterKeys)]) {
            assert.ok(filters.has(key), `${file}: ${vh.name}: ${key} is not in the chain`);
            checked++;
          }
        }
      }
    }
  }
  assert.ok(checked > 0);
});

// What adding a filter takes: its plug-in, listed. route.ts and translate.ts know nothing of it.
test('a plug-in contributes to virtual hosts, routes (their action when forwarding) and the chain, merged in list order', () => {
  const plugin = (name: string, order: number): HttpFilterPlugin => ({
    name,
    order,
    listenerFilters: () => [{ name, typed_config: { '@type': name } }],
    virtualHost: (vh) => ({ perFilter: { [name]: vh.name }, fields: { [`${name}_vh`]: true } }),
    route: (route) => ({ perFilter: { [name]: route.name }, fields: { [`${name}_action`]: true } }),
  });
  const plugins = [plugin('b', 2), plugin('a', 1)];
  const listener: ListenerIr = {
    name: 'default/gw/80',
    address: '0.0.0.0',
    port: 80,
    protocol: 'HTTP',
    virtualHosts: [
      {
        name: 'vh',
        domains: ['*'],
        routes: [
          { name: 'fwd', match: { path: { type: 'PathPrefix', value: '/' } }, action: { type: 'forward', backends: [{ cluster: 'c', weight: 1 }] } },
          { name: 'direct', match: { path: { type: 'Exact', value: '/x' } }, action: { type: 'directResponse', status: 204 } },
        ],
      },
    ],
  };
  assert.deepEqual(buildHttpFilters(plugins, gateway).map((f) => f.name), ['a', 'b']);
  const [config] = buildRouteConfigurations(listener, plugins) as any[];
  const [vh] = config.virtual_hosts;
  assert.deepEqual(vh.typed_per_filter_config, { b: 'vh', a: 'vh' });
  assert.deepEqual(Object.keys(vh.typed_per_filter_config), ['b', 'a']);
  assert.equal(vh.b_vh && vh.a_vh, true);
  const [fwd, direct] = vh.routes;
  assert.deepEqual(fwd.typed_per_filter_config, { b: 'fwd', a: 'fwd' });
  assert.equal(fwd.route.b_action && fwd.route.a_action, true);
  assert.deepEqual(direct.typed_per_filter_config, { b: 'direct', a: 'direct' });
  assert.deepEqual(Object.keys(direct.direct_response), ['status']);
});
