// Envoy's rejections (NACKs) per gateway, surfaced in the Gateway's status as Programmed=False until an
// Envoy of that gateway accepts a newer version of the same type.
import { GATEWAY_GROUP } from '../api/resource.ts';
import type { StatusRecord } from '../status/record.ts';
import type { AckEvent, NackEvent } from '../xds/server/ads.ts';

export class NackTracker {
  readonly #byGateway = new Map<string, Map<string, NackEvent>>();

  /** Returns true when what the statuses should say changed. */
  nack(e: NackEvent): boolean {
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
    return true;
  }

  apply(records: StatusRecord[]): StatusRecord[] {
    return records.map((r) => {
      const gateway = gatewayKeyOf(r.key);
      const nacks = gateway ? [...(this.#byGateway.get(gateway)?.values() ?? [])] : [];
      return nacks.length ? withNotProgrammed(r, nacks) : r;
    });
  }
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
