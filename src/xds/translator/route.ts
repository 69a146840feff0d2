// IR virtual hosts → one Envoy RouteConfiguration per listener (served by RDS under the listener's name),
// or on an HTTPS listener one per filter chain (under the chain's name). What the HTTP filters add to a virtual
// host or route (their typed_per_filter_config, rate limits) comes from their plug-ins.
import type { ListenerIr, RouteIr, VirtualHostIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import type { HttpFilterPlugin, RouteContribution } from './filter-plugin.ts';
import { retryPolicy } from './forward-policies.ts';
import { buildDirectResponse, buildForward, buildRedirect, headerMods } from './route-action.ts';
import { buildRouteMatch } from './route-match.ts';

/** The plug-ins' hooks in list order, taken out once per listener rather than looked up on every route. */
interface Hooks {
  virtualHost: NonNullable<HttpFilterPlugin['virtualHost']>[];
  route: NonNullable<HttpFilterPlugin['route']>[];
}

export function buildRouteConfigurations(listener: ListenerIr, plugins: readonly HttpFilterPlugin[]): XdsObject[] {
  const hooks: Hooks = {
    virtualHost: plugins.flatMap((p) => (p.virtualHost ? [p.virtualHost.bind(p)] : [])),
    route: plugins.flatMap((p) => (p.route ? [p.route.bind(p)] : [])),
  };
  if (!listener.tlsChains) return [buildRouteConfiguration(listener.name, listener.virtualHosts, 'http', hooks)];
  return listener.tlsChains.map((chain) => buildRouteConfiguration(chain.name, chain.virtualHosts, 'https', hooks));
}

function buildRouteConfiguration(name: string, virtualHosts: VirtualHostIr[], scheme: 'http' | 'https', hooks: Hooks): XdsObject {
  return {
    name,
    virtual_hosts: virtualHosts.map((vh) => buildVirtualHost(vh, scheme, hooks)),
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

function buildVirtualHost(vh: VirtualHostIr, scheme: 'http' | 'https', hooks: Hooks): XdsObject {
  const c: RouteContribution = {};
  for (const hook of hooks.virtualHost) add(c, hook(vh));
  const { perFilter, fields } = c;
  return {
    name: vh.name,
    domains: vh.domains,
    routes: vh.routes.map((r) => buildRoute(r, vh, scheme, hooks)),
    ...headerMods(vh.requestHeaders, vh.responseHeaders),
    ...(perFilter && { typed_per_filter_config: perFilter }),
    ...(vh.retry && { retry_policy: retryPolicy(vh.retry) }),
    ...fields,
  };
}

function buildRoute(route: RouteIr, vh: VirtualHostIr, scheme: 'http' | 'https', hooks: Hooks): XdsObject {
  const c: RouteContribution = {};
  for (const hook of hooks.route) add(c, hook(route, vh));
  const { perFilter, fields } = c;
  const out: XdsObject = { name: route.name, match: buildRouteMatch(route.match) };
  const { action } = route;
  if (action.type === 'forward') out.route = { ...buildForward(action, route.match.path), ...fields };
  else if (action.type === 'redirect') out.redirect = buildRedirect(action, route.match.path, scheme);
  else out.direct_response = buildDirectResponse(action);
  if (perFilter) out.typed_per_filter_config = perFilter;
  return { ...out, ...headerMods(route.requestHeaders, route.responseHeaders) };
}

/** Adds a plug-in's contribution to those of the plug-ins before it in the list. */
function add(to: RouteContribution, c: RouteContribution | undefined): void {
  // The first is taken as it is and the next added to it: plug-ins return fresh objects (filter-plugin.ts).
  if (c?.perFilter) to.perFilter = to.perFilter ? Object.assign(to.perFilter, c.perFilter) : c.perFilter;
  if (c?.fields) to.fields = to.fields ? Object.assign(to.fields, c.fields) : c.fields;
}
