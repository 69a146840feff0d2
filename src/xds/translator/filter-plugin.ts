// The HTTP filter plug-in contract: everything one Envoy HTTP filter adds to a gateway's resources, in one object.
// A plug-in imports only this file; the ordered list of plug-ins is http-filters.ts, and listener.ts, route.ts and
// translate.ts only iterate it. So adding a filter is one file (plus its line in that list and its golden).
import type { GatewayIr, RouteIr, VirtualHostIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';

/** An entry of an HTTP connection manager's `http_filters`. */
export interface HttpFilter {
  name: string;
  typed_config: XdsObject;
  /** Off unless a route or virtual host enables it with its typed_per_filter_config (Envoy's HttpFilter.disabled). */
  disabled?: true;
}

/**
 * What a plug-in adds to one virtual host or route; undefined when it adds nothing there. Its objects are fresh
 * (never a shared constant): the translator merges the next plug-ins' entries into them.
 */
export interface RouteContribution {
  /** Entries of its typed_per_filter_config, by filter name. */
  perFilter?: XdsObject;
  /** Fields of the Envoy object: the VirtualHost's; for a route, its RouteAction's (forwarding routes only). */
  fields?: XdsObject;
}

export interface HttpFilterPlugin {
  /** Its Envoy filter's name (a plug-in with several filters names its main one). */
  readonly name: string;
  /** Where its filters sit in every listener's chain: lower runs first. The router, last, is at MAX_SAFE_INTEGER. */
  readonly order: number;
  /**
   * Its filters on every listener of the gateway; none when the gateway does not need them. A filter that acts only
   * where a route asks sits there `disabled`, so that turning it on for a route changes RDS only, never the
   * listener (a listener update drains its connections).
   */
  listenerFilters(gateway: GatewayIr): HttpFilter[];
  virtualHost?(vh: VirtualHostIr): RouteContribution | undefined;
  /** `vh` is the virtual host the route belongs to. */
  route?(route: RouteIr, vh: VirtualHostIr): RouteContribution | undefined;
  /** Clusters of the services its filters call, added to the gateway's. */
  clusters?(gateway: GatewayIr): XdsObject[];
}

export function httpFilter(name: string, typedConfig: XdsObject, disabled?: boolean): HttpFilter {
  return { name, typed_config: typedConfig, ...(disabled && { disabled: true as const }) };
}
