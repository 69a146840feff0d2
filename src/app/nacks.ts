// Envoy's rejections in statuses. A NACK of a gateway's config makes the Gateway Programmed=False until an
// Envoy of that gateway accepts a newer version of the same type; a resource that containment found Envoy
// refuses (app/containment.ts) is reported on its own status, for the gateway that refused it. The ext-auth
// service NACKs a version it applied without some AuthConfigs, one line each (`AuthConfig <ns>/<name>: <why>`,
// see extauth/service.ts): those AuthConfigs show Accepted=False until it accepts a newer version. A listener
// Envoy cannot bind (its port taken) is named on its own entry of the Gateway's status too.
import { GATEWAY_GROUP, resourceKey, type Resource } from '../api/resource.ts';
import type { StatusRecord } from '../status/record.ts';
import type { AckEvent, DisconnectEvent, NackEvent } from '../xds/server/ads.ts';
import { SERVICE_NODE_KEYS } from '../contracts/service-config.ts';
import type { Rejection } from './containment.ts';

/** Envoy's messages are quoted in statuses: a long one (or a client's garbage) is cut to this there. */
export const MAX_NACK_MESSAGE = 1000;

export interface NackTrackerOptions {
  /** The version of `typeUrl` the node key (a gateway or a service) is served now; undefined for an unknown one. */
  servedVersion(nodeKey: string, typeUrl: string): string | undefined;
  /** The names of the Gateway's listeners on `port` (see listenersOnPort); absent: listener entries are left as they are. */
  listenersOnPort?(gateway: string, port: number): string[];
}

export class NackTracker {
  readonly #byGateway = new Map<string, Map<string, NackEvent>>();
  readonly #servedVersion: NackTrackerOptions['servedVersion'];
  readonly #listenersOnPort: NonNullable<NackTrackerOptions['listenersOnPort']>;

  constructor(opts: NackTrackerOptions) {
    this.#servedVersion = opts.servedVersion;
    this.#listenersOnPort = opts.listenersOnPort ?? (() => []);
  }

