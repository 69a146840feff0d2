// Envoy's rejections (NACKs) per gateway, surfaced in the Gateway's status as Programmed=False until an
// Envoy of that gateway accepts a newer version of the same type. The ext-auth service NACKs a version it
// applied without some AuthConfigs, one line each (`AuthConfig <ns>/<name>: <why>`, see extauth/service.ts):
// those AuthConfigs show Accepted=False until it accepts a newer version.
import { GATEWAY_GROUP } from '../api/resource.ts';
import type { StatusRecord } from '../status/record.ts';
import type { AckEvent, NackEvent } from '../xds/server/ads.ts';
import { SERVICE_NODE_KEYS } from '../xds/service-config.ts';

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
    const authFailures = failedItems(this.#byGateway.get(SERVICE_NODE_KEYS.extauth)?.values());
    return records.map((r) => {
      const gateway = gatewayKeyOf(r.key);
      const nacks = gateway ? [...(this.#byGateway.get(gateway)?.values() ?? [])] : [];
      if (nacks.length) return withNotProgrammed(r, nacks);
      const why = authFailures.get(r.id);
      return why ? withCondition(r, 'Accepted', 'Invalid', `the ext-auth service cannot use it: ${why}; the routes that use it are denied until it is fixed`) : r;
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

function gatewayKeyOf(statusKey: string): string | undefined {
  const [group, kind, namespace, name] = statusKey.split('/');
  return group === GATEWAY_GROUP && kind === 'Gateway' ? `${namespace}/${name}` : undefined;
}

function withNotProgrammed(r: StatusRecord, nacks: NackEvent[]): StatusRecord {
  const message = nacks
    .map((n) => `Envoy ${n.nodeId} rejected ${n.typeUrl.split('.').pop()} version ${n.version}: ${n.message}`)
    .join('; ');
  return withCondition(r, 'Programmed', 'Invalid', `${message} (Envoy keeps serving its last accepted config)`);
}

function withCondition(r: StatusRecord, type: string, reason: string, message: string): StatusRecord {
  const conditions = ((r.status.conditions as { type: string }[] | undefined) ?? []).filter((c) => c.type !== type);
  const condition = { type, status: 'False', reason, message, ...(r.generation !== undefined ? { observedGeneration: r.generation } : {}) };
  return { ...r, status: { ...r.status, conditions: [...conditions, condition] } };
}
