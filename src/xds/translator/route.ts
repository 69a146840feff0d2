// IR virtual hosts → one Envoy RouteConfiguration per listener (served by RDS under the listener's name),
// or on an HTTPS listener one per filter chain (under the chain's name).
import type { ListenerIr, RouteIr, VirtualHostIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { corsDisabledPerFilterConfig, corsPerFilterConfig } from './cors.ts';
import { authPerFilterConfig } from './ext-authz.ts';
import { retryPolicy } from './forward-policies.ts';
import { bufferPerFilterConfig, faultsPerFilterConfig } from './per-route-filters.ts';
import { buildDirectResponse, buildForward, buildRedirect, headerMods } from './route-action.ts';
import { includeHostRateLimits, rateLimits } from './rate-limit.ts';
import { buildRouteMatch } from './route-match.ts';

export function buildRouteConfigurations(listener: ListenerIr): XdsObject[] {
  if (!listener.tlsChains) return [buildRouteConfiguration(listener.name, listener.virtualHosts, 'http')];
  return listener.tlsChains.map((chain) => buildRouteConfiguration(chain.name, chain.virtualHosts, 'https'));
}

function buildRouteConfiguration(name: string, virtualHosts: VirtualHostIr[], scheme: 'http' | 'https'): XdsObject {
  return {
    name,
    virtual_hosts: virtualHosts.map((vh) => buildVirtualHost(vh, scheme)),
    // Gateway API: the port in the Host header plays no part in hostname matching.
    ignore_port_in_host_matching: true,
    ...(virtualHosts.some(hasHeaderMods) && mostSpecificHeadersWin),
  };
}

/**
 * Envoy applies a virtual host's header changes after a route's, so a virtual host would overwrite what a
 * route sets. A VirtualHostOption applies beneath the routes: the most specific change must win. Set only
 * where a virtual host changes headers, so route configurations without one are unchanged.
 */
const mostSpecificHeadersWin = { most_specific_header_mutations_wins: true };

function hasHeaderMods(vh: VirtualHostIr): boolean {
  return vh.requestHeaders !== undefined || vh.responseHeaders !== undefined;
}

function buildVirtualHost(vh: VirtualHostIr, scheme: 'http' | 'https'): XdsObject {
  return {
    name: vh.name,
    domains: vh.domains,
    routes: vh.routes.map((r) => buildRoute(r, scheme, vh.rateLimits !== undefined)),
    ...headerMods(vh.requestHeaders, vh.responseHeaders),
    ...((vh.cors || vh.auth) && { typed_per_filter_config: { ...(vh.cors && corsPerFilterConfig(vh.cors)), ...(vh.auth && authPerFilterConfig(vh.auth, vh.name)) } }),
    ...(vh.retry && { retry_policy: retryPolicy(vh.retry) }),
    ...(vh.rateLimits && { rate_limits: rateLimits(vh.rateLimits) }),
  };
}

/** `hostLimits`: the virtual host has rate limits, which a route with its own must include (both apply, as in Gloo). */
function buildRoute(route: RouteIr, scheme: 'http' | 'https', hostLimits: boolean): XdsObject {
  const out: XdsObject = { name: route.name, match: buildRouteMatch(route.match) };
  const { action } = route;
  if (action.type === 'forward') out.route = { ...buildForward(action, route.match.path), ...(route.rateLimits && { rate_limits: rateLimits(route.rateLimits) }) };
  else if (action.type === 'redirect') out.redirect = buildRedirect(action, route.match.path, scheme);
  else out.direct_response = buildDirectResponse(action);
  const perFilter = perFilterConfig(route, hostLimits);
  if (Object.keys(perFilter).length) out.typed_per_filter_config = perFilter;
  return { ...out, ...headerMods(route.requestHeaders, route.responseHeaders) };
}

/** The per-route configs of the filters that act only where a route asks (CORS, faults, buffer), and the
 * rate limit filter's, where a route with limits of its own also takes its virtual host's. */
function perFilterConfig(route: RouteIr, hostLimits: boolean): XdsObject {
  return {
    ...(route.rateLimits && hostLimits && includeHostRateLimits()),
    ...(route.faults && faultsPerFilterConfig(route.faults)),
    ...(route.cors ? corsPerFilterConfig(route.cors) : route.corsDisabled && corsDisabledPerFilterConfig()),
    ...(route.buffer && bufferPerFilterConfig(route.buffer)),
    ...(route.auth && authPerFilterConfig(route.auth, route.name)),
  };
}
