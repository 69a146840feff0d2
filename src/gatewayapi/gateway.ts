// GatewayClasses and Gateways: which are ours, which listeners can be programmed, and their status.
import type { GatewayListener, GatewaySpec } from '../api/gateway-types.ts';
import { GATEWAY_GROUP, type Resource } from '../api/resource.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import { condition, statusEntry, type Because, type StatusEntry } from './status.ts';

export interface RouteKind {
  group: string;
  kind: string;
}

/** The route kinds an HTTP listener takes, in the order its status lists them. */
const HTTP_ROUTE_KINDS: readonly RouteKind[] = [
  { group: GATEWAY_GROUP, kind: 'HTTPRoute' },
  { group: GATEWAY_GROUP, kind: 'GRPCRoute' },
];

export interface GatewayContext {
  resource: Resource<GatewaySpec>;
  /** `<namespace>/<name>`: the IR key and the Envoy node.cluster. */
  key: string;
  listeners: ListenerContext[];
}

export interface ListenerContext {
  gateway: GatewayContext;
  spec: GatewayListener;
  /** `spec.listeners[i]`, for problems. */
  field: string;
  supportedKinds: RouteKind[];
  /** Set when the listener cannot be accepted (e.g. an unsupported protocol). */
  refused?: Because;
  /** Set when it shares port and hostname with another listener. */
  conflicted?: Because;
  /** Set when some allowedRoutes.kinds are not supported. */
  unresolved?: Because;
  /** Keys of the routes attached to it. */
  attached: Set<string>;
}

/** Routes attached to a ready listener are programmed. */
export function isReady(l: ListenerContext): boolean {
  return !l.refused && !l.conflicted && l.supportedKinds.length > 0;
}

/** A Gateway with at least one ready listener gets config (an IR entry). */
export function isProgrammed(gw: GatewayContext): boolean {
  return gw.listeners.some(isReady);
}

/** GatewayClasses naming our controller are Accepted; the others belong to someone else and are left alone. */
export function acceptClasses(index: ResourceIndex, controllerName: string): { names: Set<string>; statuses: StatusEntry[] } {
  const ours = index.classes.filter((c) => c.spec.controllerName === controllerName);
  const accepted = { reason: 'Accepted', message: `handled by ${controllerName}` };
  return {
    names: new Set(ours.map((c) => c.metadata.name)),
    statuses: ours.map((c) => statusEntry(c, { conditions: [condition(c, 'Accepted', true, accepted)] })),
  };
}

/** The Gateways of our classes, with each listener checked. A class that exists nowhere is worth a problem. */
export function gatewayContexts(index: ResourceIndex, ourClasses: Set<string>, problems: FieldProblem[]): GatewayContext[] {
  const known = new Set(index.classes.map((c) => c.metadata.name));
  const out: GatewayContext[] = [];
  for (const gw of index.gateways) {
    const className = gw.spec.gatewayClassName;
    if (!known.has(className)) problems.push(problemAt(gw, 'spec.gatewayClassName', `no GatewayClass named ${className}; this Gateway is not served`));
    if (!ourClasses.has(className)) continue;
    const ctx: GatewayContext = { resource: gw, key: `${gw.metadata.namespace}/${gw.metadata.name}`, listeners: [] };
    ctx.listeners = gw.spec.listeners.map((spec, i) => checkListener(ctx, spec, `spec.listeners[${i}]`, problems));
    markConflicts(ctx.listeners, problems);
    out.push(ctx);
  }
  return out;
}

