// IR virtual hosts → one Envoy RouteConfiguration per listener (served by RDS under the listener's name),
// or on an HTTPS listener one per filter chain (under the chain's name). What the HTTP filters add to a virtual
// host or route (their typed_per_filter_config, rate limits) comes from their plug-ins.
import type { ListenerIr, RouteIr, VirtualHostIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import type { HttpFilterPlugin, RouteContribution } from './filter-plugin.ts';
import { retryPolicy } from './forward-policies.ts';
import { buildDirectResponse, buildForward, buildRedirect, headerMods } from './route-action.ts';
import { buildRouteMatch } from './route-match.ts';

type Plugins = readonly HttpFilterPlugin[];

export function buildRouteConfigurations(listener: ListenerIr, plugins: Plugins): XdsObject[] {
  if (!listener.tlsChains) return [buildRouteConfiguration(listener.name, listener.virtualHosts, 'http', plugins)];
  return listener.tlsChains.map((chain) => buildRouteConfiguration(chain.name, chain.virtualHosts, 'https', plugins));
}

function buildRouteConfiguration(name: string, virtualHosts: VirtualHostIr[], scheme: 'http' | 'https', plugins: Plugins): XdsObject {
  return {
    name,
    virtual_hosts: virtualHosts.map((vh) => buildVirtualHost(vh, scheme, plugins)),
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

function buildVirtualHost(vh: VirtualHostIr, scheme: 'http' | 'https', plugins: Plugins): XdsObject {
  const { perFilter, fields } = contributions(plugins, (p) => p.virtualHost?.(vh));
  return {
    name: vh.name,
    domains: vh.domains,
    routes: vh.routes.map((r) => buildRoute(r, vh, scheme, plugins)),
    ...headerMods(vh.requestHeaders, vh.responseHeaders),
    ...(perFilter && { typed_per_filter_config: perFilter }),
    ...(vh.retry && { retry_policy: retryPolicy(vh.retry) }),
    ...fields,
  };
}

function buildRoute(route: RouteIr, vh: VirtualHostIr, scheme: 'http' | 'https', plugins: Plugins): XdsObject {
  const { perFilter, fields } = contributions(plugins, (p) => p.route?.(route, vh));
  const out: XdsObject = { name: route.name, match: buildRouteMatch(route.match) };
  const { action } = route;
  if (action.type === 'forward') out.route = { ...buildForward(action, route.match.path), ...fields };
  else if (action.type === 'redirect') out.redirect = buildRedirect(action, route.match.path, scheme);
  else out.direct_response = buildDirectResponse(action);
  if (perFilter) out.typed_per_filter_config = perFilter;
  return { ...out, ...headerMods(route.requestHeaders, route.responseHeaders) };
}

/** The plug-ins' contributions merged in list order; each part undefined when no plug-in adds to it. */
function contributions(plugins: Plugins, of: (p: HttpFilterPlugin) => RouteContribution | undefined): RouteContribution {
  let perFilter: XdsObject | undefined;
  let fields: XdsObject | undefined;
  for (const plugin of plugins) {
    const c = of(plugin);
    // Copied, never adopted: a plug-in may hand out a shared constant.
    if (c?.perFilter) perFilter = Object.assign(perFilter ?? {}, c.perFilter);
    if (c?.fields) fields = Object.assign(fields ?? {}, c.fields);
  }
  return { perFilter, fields };
}
