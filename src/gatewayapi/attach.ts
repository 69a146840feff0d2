// Attaching an HTTPRoute or GRPCRoute to its parents: which listeners each parentRef selects and allows, which hostnames
// it serves on each, and the IR routes it places in each (listener, hostname) virtual host.
import type { ParentReference } from '../api/gateway-types.ts';
import { GATEWAY_GROUP } from '../api/resource.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { isReady, type GatewayContext, type ListenerContext } from './gateway.ts';
import { claimStrength, intersectHostnames } from './hostnames.ts';
import type { CompiledRoute } from './httproute.ts';
import type { Drop, Placement } from './precedence.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import { selects } from './selector.ts';
import type { Because } from './status.ts';

/** A route's standing with one of its parentRefs (only those naming a Gateway of ours). */
export interface ParentState {
  index: number;
  /** The parentRef as written, with the group and kind the API server would default. */
  ref: ParentReference;
  /** Why the parent does not accept the route, if it does not. */
  refused?: Because;
  /** How many IR routes it placed, and which of them lost to identical, higher-ranked matches. */
  placed: number;
  dropped: Drop[];
}

/** An IR route bound for one virtual host of a gateway. */
export interface HostPlacement {
  gateway: GatewayContext;
  listener: ListenerContext;
  host: string;
  placement: Placement;
}

export function attachRoute(
  route: CompiledRoute,
  gateways: Map<string, GatewayContext>,
  index: ResourceIndex,
  problems: FieldProblem[],
): { parents: ParentState[]; placements: HostPlacement[] } {
  const parents: ParentState[] = [];
  const placements: HostPlacement[] = [];
  const r = route.resource;
  (r.spec.parentRefs ?? []).forEach((raw, i) => {
    const ref = { group: GATEWAY_GROUP, kind: 'Gateway', ...raw };
    if (ref.group !== GATEWAY_GROUP || ref.kind !== 'Gateway') return; // not a parent kind Portico serves
    const key = `${ref.namespace ?? r.metadata.namespace}/${ref.name}`;
    const gateway = gateways.get(key);
    if (!gateway) {
      // A Gateway of another class is someone else's; one that exists nowhere is most likely a typo.
      if (!index.gateways.some((g) => `${g.metadata.namespace}/${g.metadata.name}` === key)) {
        problems.push(problemAt(r, `spec.parentRefs[${i}]`, `no Gateway ${key}; the route is not attached to it`));
      }
      return;
    }
    const attached = attachToGateway(route, { ...ref, index: i }, gateway, index);
    placements.push(...attached.placements);
    parents.push({ index: i, ref, placed: attached.placements.length, dropped: [], ...(attached.refused && { refused: attached.refused }) });
    if (attached.refused) problems.push(problemAt(r, `spec.parentRefs[${i}]`, attached.refused.message));
  });
  return { parents, placements };
}

/** The route's placements on the gateway's listeners, or why the gateway refuses it. */
function attachToGateway(
  route: CompiledRoute,
  ref: ParentReference & { index: number },
  gateway: GatewayContext,
  index: ResourceIndex,
): { refused?: Because; placements: HostPlacement[] } {
  const selected = gateway.listeners.filter(
    (l) => (ref.sectionName === undefined || l.spec.name === ref.sectionName) && (ref.port === undefined || l.spec.port === ref.port),
  );
  if (!selected.length) return refuse('NoMatchingParent', `Gateway ${gateway.key} has no listener ${describeSection(ref)}`);
  const allowed = selected.filter((l) => allows(l, route, index));
  if (!allowed.length) return refuse('NotAllowedByListeners', `no listener of Gateway ${gateway.key} ${describeSection(ref)} allows this route (allowedRoutes)`);
  const placements: HostPlacement[] = [];
  let intersecting = 0;
  for (const listener of allowed) {
    const hosts = isolate(listener, intersectHostnames(listener.spec.hostname, route.resource.spec.hostnames ?? []));
    if (!hosts.length) continue;
    intersecting++;
    listener.attached.add(route.key);
    if (!isReady(listener)) continue;
    for (const host of hosts) for (const placement of placementsOn(route, listener, ref.index)) placements.push({ gateway, listener, host, placement });
  }
  if (!intersecting) return refuse('NoMatchingListenerHostname', `no hostname of the route intersects those of the listeners of Gateway ${gateway.key}`);
  if (!placements.length) return refuse('NoReadyListeners', `the listeners of Gateway ${gateway.key} that take this route are not valid`);
  return { placements };
}

function refuse(reason: string, message: string): { refused: Because; placements: HostPlacement[] } {
  return { refused: { reason, message }, placements: [] };
}

function describeSection(ref: ParentReference): string {
  const parts = [ref.sectionName !== undefined && `named ${ref.sectionName}`, ref.port !== undefined && `on port ${ref.port}`].filter(Boolean);
  return parts.length ? parts.join(' ') : 'at all';
}

/** allowedRoutes: the route's kind, and its namespace (Same by default, All, or a Selector on its labels). */
function allows(l: ListenerContext, route: CompiledRoute, index: ResourceIndex): boolean {
  if (!l.supportedKinds.some((k) => k.group === GATEWAY_GROUP && k.kind === route.resource.kind)) return false;
  const ns = route.resource.metadata.namespace;
  const policy = l.spec.allowedRoutes?.namespaces;
  switch (policy?.from ?? 'Same') {
    case 'All':
      return true;
    case 'Same':
      return ns === l.gateway.resource.metadata.namespace;
    case 'Selector':
      return policy?.selector !== undefined && selects(policy.selector, index.namespaceLabels(ns));
  }
}

/**
 * Listener isolation: a hostname goes to the most specific ready listener on the port that claims it, so a
 * route on `*.example.com` does not serve `foo.example.com` when another listener is for `foo.example.com`.
 */
function isolate(listener: ListenerContext, hosts: string[]): string[] {
  const rivals = listener.gateway.listeners.filter((o) => o !== listener && isReady(o) && o.spec.port === listener.spec.port);
  return hosts.filter((h) => {
    const own = claimStrength(listener.spec.hostname, h) ?? 0;
    return rivals.every((o) => (claimStrength(o.spec.hostname, h) ?? -1) < own);
  });
}

function placementsOn(route: CompiledRoute, listener: ListenerContext, parent: number): Placement[] {
  return route.rules.flatMap((rule) =>
    rule.matches.map((match) => ({
      route,
      parent,
      match,
      ir: {
        name: match.name,
        match: match.match,
        ...rule.policies,
        action: rule.action(listener.spec.port),
      },
    })),
  );
}
