// Gloo's UpstreamGroup: a weighted set of Upstreams that a route's backendRef can name as one backend.
// A destination whose Upstream is missing, or in another namespace that grants the group no ReferenceGrant,
// keeps its share of the traffic, answered with 500 like any other invalid backend, so the other
// destinations' shares stay what the user wrote.
import type { UpstreamGroupSpec } from '../api/gloo-types.ts';
import { GLOO_GROUP, type Resource } from '../api/resource.ts';
import type { SubsetIr } from '../ir/types.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import { condition, statusEntry, type Because, type StatusEntry } from './status.ts';
import { checkSubset } from './subsets.ts';
import { upstreamClusterName, type BackendProtocol } from './upstream.ts';

/** A share of a backendRef's traffic: `weight / of` of it, to `cluster` (or, without one, to the 500), or to a subset of its endpoints. */
export interface Share {
  cluster?: string;
  weight: number;
  of: number;
  subset?: SubsetIr;
}

interface Destination {
  /** `spec.destinations[i].destination.upstream` */
  field: string;
  namespace: string;
  name: string;
  weight: number;
  /** Why the destination cannot be used (RefNotPermitted, BackendNotFound); undefined: it can. */
  problem?: Because;
  subset?: SubsetIr;
  /** Why the destination's `subset` is not used. */
  subsetProblem?: string;
}

/** The destinations with traffic (weight above 0), each with why it cannot be used, if so. */
function destinations(group: Resource<UpstreamGroupSpec>, index: ResourceIndex): Destination[] {
  return group.spec.destinations.flatMap((d, i) => {
    const weight = d.weight ?? 0;
    if (weight === 0) return [];
    // An unset namespace is the group's own, as in Gloo.
    const { name, namespace = group.metadata.namespace } = d.destination.upstream;
    const field = `spec.destinations[${i}].destination.upstream`;
    // Permission before existence, so a refused destination says nothing of the other namespace.
    const refused = index.refusal(group, { group: GLOO_GROUP, kind: 'Upstream', namespace, name });
    if (refused) return [{ field, namespace, name, weight, problem: refused }];
    const upstream = index.upstream(namespace, name);
    if (!upstream) return [{ field, namespace, name, weight, problem: { reason: 'BackendNotFound', message: `Upstream ${namespace}/${name} not found` } }];
    const subset = d.destination.subset ? checkSubset(d.destination.subset, upstream) : undefined;
    return [{ field, namespace, name, weight, ...(subset && ('subset' in subset ? subset : { subsetProblem: subset.problem })) }];
  });
}

/** The group's shares, to its Upstreams' clusters of `protocol` (h2c for GRPCRoutes). */
export function groupShares(group: Resource<UpstreamGroupSpec>, index: ResourceIndex, protocol: BackendProtocol): { shares: Share[]; problems: Because[] } {
  const all = destinations(group, index);
  const of = all.reduce((sum, d) => sum + d.weight, 0);
  return {
    shares: all.map((d) => ({ ...(!d.problem && { cluster: upstreamClusterName(d.namespace, d.name, protocol) }), weight: d.weight, of, ...(d.subset && { subset: d.subset }) })),
    problems: all.flatMap((d) => (d.problem ? [{ reason: d.problem.reason, message: problemMessage(d) }] : [])),
  };
}

function problemMessage(d: Destination): string {
  return `${d.field}: ${d.problem?.message}`;
}

/** Each unusable Upstream and subset, reported on the group itself (the routes using it report the Upstream too). */
export function groupProblems(group: Resource<UpstreamGroupSpec>, index: ResourceIndex): FieldProblem[] {
  return destinations(group, index).flatMap((d) => [
    ...(d.problem ? [problemAt(group, d.field, `${d.problem.message}; its share of the traffic gets a 500`)] : []),
    ...(d.subsetProblem ? [problemAt(group, d.field.replace(/upstream$/, 'subset.values'), d.subsetProblem)] : []),
  ]);
}

export function upstreamGroupStatus(group: Resource<UpstreamGroupSpec>, index: ResourceIndex): StatusEntry {
  const all = destinations(group, index);
  const missing = all.filter((d) => d.problem);
  const badSubsets = all.flatMap((d) => (d.subsetProblem ? [`${d.field.replace(/upstream$/, 'subset')}: ${d.subsetProblem}`] : []));
  const resolved = missing.length
    ? { reason: (missing[0] as Destination).problem?.reason as string, message: missing.map(problemMessage).join('; ') }
    : badSubsets.length
      ? { reason: 'InvalidSubset', message: badSubsets.join('; ') }
      : { reason: 'ResolvedRefs', message: 'all references are resolved' };
  return statusEntry(group, {
    conditions: [
      condition(group, 'Accepted', true, { reason: 'Accepted', message: `${all.length} destination(s) with traffic` }),
      condition(group, 'ResolvedRefs', !missing.length && !badSubsets.length, resolved),
    ],
  });
}

const UINT32_MAX = 4_294_967_295;

/**
 * Integer weights for Envoy's weighted clusters with the exact ratios of the shares: every share is scaled by
 * the least common multiple of their denominators. Plain backendRefs have denominator 1, so a rule without
 * groups keeps its weights as written. Only when the sum would overflow Envoy's uint32 are they rounded.
 */
export function integerWeights(shares: Share[]): number[] {
  const scale = shares.reduce((l, s) => lcm(l, s.of), 1);
  const exact = shares.map((s) => (s.weight * scale) / s.of);
  const total = exact.reduce((a, b) => a + b, 0);
  if (total <= UINT32_MAX) return exact;
  return exact.map((w) => Math.max(1, Math.floor((w / total) * 1_000_000)));
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
