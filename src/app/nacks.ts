// Envoy's rejections in statuses. A NACK of a gateway's config makes the Gateway Programmed=False until an
// Envoy of that gateway accepts a newer version of the same type; a resource that containment found Envoy
// refuses (app/containment.ts) is reported on its own status, for the gateway that refused it.
import { GATEWAY_GROUP } from '../api/resource.ts';
import type { StatusRecord } from '../status/record.ts';
import type { AckEvent, DisconnectEvent, NackEvent } from '../xds/server/ads.ts';
import type { Rejection } from './containment.ts';

/** Envoy's messages are quoted in statuses: a long one (or a client's garbage) is cut to this. */
export const MAX_NACK_MESSAGE = 1000;

export interface NackTrackerOptions {
  /** The version of `typeUrl` the gateway `nodeKey` is served now; undefined for an unknown gateway. */
  servedVersion(nodeKey: string, typeUrl: string): string | undefined;
}

export class NackTracker {
  readonly #byGateway = new Map<string, Map<string, NackEvent>>();
  readonly #servedVersion: NackTrackerOptions['servedVersion'];

  constructor(opts: NackTrackerOptions) {
    this.#servedVersion = opts.servedVersion;
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
    const message = capped(e.message);
    byType.set(e.typeUrl, { ...e, message });
    return prev?.message !== message || prev.version !== e.version;
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

  /** Forgets the gateways no longer served. */
  retain(gateways: ReadonlySet<string>): void {
    for (const key of this.#byGateway.keys()) if (!gateways.has(key)) this.#byGateway.delete(key);
  }

  apply(records: StatusRecord[]): StatusRecord[] {
    return records.map((r) => {
      const gateway = gatewayKeyOf(r.key);
      const nacks = gateway ? [...(this.#byGateway.get(gateway)?.values() ?? [])] : [];
      return nacks.length ? withNotProgrammed(r, nacks) : r;
    });
  }
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
    .map((n) => `Envoy ${n.nodeId} rejected ${n.typeUrl.split('.').pop()} version ${n.version}: ${n.message}`)
    .join('; ');
  const conditions = ((r.status.conditions as { type: string }[] | undefined) ?? []).filter((c) => c.type !== 'Programmed');
  const programmed = {
    type: 'Programmed',
    status: 'False',
    reason: 'Invalid',
    message: `${message} (Envoy keeps serving its last accepted config)`,
    ...(r.generation !== undefined ? { observedGeneration: r.generation } : {}),
  };
  return { ...r, status: { ...r.status, conditions: [...conditions, programmed] } };
}
