// backendRefs (of HTTPRoutes and GRPCRoutes) → weighted clusters. Portico forwards to Gloo Upstreams (static hosts); a reference it cannot
// resolve is reported with the Gateway API's ResolvedRefs reasons, and its share of the traffic gets a 500.
import type { BackendObjectReference, HTTPBackendRef, HTTPRequestMirrorFilter, RouteSpec } from '../api/gateway-types.ts';
import type { UpstreamSpec } from '../api/gloo-types.ts';
import { GATEWAY_GROUP, GLOO_GROUP, type Resource } from '../api/resource.ts';
import type { ClusterIr, ForwardActionIr, MirrorIr } from '../ir/types.ts';
import { byKey } from '../lib/stable.ts';
import { BACKEND_FILTERS, readFilters, type Filters } from './filters.ts';
import type { ResourceIndex } from './resources.ts';
import { condition, statusEntry, type Because, type StatusEntry } from './status.ts';

const CONNECT_TIMEOUT_MS = 5000;

/** The wire protocol a cluster speaks to its endpoints: gRPC backends get HTTP/2 over cleartext (h2c). */
export type BackendProtocol = 'http1' | 'h2c';

export function upstreamClusterName(namespace: string, name: string, protocol: BackendProtocol = 'http1'): string {
  return `upstream/${namespace}/${name}${protocol === 'h2c' ? '/h2c' : ''}`;
}

/**
 * An Upstream's clusters, one per protocol: an Upstream referenced by both an HTTPRoute and a GRPCRoute gets
 * an HTTP/1.1 and an h2c cluster, so neither route changes how the other reaches it. Only referenced
 * clusters are served.
 */
export function upstreamClusters(u: Resource<UpstreamSpec>): ClusterIr[] {
  const unique = new Map((u.spec.static?.hosts ?? []).map((h) => [`${h.addr}:${h.port}`, { address: h.addr, port: h.port }]));
  const endpoints = [...unique.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
  const { namespace, name } = u.metadata;
  return [
    { name: upstreamClusterName(namespace, name), endpoints, connectTimeoutMs: CONNECT_TIMEOUT_MS },
    { name: upstreamClusterName(namespace, name, 'h2c'), endpoints, connectTimeoutMs: CONNECT_TIMEOUT_MS, http2: true },
  ];
}

/** How a route's backends are reached: gRPC needs HTTP/2. */
export function backendProtocol(route: Resource): BackendProtocol {
  return route.kind === 'GRPCRoute' ? 'h2c' : 'http1';
}

/** Gloo reports an Upstream's `state`; Portico writes Gateway-API-style conditions instead. */
export function upstreamStatus(u: Resource<UpstreamSpec>): StatusEntry {
  const hosts = upstreamClusters(u)[0]?.endpoints.length ?? 0;
  return statusEntry(u, { conditions: [condition(u, 'Accepted', true, { reason: 'Accepted', message: `static upstream with ${hosts} host(s)` })] });
}

export interface BackendIssue extends Because {
  /** `spec.rules[i].backendRefs[j]` */
  field: string;
}

export interface Backends {
  /** Valid backends with a weight above 0. */
  backends: ForwardActionIr['backends'];
  /** The weight of the invalid backends: that share of requests must be answered with 500. */
  invalidWeight: number;
  issues: BackendIssue[];
  unsupported: Filters['unsupported'];
}

export function resolveBackends(route: Resource<RouteSpec>, refs: HTTPBackendRef[], field: string, index: ResourceIndex): Backends {
  const out: Backends = { backends: [], invalidWeight: 0, issues: [], unsupported: [] };
  refs.forEach((ref, j) => {
    const at = `${field}[${j}]`;
    const weight = ref.weight ?? 1;
    const problem = refProblem(route, ref, index);
    if (problem) out.issues.push({ ...problem, field: at });
    if (weight === 0) return; // no traffic either way
    if (problem) {
      out.invalidWeight += weight;
      return;
    }
    const filters = readFilters(ref.filters, `${at}.filters`, BACKEND_FILTERS);
    out.unsupported.push(...filters.unsupported);
    out.backends.push({
      cluster: upstreamClusterName(ref.namespace ?? route.metadata.namespace, ref.name, backendProtocol(route)),
      weight,
      ...(filters.requestHeaders && { requestHeaders: filters.requestHeaders }),
      ...(filters.responseHeaders && { responseHeaders: filters.responseHeaders }),
    });
  });
  return out;
}

/** Mirrors whose backend resolves; the others are reported and dropped, and the rule still serves (the spec's rule). */
export function resolveMirrors(route: Resource<RouteSpec>, mirrors: Filters['mirrors'], index: ResourceIndex): { mirrors: MirrorIr[]; issues: BackendIssue[] } {
  const out: { mirrors: MirrorIr[]; issues: BackendIssue[] } = { mirrors: [], issues: [] };
  for (const { field, mirror } of mirrors) {
    const ref = mirror.backendRef;
    const problem = refProblem(route, ref, index);
    if (problem) {
      out.issues.push({ ...problem, field });
      continue;
    }
    const fraction = mirrorFraction(mirror);
    const cluster = upstreamClusterName(ref.namespace ?? route.metadata.namespace, ref.name, backendProtocol(route));
    out.mirrors.push({ cluster, ...(fraction && fraction.numerator < fraction.denominator && { fraction }) });
  }
  out.mirrors.sort(byKey((m) => m.cluster));
  return out;
}

/** `percent` is a fraction of 100; neither field means every request. */
function mirrorFraction(m: HTTPRequestMirrorFilter): MirrorIr['fraction'] {
  if (m.fraction) return { numerator: m.fraction.numerator, denominator: m.fraction.denominator ?? 100 };
  return m.percent === undefined ? undefined : { numerator: m.percent, denominator: 100 };
}

/** Why a backend reference cannot be used, in the order the spec's reasons apply: kind, then permission, then existence. */
function refProblem(route: Resource, ref: BackendObjectReference, index: ResourceIndex): Because | undefined {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  const namespace = ref.namespace ?? route.metadata.namespace;
  const target = `${kind} ${namespace}/${ref.name}`;
  const isUpstream = group === GLOO_GROUP && kind === 'Upstream';
  const isService = group === '' && kind === 'Service';
  if (!isUpstream && !isService) {
    return { reason: 'InvalidKind', message: `backend kind ${kind} (group ${group || 'core'}) is not supported: Portico forwards to gloo.solo.io Upstreams` };
  }
  const from = { group: GATEWAY_GROUP, kind: route.kind, namespace: route.metadata.namespace };
  if (!index.permits(from, { group, kind, namespace, name: ref.name })) {
    return {
      reason: 'RefNotPermitted',
      message: `${target} is in another namespace and no ReferenceGrant in ${namespace} lets ${route.kind}s from ${route.metadata.namespace} refer to it`,
    };
  }
  if (isService) {
    return { reason: 'BackendNotFound', message: `${target}: Portico has no service discovery yet, so it forwards only to gloo.solo.io Upstreams` };
  }
  return index.upstream(namespace, ref.name) ? undefined : { reason: 'BackendNotFound', message: `${target} not found` };
}
