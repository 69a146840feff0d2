// backendRefs of kind Service (the Gateway API's default kind) → clusters whose endpoints are the passing
// instances of the Consul catalog service of that name. Consul CE has no namespaces, so the route's
// namespace only scopes the cluster name and ReferenceGrants; the backendRef's port is used for instances
// registered without a port of their own (an instance's registered port wins: it is where it listens).
import type { BackendObjectReference, HTTPRouteFilter, RouteSpec } from '../api/gateway-types.ts';
import type { Resource } from '../api/resource.ts';
import type { ClusterIr } from '../ir/types.ts';
import { backendProtocol, DEFAULT_CONNECT_TIMEOUT_MS, type BackendProtocol } from './upstream.ts';

export function isServiceRef(ref: BackendObjectReference): boolean {
  return (ref.group ?? '') === '' && (ref.kind ?? 'Service') === 'Service';
}

export function serviceClusterName(namespace: string, name: string, port: number, protocol: BackendProtocol = 'http1'): string {
  return `service/${namespace}/${name}/${port}${protocol === 'h2c' ? '/h2c' : ''}`;
}

/** The clusters of every Service a route refers to (as a backend or a mirror); only referenced ones are served. */
export function serviceClusters(routes: readonly Resource<RouteSpec>[]): ClusterIr[] {
  return routes.flatMap((route) => {
    const protocol = backendProtocol(route);
    return referencedServices(route).map((ref) => serviceCluster(ref.namespace ?? route.metadata.namespace, ref.name, ref.port as number, protocol));
  });
}

function referencedServices(route: Resource<RouteSpec>): BackendObjectReference[] {
  const rules = route.spec.rules ?? [];
  const mirrors = (filters: HTTPRouteFilter[] | undefined) => (filters ?? []).flatMap((f) => f.requestMirror?.backendRef ?? []);
  const refs = rules.flatMap((r) => [...(r.backendRefs ?? []), ...mirrors(r.filters), ...(r.backendRefs ?? []).flatMap((b) => mirrors(b.filters))]);
  // The validator requires a Service's port; a ref without one is never resolved, so it needs no cluster.
  return refs.filter((ref) => isServiceRef(ref) && ref.port !== undefined);
}

function serviceCluster(namespace: string, name: string, port: number, protocol: BackendProtocol): ClusterIr {
  return {
    name: serviceClusterName(namespace, name, port, protocol),
    endpoints: [],
    discovery: { consul: { service: name, port } },
    connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    ...(protocol === 'h2c' && { http2: true as const }),
  };
}
