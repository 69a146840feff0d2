// Route order within a virtual host, exactly as the Gateway API ranks matches (Envoy takes the first that
// matches), and what happens to identical matches: the one ranked lower could never be reached, so it is
// dropped and its route's status says so.
import type { Resource } from '../api/resource.ts';
import type { RouteIr, RouteMatchIr, ValueMatchIr } from '../ir/types.ts';
import type { CompiledMatch, CompiledRoute } from './httproute.ts';

/** One IR route placed in a virtual host, and where it came from. */
export interface Placement {
  route: CompiledRoute;
  /** Index of the parentRef that attached it. */
  parent: number;
  match: CompiledMatch;
  ir: RouteIr;
}

export interface Shadowed {
  loser: Placement;
  winner: Placement;
}

/** A shadowed route, on the virtual host where it lost. */
export interface Drop extends Shadowed {
  host: string;
}

/** Why `winner` outranks `loser` when their matches are identical. */
export function whyFirst(winner: Placement, loser: Placement): string {
  if (winner.route === loser.route) return 'an earlier rule';
  return created(winner.route) < created(loser.route) ? 'an older route' : 'same age, namespace/name sorts first';
}

/** Sorts a virtual host's routes by precedence and drops exact duplicates of higher-ranked matches. */
export function orderRoutes(placements: Placement[]): { kept: Placement[]; shadowed: Shadowed[] } {
  const kept: Placement[] = [];
  const shadowed: Shadowed[] = [];
  const byMatch = new Map<string, Placement>();
  const names = new Set<string>();
  for (const p of [...placements].sort(comparePrecedence)) {
    // The same rule reached through two parentRefs (e.g. sectionName and port) is one route, not a conflict.
    if (names.has(p.ir.name)) continue;
    names.add(p.ir.name);
    const key = matchKey(p.ir.match);
    const winner = byMatch.get(key);
    if (winner) shadowed.push({ loser: p, winner });
    else {
      byMatch.set(key, p);
      kept.push(p);
    }
  }
  return { kept, shadowed };
}

const PATH_RANK = { Exact: 0, RegularExpression: 1, PathPrefix: 2 };

/**
 * GRPCRoute matches among themselves rank as the GRPCRoute spec says: the longest service, then the longest
 * method, then the most header matches. Otherwise (HTTPRoute, and ties):
 * exact path over regex over prefix (regex placement is implementation-specific; this is Envoy Gateway's),
 * longer path first, then a method match, more header matches, more query matches; ties go to the oldest
 * route, then to namespace/name order, then to rule and match order.
 */
function comparePrecedence(a: Placement, b: Placement): number {
  const [ma, mb] = [a.ir.match, b.ir.match];
  const [ga, gb] = [a.match.grpcRank, b.match.grpcRank];
  return (
    // GRPCRoute (among GRPCRoutes): more characters in the service, then in the method, then more headers.
    (ga && gb ? gb.service - ga.service || gb.method - ga.method || (mb.headers?.length ?? 0) - (ma.headers?.length ?? 0) : 0) ||
    PATH_RANK[ma.path.type] - PATH_RANK[mb.path.type] ||
    mb.path.value.length - ma.path.value.length ||
    Number(mb.method !== undefined) - Number(ma.method !== undefined) ||
    (mb.headers?.length ?? 0) - (ma.headers?.length ?? 0) ||
    (mb.queryParams?.length ?? 0) - (ma.queryParams?.length ?? 0) ||
    compare(created(a.route), created(b.route)) ||
    compare(namespacedName(a.route), namespacedName(b.route)) ||
    a.match.rule - b.match.rule ||
    a.match.index - b.match.index
  );
}

/**
 * A resource's creation order for precedence ties, from what the user cannot forge and every controller reads
 * alike: Consul KV's CreateIndex (ObjectMeta.creationIndex, set by the source). A resource without one (the
 * watched folder, offline translation) ranks as oldest, leaving ties among them to namespace/name: first-seen
 * time would differ between controllers and change on a restart. A `creationTimestamp` in the document is
 * never read: its writer can put any value there.
 */
export function creationOrder(r: Pick<Resource, 'metadata'>): number {
  return r.metadata.creationIndex ?? 0;
}

function created(r: CompiledRoute): number {
  return creationOrder(r.resource);
}

function namespacedName(r: CompiledRoute): string {
  return `${r.resource.metadata.namespace}/${r.resource.metadata.name}`;
}

function compare<T extends number | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Two matches are identical when they match the same requests: header names compare case-insensitively. */
function matchKey(m: RouteMatchIr): string {
  // Built by hand rather than by a sorted JSON dump: it runs for every route on every translation.
  const values = (list: ValueMatchIr[] | undefined, fold: (name: string) => string) =>
    (list ?? [])
      .map((v) => JSON.stringify([fold(v.name), v.type, v.value]))
      .sort()
      .join(',');
  return JSON.stringify([m.path.type, m.path.value, m.method ?? '']) + values(m.headers, (n) => n.toLowerCase()) + '|' + values(m.queryParams, (n) => n);
}
