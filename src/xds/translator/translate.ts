// The pure IR → Envoy translator: one set of xDS resources per Gateway, every list sorted by name.
import type { ClusterIr, GatewayIr, Ir } from '../../ir/types.ts';
import { byKey } from '../../lib/stable.ts';
import { TYPE_URLS, type NamedResource, type XdsObject, type XdsResources } from '../resources.ts';
import { buildCluster, buildLoadAssignment } from './cluster.ts';
import { extAuthCluster, extAuthzPlugins, type ExtAuthTarget } from './ext-authz.ts';
import { DEFAULT_HTTP_FILTERS, type HttpFilterPlugin } from './http-filters.ts';
import { buildListener } from './listener.ts';
import { rateLimitCluster, rateLimitPlugin, type RateLimitSettings } from './rate-limit.ts';
import { buildRouteConfigurations } from './route.ts';
import { buildSecret } from './secret.ts';

export interface XdsTranslatorOptions {
  httpFilters?: readonly HttpFilterPlugin[];
  /** The rate-limit service: its filter on every listener and its cluster in every gateway. */
  rateLimit?: RateLimitSettings;
  /** Portico's ext-auth service. When set, every gateway gets the ext_authz filters (off until a route asks). */
  extAuth?: ExtAuthTarget;
}

/** Resources per gateway key (`<namespace>/<name>`, the Envoy node.cluster). */
export function translateIr(ir: Ir, opts: XdsTranslatorOptions = {}): Map<string, XdsResources> {
  return new Map(ir.gateways.map((gw) => [gw.key, translateGateway(gw, opts)]));
}

export function translateGateway(gw: GatewayIr, opts: XdsTranslatorOptions = {}): XdsResources {
  // A gateway using auth without a configured service still gets the ext_authz filters: their cluster then has no
  // endpoint and both fail closed, so those routes deny (403) rather than serve unchecked, failureModeAllow or not.
  const extAuth = opts.extAuth !== undefined || usesAuth(gw);
  const base = opts.httpFilters ?? DEFAULT_HTTP_FILTERS;
  const filters = [...base, ...(opts.rateLimit ? [rateLimitPlugin(opts.rateLimit)] : []), ...(extAuth ? extAuthzPlugins(opts.extAuth) : [])];
  const services = [...(opts.rateLimit ? [rateLimitCluster(opts.rateLimit)] : []), ...(extAuth ? [extAuthCluster(opts.extAuth)] : [])];
  return {
    [TYPE_URLS.listener]: named(gw.listeners.map((l) => buildListener(l, filters))),
    [TYPE_URLS.route]: named(gw.listeners.flatMap(buildRouteConfigurations)),
    [TYPE_URLS.cluster]: named([...gw.clusters.map(buildCluster), ...services]),
    [TYPE_URLS.endpoint]: translateLoadAssignments(gw.clusters),
    // Only gateways with HTTPS listeners have any (the cache serves an absent type as empty).
    ...(gw.secrets && { [TYPE_URLS.secret]: named(gw.secrets.map(buildSecret)) }),
  };
}

function usesAuth(gw: GatewayIr): boolean {
  const hosts = gw.listeners.flatMap((l) => [...l.virtualHosts, ...(l.tlsChains ?? []).flatMap((c) => c.virtualHosts)]);
  return hosts.some((vh) => vh.auth !== undefined || vh.routes.some((r) => r.auth !== undefined));
}

/** The EDS resources alone: what an endpoint-only change re-sends (see src/ir/endpoints.ts). */
export function translateLoadAssignments(clusters: readonly ClusterIr[]): NamedResource[] {
  return named(clusters.map(buildLoadAssignment), 'cluster_name');
}

/** One cluster's EDS resource. */
export function translateLoadAssignment(cluster: ClusterIr): NamedResource {
  return { name: cluster.name, resource: buildLoadAssignment(cluster) };
}

function named(resources: XdsObject[], field = 'name'): NamedResource[] {
  return resources.map((resource) => ({ name: String(resource[field]), resource })).sort(byKey((r) => r.name));
}