function checkListener(gateway: GatewayContext, spec: GatewayListener, field: string, problems: FieldProblem[]): ListenerContext {
  const l: ListenerContext = { gateway, spec, field, supportedKinds: [], attached: new Set() };
  const gw = gateway.resource;
  if (spec.protocol !== 'HTTP') {
    l.refused = { reason: 'UnsupportedProtocol', message: `protocol ${spec.protocol} is not supported yet; Portico serves HTTP listeners` };
    problems.push(problemAt(gw, `${field}.protocol`, l.refused.message));
    return l;
  }
  const kinds = spec.allowedRoutes?.kinds;
  if (!kinds?.length) {
    // Unset or empty: the kinds follow from the protocol.
    l.supportedKinds = [...HTTP_ROUTE_KINDS];
    return l;
  }
  const unsupported: string[] = [];
  kinds.forEach((k, i) => {
    const kind = { group: k.group ?? GATEWAY_GROUP, kind: k.kind };
    const known = HTTP_ROUTE_KINDS.find((s) => s.group === kind.group && s.kind === kind.kind);
    if (known) {
      if (!l.supportedKinds.includes(known)) l.supportedKinds.push(known);
    } else {
      unsupported.push(`${kind.kind} (group ${kind.group || 'core'})`);
      problems.push(problemAt(gw, `${field}.allowedRoutes.kinds[${i}]`, `route kind ${kind.kind} (group ${kind.group || 'core'}) is not supported; HTTP listeners take HTTPRoute and GRPCRoute`));
    }
  });
  if (unsupported.length) l.unresolved = { reason: 'InvalidRouteKinds', message: `unsupported route kinds: ${unsupported.join(', ')}` };
  return l;
}

/** HTTP listeners sharing a port and a hostname cannot be told apart: all of them are Conflicted. */
function markConflicts(listeners: ListenerContext[], problems: FieldProblem[]): void {
  const groups = new Map<string, ListenerContext[]>();
  for (const l of listeners.filter((x) => !x.refused)) {
    const key = `${l.spec.port}/${l.spec.hostname ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), l]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const names = group.map((l) => l.spec.name).join(', ');
    const host = group[0]?.spec.hostname;
    const message = `listeners ${names} all use port ${group[0]?.spec.port} with ${host ? `hostname ${host}` : 'no hostname'}; each listener on a port needs its own hostname`;
    for (const l of group) {
      l.conflicted = { reason: 'HostnameConflict', message };
      problems.push(problemAt(l.gateway.resource, `${l.field}.${host ? 'hostname' : 'port'}`, message));
    }
  }
}

export function gatewayStatus(gw: GatewayContext): StatusEntry {
  const r = gw.resource;
  const invalid = gw.listeners.filter((l) => !isReady(l)).map((l) => l.spec.name);
  const programmed = isProgrammed(gw);
  const accepted: Because = invalid.length
    ? { reason: 'ListenersNotValid', message: `${invalid.length} of ${gw.listeners.length} listeners are not valid: ${invalid.join(', ')}` }
    : { reason: 'Accepted', message: 'all listeners are valid' };
  const served: Because = programmed
    ? { reason: 'Programmed', message: `Envoy config is served to nodes of cluster ${gw.key}` }
    : { reason: 'Invalid', message: 'no listener is valid, so there is nothing to serve' };
  return statusEntry(r, {
    conditions: [condition(r, 'Accepted', programmed, accepted), condition(r, 'Programmed', programmed, served)],
    listeners: gw.listeners.map((l) => listenerStatus(r, l)),
  });
}

function listenerStatus(r: Resource, l: ListenerContext): Record<string, unknown> {
  /** A positive condition: True with `fine` unless there is a problem. */
  const cond = (type: string, problem: Because | undefined, fine: Because) => condition(r, type, !problem, problem ?? fine);
  return {
    name: l.spec.name,
    supportedKinds: l.supportedKinds,
    attachedRoutes: l.attached.size,
    conditions: [
      cond('Accepted', notAccepted(l), { reason: 'Accepted', message: 'listener is accepted' }),
      condition(r, 'Conflicted', l.conflicted !== undefined, l.conflicted ?? { reason: 'NoConflicts', message: 'no conflicts' }),
      cond('Programmed', isReady(l) ? undefined : { reason: 'Invalid', message: 'the listener is not valid; see its other conditions' }, {
        reason: 'Programmed',
        message: 'listener is programmed',
      }),
      cond('ResolvedRefs', l.unresolved, { reason: 'ResolvedRefs', message: 'all references are resolved' }),
    ],
  };
}

function notAccepted(l: ListenerContext): Because | undefined {
  // Conflicted listeners produce no config, so they are not Accepted either (as in GEP-1713).
  return l.refused ?? (l.conflicted && { reason: 'PortUnavailable', message: l.conflicted.message });
}
