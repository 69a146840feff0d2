// backendRefs (of HTTPRoutes and GRPCRoutes) → weighted clusters, and RequestMirror backends → mirror clusters.
// Portico forwards to Services (Consul catalog services), Gloo Upstreams and UpstreamGroups (weighted sets of Upstreams); a reference
// it cannot resolve is reported with the Gateway API's ResolvedRefs reasons, and its share of the traffic gets a 500.
import type { BackendObjectReference, HTTPBackendRef, HTTPRequestMirrorFilter, RouteSpec } from '../api/gateway-types.ts';
import { GLOO_GROUP, type Resource } from '../api/resource.ts';
import type { ForwardActionIr, MirrorIr } from '../ir/types.ts';
import { byKey } from '../lib/stable.ts';
import { BACKEND_FILTERS, readFilters, type Filters } from './filters.ts';
import type { ResourceIndex } from './resources.ts';
import type { Because } from './status.ts';
import { groupShares, integerWeights, type Share } from './upstream-group.ts';
import { isServiceRef, serviceClusterName } from './service.ts';
import { backendProtocol, upstreamClusterName, type BackendProtocol } from './upstream.ts';

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

type Backend = ForwardActionIr['backends'][number];
/** A share of the rule's traffic with the header filters of the backendRef it came from. */
type FilteredShare = Share & Omit<Backend, 'cluster' | 'weight'>;

export function resolveBackends(route: Resource<RouteSpec>, refs: HTTPBackendRef[], field: string, index: ResourceIndex): Backends {
  const out: Backends = { backends: [], invalidWeight: 0, issues: [], unsupported: [] };
  const shares = refs.flatMap((ref, j) => refShares(route, ref, `${field}[${j}]`, index, out));
  const weights = integerWeights(shares);
  shares.forEach(({ cluster, weight: _share, of: _of, ...headers }, i) => {
    const weight = weights[i] as number;
    if (cluster) out.backends.push({ cluster, weight, ...headers });
    else out.invalidWeight += weight;
  });
  return out;
}

/** One backendRef's shares of the traffic (none at weight 0); its issues and unsupported filters go to `out`. */
function refShares(route: Resource, ref: HTTPBackendRef, at: string, index: ResourceIndex, out: Backends): FilteredShare[] {
  const weight = ref.weight ?? 1;
  const problem = refProblem(route, ref, index);
  if (problem) out.issues.push({ ...problem, field: at });
  if (weight === 0) return []; // no traffic either way
  if (problem) return [{ weight, of: 1 }];
  const filters = readFilters(ref.filters, `${at}.filters`, BACKEND_FILTERS);
  out.unsupported.push(...filters.unsupported);
  const targets = refTargets(route, ref, index);
  out.issues.push(...targets.problems.map((p) => ({ ...p, field: at })));
  const headers = {
    ...(filters.requestHeaders && { requestHeaders: filters.requestHeaders }),
    ...(filters.responseHeaders && { responseHeaders: filters.responseHeaders }),
  };
  return targets.shares.map((t) => ({ ...t, weight: weight * t.weight, ...headers }));
}

/** What a resolved backendRef forwards to: its Upstream, or its UpstreamGroup's destinations. */
function refTargets(route: Resource, ref: HTTPBackendRef, index: ResourceIndex): { shares: Share[]; problems: Because[] } {
  const namespace = ref.namespace ?? route.metadata.namespace;
  const protocol = backendProtocol(route);
  const group = ref.kind === 'UpstreamGroup' ? index.upstreamGroup(namespace, ref.name) : undefined;
  if (!group) return { shares: [{ cluster: clusterOf(ref, namespace, protocol), weight: 1, of: 1 }], problems: [] };
  const { shares, problems } = groupShares(group, index, protocol);
  return { shares, problems: problems.map((p) => ({ ...p, message: `UpstreamGroup ${namespace}/${ref.name}: ${p.message}` })) };
}


/** Mirrors whose backend resolves; the others are reported and dropped, and the rule still serves (the spec's rule). */
export function resolveMirrors(route: Resource<RouteSpec>, mirrors: Filters['mirrors'], index: ResourceIndex): { mirrors: MirrorIr[]; issues: BackendIssue[] } {
  const out: { mirrors: MirrorIr[]; issues: BackendIssue[] } = { mirrors: [], issues: [] };
  for (const { field, mirror } of mirrors) {
    const ref = mirror.backendRef;
    const problem = ref.kind === 'UpstreamGroup' ? GROUP_MIRROR : refProblem(route, ref, index);
    if (problem) {
      out.issues.push({ ...problem, field });
      continue;
    }
    const fraction = mirrorFraction(mirror);
    const cluster = clusterOf(ref, ref.namespace ?? route.metadata.namespace, backendProtocol(route));
    out.mirrors.push({ cluster, ...(fraction && fraction.numerator < fraction.denominator && { fraction }) });
  }
  out.mirrors.sort(byKey((m) => m.cluster));
  return out;
}

/** The cluster of a resolved Upstream or Service reference. */
function clusterOf(ref: BackendObjectReference, namespace: string, protocol: BackendProtocol): string {
  return isServiceRef(ref) ? serviceClusterName(namespace, ref.name, ref.port as number, protocol) : upstreamClusterName(namespace, ref.name, protocol);
}

/** Envoy mirrors to one cluster, and a group's weights mean nothing for a copy of the traffic. */
const GROUP_MIRROR: Because = { reason: 'InvalidKind', message: 'RequestMirror sends to one Upstream; an UpstreamGroup cannot be a mirror backend' };

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
  const isGloo = group === GLOO_GROUP && (kind === 'Upstream' || kind === 'UpstreamGroup');
  const isService = group === '' && kind === 'Service';
  if (!isGloo && !isService) {
    return { reason: 'InvalidKind', message: `backend kind ${kind} (group ${group || 'core'}) is not supported: Portico forwards to Services (Consul catalog) and gloo.solo.io Upstreams and UpstreamGroups` };
  }
  const refused = index.refusal(route, { group, kind, namespace, name: ref.name });
  if (refused) return refused;
  // A Service is a Consul catalog service: it exists once instances register, and until then it has no endpoints.
  if (isService) return undefined;
  const found = kind === 'UpstreamGroup' ? index.upstreamGroup(namespace, ref.name) : index.upstream(namespace, ref.name);
  return found ? undefined : { reason: 'BackendNotFound', message: `${target} not found` };
}
