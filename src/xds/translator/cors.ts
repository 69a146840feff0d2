// CORS: Envoy's CORS filter does nothing for a route without a CorsPolicy in its typed_per_filter_config,
// so it sits on every listener (enabled): adding the first CORS route then changes only RDS, never the listener
// (a listener update would drain its connections). A virtual host's policy applies to its routes; a route may
// have its own or turn the host's off.
import { originRegex } from '../../contracts/envoy-regexes.ts';
import type { CorsIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { httpFilter, type HttpFilterPlugin } from './filter-plugin.ts';

const CORS_FILTER = 'envoy.filters.http.cors';

export const CORS_PLUGIN: HttpFilterPlugin = {
  name: CORS_FILTER,
  order: 100,
  listenerFilters: () => [httpFilter(CORS_FILTER, { '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors' })],
  virtualHost: (vh) => vh.cors && { perFilter: { [CORS_FILTER]: corsPolicy(vh.cors) } },
  route: (route) => {
    if (route.cors) return { perFilter: { [CORS_FILTER]: corsPolicy(route.cors) } };
    // The route turns its virtual host's policy off: the filter is then skipped for it.
    if (route.corsDisabled) return { perFilter: { [CORS_FILTER]: { '@type': 'type.googleapis.com/envoy.config.route.v3.FilterConfig', disabled: true } } };
    return undefined;
  },
};

function corsPolicy(cors: CorsIr): XdsObject {
  const list = (values: string[]) => values.join(', ');
  return {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
    allow_origin_string_match: [...cors.allowOrigins.map(originRegex), ...(cors.allowOriginRegexes ?? [])].map((regex) => ({ safe_regex: { regex } })),
    ...(cors.allowMethods.length && { allow_methods: list(cors.allowMethods) }),
    ...(cors.allowHeaders.length && { allow_headers: list(cors.allowHeaders) }),
    ...(cors.exposeHeaders.length && { expose_headers: list(cors.exposeHeaders) }),
    ...(cors.maxAgeSeconds !== undefined && { max_age: String(cors.maxAgeSeconds) }),
    ...(cors.allowCredentials && { allow_credentials: true }),
    // A preflight from an origin that is not allowed is answered by the gateway, without CORS headers,
    // rather than reaching a backend that knows nothing of the policy.
    forward_not_matching_preflights: false,
  };
}
