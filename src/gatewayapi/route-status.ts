// HTTPRoute status: one entry per parent of ours, with Accepted, ResolvedRefs and (when some rules could not
// be honoured) PartiallyInvalid. Rules dropped for identical matches follow Contour's reasons (the one
// implementation that drops them); the PartiallyInvalid message starts with "Dropped Rule" as the spec asks.
import type { ParentState } from './attach.ts';
import type { CompiledRoute } from './httproute.ts';
import { resourceId } from '../api/resource.ts';
import { whyFirst, type Drop } from './precedence.ts';
import { condition, statusEntry, type Because, type Condition, type StatusEntry } from './status.ts';

export function routeStatus(route: CompiledRoute, parents: ParentState[], controllerName: string): StatusEntry {
  return statusEntry(route.resource, {
    parents: parents.map((p) => ({ parentRef: p.ref, controllerName, conditions: parentConditions(route, p) })),
  });
}

function parentConditions(route: CompiledRoute, parent: ParentState): Condition[] {
  const r = route.resource;
  const refusal = refused(route, parent);
  const gateway = `${parent.ref.namespace ?? r.metadata.namespace}/${parent.ref.name}`;
  const accepted = refusal ?? { reason: 'Accepted', message: `attached to Gateway ${gateway}` };
  const conditions = [condition(r, 'Accepted', !refusal, accepted), resolvedRefs(route)];
  const partly = refusal ? undefined : partlyInvalid(route, parent);
  if (partly) conditions.push(condition(r, 'PartiallyInvalid', true, partly));
  return conditions;
}

/** Why the parent does not accept the route: it refused it, or none of its rules can be honoured. */
function refused(route: CompiledRoute, parent: ParentState): Because | undefined {
  if (parent.refused) return parent.refused;
  if (route.unsupported.length === route.rules.length) {
    return { reason: 'UnsupportedValue', message: route.unsupported.map((u) => u.message).join('; ') };
  }
  if (parent.placed > 0 && parent.dropped.length === parent.placed) {
    return { reason: 'RuleMatchConflict', message: `every match is shadowed by an identical one: ${dropMessages(parent.dropped).join('; ')}` };
  }
  return undefined;
}

function resolvedRefs(route: CompiledRoute): Condition {
  const [first] = route.unresolved;
  if (!first) return condition(route.resource, 'ResolvedRefs', true, { reason: 'ResolvedRefs', message: 'all references are resolved' });
  const message = route.unresolved.map((u) => `${u.field}: ${u.message}`).join('; ');
  return condition(route.resource, 'ResolvedRefs', false, { reason: first.reason, message });
}

function partlyInvalid(route: CompiledRoute, parent: ParentState): Because | undefined {
  const dropped = [...route.unsupported.map((u) => u.message), ...dropMessages(parent.dropped)];
  if (!dropped.length) return undefined;
  const reason = route.unsupported.length ? 'UnsupportedValue' : 'RuleMatchPartiallyConflict';
  return { reason, message: `Dropped Rule(s): ${dropped.join('; ')}` };
}

/** One message per dropped match: `rule 1 match 0 dropped on a.example.com: identical to …`. */
function dropMessages(drops: Drop[]): string[] {
  return groupDrops(drops).map((same) => {
    const { match } = (same[0] as Drop).loser;
    return `rule ${match.rule} match ${match.index} ${shadowing(same)}`;
  });
}

/** Drops grouped by the match that lost, so each match is reported once with every host where it lost. */
export function groupDrops(drops: Drop[]): Drop[][] {
  const byMatch = new Map<string, Drop[]>();
  for (const d of drops) byMatch.set(d.loser.ir.name, [...(byMatch.get(d.loser.ir.name) ?? []), d]);
  return [...byMatch.values()];
}

/** `dropped on shop.example.com: identical to rule 0 match 0 of HTTPRoute default/a, which takes precedence (an older route)` */
export function shadowing(same: Drop[]): string {
  const { loser, winner } = same[0] as Drop;
  const hosts = [...new Set(same.map((d) => d.host))].join(', ');
  const owner = winner.route === loser.route ? 'this route' : resourceId(winner.route.resource);
  return `dropped on ${hosts}: identical to rule ${winner.match.rule} match ${winner.match.index} of ${owner}, which takes precedence (${whyFirst(winner, loser)})`;
}
