// IR virtual hosts → one Envoy RouteConfiguration per listener (served by RDS under the listener's name).
import type { ListenerIr, RouteIr, VirtualHostIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { corsPerFilterConfig } from './cors.ts';
import { buildDirectResponse, buildForward, buildRedirect, headerMods } from './route-action.ts';
import { buildRouteMatch } from './route-match.ts';

export function buildRouteConfiguration(listener: ListenerIr): XdsObject {
  return {
    name: listener.name,
    virtual_hosts: listener.virtualHosts.map((vh) => buildVirtualHost(vh, 'http')),
    // Gateway API: the port in the Host header plays no part in hostname matching.
    ignore_port_in_host_matching: true,
  };
}

function buildVirtualHost(vh: VirtualHostIr, scheme: 'http' | 'https'): XdsObject {
  return { name: vh.name, domains: vh.domains, routes: vh.routes.map((r) => buildRoute(r, scheme)) };
}

function buildRoute(route: RouteIr, scheme: 'http' | 'https'): XdsObject {
  const out: XdsObject = { name: route.name, match: buildRouteMatch(route.match) };
  const { action } = route;
  if (action.type === 'forward') out.route = buildForward(action, route.match.path);
  else if (action.type === 'redirect') out.redirect = buildRedirect(action, route.match.path, scheme);
  else out.direct_response = buildDirectResponse(action);
  if (route.cors) out.typed_per_filter_config = corsPerFilterConfig(route.cors);
  return { ...out, ...headerMods(route.requestHeaders, route.responseHeaders) };
}
