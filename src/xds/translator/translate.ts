// The pure IR → Envoy translator: one set of xDS resources per Gateway, every list sorted by name.
import type { ClusterIr, GatewayIr, Ir } from '../../ir/types.ts';
import { byKey } from '../../lib/stable.ts';
import { TYPE_URLS, type NamedResource, type XdsObject, type XdsResources } from '../resources.ts';
import { buildCluster, buildLoadAssignment } from './cluster.ts';
import { httpFilterPlugins, type FilterServices } from './http-filters.ts';
import { buildHttpFilters, buildListener } from './listener.ts';
import { buildRouteConfigurations } from './route.ts';
import { buildSecret } from './secret.ts';

/** What the translator needs besides the IR: the services the HTTP filters call, and whether to build EDS. */
export interface XdsTranslatorOptions extends FilterServices {
  /** false: no EDS resources (the controller builds them itself, discovered endpoints joined: app/endpoint-join.ts). */
  endpoints?: boolean;
}

/** Resources per gateway key (`<namespace>/<name>`, the Envoy node.cluster). */
export function translateIr(ir: Ir, opts: XdsTranslatorOptions = {}): Map<string, XdsResources> {
  return new Map(ir.gateways.map((gw) => [gw.key, translateGateway(gw, opts)]));
}

export function translateGateway(gw: GatewayIr, opts: XdsTranslatorOptions = {}): XdsResources {
  const plugins = httpFilterPlugins(opts);
  const filters = buildHttpFilters(plugins, gw);
  const services = plugins.flatMap((p) => p.clusters?.(gw) ?? []);
  return {
    [TYPE_URLS.listener]: named(gw.listeners.map((l) => buildListener(l, filters))),
    [TYPE_URLS.route]: named(gw.listeners.flatMap((l) => buildRouteConfigurations(l, plugins))),
    [TYPE_URLS.cluster]: named([...gw.clusters.map(buildCluster), ...services]),
    ...(opts.endpoints !== false && { [TYPE_URLS.endpoint]: translateLoadAssignments(gw.clusters) }),
    // Only gateways with HTTPS listeners have any (the cache serves an absent type as empty).
    ...(gw.secrets && { [TYPE_URLS.secret]: named(gw.secrets.map(buildSecret)) }),
  };
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