  /**
   * Records a NACK of the version the gateway is served now; any other (a version never served, a gateway
   * that does not exist: what a client inventing NACKs would send) is not recorded. Returns true when what
   * the statuses should say changed.
   */
  nack(e: NackEvent): boolean {
    if (this.#servedVersion(e.nodeKey, e.typeUrl) !== e.version) return false;
    const byType = this.#byGateway.get(e.nodeKey) ?? new Map<string, NackEvent>();
    this.#byGateway.set(e.nodeKey, byType);
    const prev = byType.get(e.typeUrl);
    byType.set(e.typeUrl, e);
    return prev?.message !== e.message || prev.version !== e.version;
  }

  ack(e: AckEvent): boolean {
    const byType = this.#byGateway.get(e.nodeKey);
    const nack = byType?.get(e.typeUrl);
    if (!byType || !nack || nack.version === e.version) return false;
    byType.delete(e.typeUrl);
    if (byType.size === 0) this.#byGateway.delete(e.nodeKey);
    return true;
  }

  /** The proxy is gone: its rejections no longer describe a live Envoy. */
  disconnected(e: DisconnectEvent): boolean {
    const byType = this.#byGateway.get(e.nodeKey);
    if (!byType) return false;
    let changed = false;
    for (const [typeUrl, nack] of byType) {
      if (nack.nodeId !== e.nodeId) continue;
      byType.delete(typeUrl);
      changed = true;
    }
    if (byType.size === 0) this.#byGateway.delete(e.nodeKey);
    return changed;
  }

  /** Forgets the node keys no longer served (gateways gone; Portico's services are always kept). */
  retain(gateways: ReadonlySet<string>): void {
    const services = new Set<string>(Object.values(SERVICE_NODE_KEYS));
    for (const key of this.#byGateway.keys()) if (!gateways.has(key) && !services.has(key)) this.#byGateway.delete(key);
  }

  apply(records: StatusRecord[]): StatusRecord[] {
    const authFailures = failedItems(this.#byGateway.get(SERVICE_NODE_KEYS.extauth)?.values());
    return records.map((r) => {
      const gateway = gatewayKeyOf(r.key);
      const nacks = gateway ? [...(this.#byGateway.get(gateway)?.values() ?? [])] : [];
      if (gateway && nacks.length) return withUnboundListeners(withNotProgrammed(r, nacks), nacks, (port) => this.#listenersOnPort(gateway, port));
      const why = authFailures.get(r.id);
      return why ? withCondition(r, 'Accepted', 'Invalid', `the ext-auth service cannot use it: ${capped(why)}; the routes that use it are denied until it is fixed`) : r;
    });
  }
}

/** A service's per-item NACK lines, by the resource they name (`<Kind> <ns>/<name>`, as StatusRecord.id). */
function failedItems(nacks: Iterable<NackEvent> | undefined): Map<string, string> {
  const lines = [...(nacks ?? [])].flatMap((n) => n.message.split('\n'));
  return new Map(lines.flatMap((line) => {
    const at = line.indexOf(': ');
    return at > 0 ? [[line.slice(0, at), line.slice(at + 2)] as const] : [];
  }));
}

/** What containment withholds from one gateway: each refused resource and whether an older version serves. */
export interface Withheld {
  gateway: string;
  rejection: Rejection;
  /** An accepted earlier version of the resource keeps serving (otherwise the resource is left out). */
  previousServes: boolean;
}

/**
 * Puts `Accepted=False, reason RejectedByEnvoy` with Envoy's message on each withheld resource: on a route's
 * entry for the refusing gateway, or on the resource's own conditions for the other kinds.
 */
export function withRejectedResources(records: StatusRecord[], withheld: ReadonlyMap<string, Withheld[]>): StatusRecord[] {
  if (withheld.size === 0) return records;
  return records.map((r) => {
    const entries = withheld.get(r.key);
    return entries ? entries.reduce(withRejected, r) : r;
  });
}

function withRejected(r: StatusRecord, w: Withheld): StatusRecord {
  const { nodeId, typeUrl, version, message } = w.rejection;
  const condition = {
    type: 'Accepted',
    status: 'False',
    reason: 'RejectedByEnvoy',
    message:
      `Envoy ${nodeId} of Gateway ${w.gateway} rejected ${typeUrl.split('.').pop()} version ${version} with this resource: ${capped(message)}; ` +
      `${w.previousServes ? 'its last accepted version keeps serving' : 'it is not served'} and the rest of the gateway is unaffected`,
    ...(r.generation !== undefined ? { observedGeneration: r.generation } : {}),
  };
  const [namespace, name] = w.gateway.split('/');
  const resourceNamespace = r.key.split('/')[2];
  const parents = r.status.parents as { parentRef?: { name?: string; namespace?: string }; conditions?: { type: string }[] }[] | undefined;
  const ofGateway = (p: { parentRef?: { name?: string; namespace?: string } }) => p.parentRef?.name === name && (p.parentRef.namespace ?? resourceNamespace) === namespace;
  if (parents?.some(ofGateway)) {
    const updated = parents.map((p) => (ofGateway(p) ? { ...p, conditions: replaced(p.conditions, condition) } : p));
    return { ...r, status: { ...r.status, parents: updated } };
  }
  return { ...r, status: { ...r.status, conditions: replaced(r.status.conditions as { type: string }[] | undefined, condition) } };
}

function replaced(conditions: { type: string }[] | undefined, condition: { type: string }): { type: string }[] {
  return [condition, ...(conditions ?? []).filter((c) => c.type !== condition.type)];
}

function capped(message: string): string {
  return message.length > MAX_NACK_MESSAGE ? `${message.slice(0, MAX_NACK_MESSAGE)}… (${message.length} characters)` : message;
}

function gatewayKeyOf(statusKey: string): string | undefined {
  const [group, kind, namespace, name] = statusKey.split('/');
  return group === GATEWAY_GROUP && kind === 'Gateway' ? `${namespace}/${name}` : undefined;
}

function withNotProgrammed(r: StatusRecord, nacks: NackEvent[]): StatusRecord {
  const message = nacks
    .map((n) => `Envoy ${n.nodeId} rejected ${n.typeUrl.split('.').pop()} version ${n.version}: ${capped(n.message.trimEnd())}`)
    .join('; ');
  return withCondition(r, 'Programmed', 'Invalid', `${message} (Envoy keeps serving its last accepted config)`);
}

/** Envoy's words for a listener whose port it cannot bind (one line per refused listener of an LDS NACK). */
const CANNOT_BIND = /cannot bind '[^']*:(\d+)': ([^\n]*)/g;

/**
 * A listener Envoy cannot bind (its port taken by another process) gets `Accepted=False, reason PortUnavailable`
 * and `Programmed=False` on its own entry, as the Gateway API asks, with the port and Envoy's reason.
 */
function withUnboundListeners(r: StatusRecord, nacks: NackEvent[], listenersOn: (port: number) => string[]): StatusRecord {
  const unbound = new Map<string, string>();
  for (const n of nacks) {
    for (const [, port, why] of n.message.matchAll(CANNOT_BIND)) {
      const message = `Envoy ${n.nodeId} cannot listen on port ${port}: ${capped(why ?? '')}; another process may hold it. Portico sends the listener again until Envoy accepts it`;
      for (const name of listenersOn(Number(port))) unbound.set(name, message);
    }
  }
  const listeners = r.status.listeners as { name?: string; conditions?: { type: string }[] }[] | undefined;
  if (!unbound.size || !listeners) return r;
  const generation = r.generation !== undefined ? { observedGeneration: r.generation } : {};
  const updated = listeners.map((l) => {
    const message = l.name === undefined ? undefined : unbound.get(l.name);
    if (!message) return l;
    const accepted = { type: 'Accepted', status: 'False', reason: 'PortUnavailable', message, ...generation };
    const programmed = { type: 'Programmed', status: 'False', reason: 'Invalid', message, ...generation };
    return { ...l, conditions: replaced(replaced(l.conditions, programmed), accepted) };
  });
  return { ...r, status: { ...r.status, listeners: updated } };
}

/** The names of the listeners of Gateway `gateway` (`<ns>/<name>`) on `port`, from the resources served. */
export function listenersOnPort(resources: readonly Resource[], gateway: string, port: number): string[] {
  const key = `${GATEWAY_GROUP}/Gateway/${gateway}`;
  const spec = resources.find((r) => resourceKey(r) === key)?.spec as { listeners?: { name?: string; port?: number }[] } | undefined;
  return (spec?.listeners ?? []).filter((l) => l.port === port && l.name !== undefined).map((l) => l.name as string);
}

function withCondition(r: StatusRecord, type: string, reason: string, message: string): StatusRecord {
  const conditions = ((r.status.conditions as { type: string }[] | undefined) ?? []).filter((c) => c.type !== type);
  const condition = { type, status: 'False', reason, message, ...(r.generation !== undefined ? { observedGeneration: r.generation } : {}) };
  return { ...r, status: { ...r.status, conditions: [...conditions, condition] } };
}
