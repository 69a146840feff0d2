// Gloo's option kinds (RouteOption, VirtualHostOption) attach to targets and may overlap: this module decides,
// setting by setting, which one applies where, and keeps a ledger per option so that its status can say where
// it applies, what overrode it, and which of its targets or references are missing.
import { resourceId, resourceKey, type Resource } from '../api/resource.ts';
import { creationOrder } from './precedence.ts';
import { REF_NOT_PERMITTED } from './reference-grants.ts';
import { condition, statusEntry, type Because, type Condition, type StatusEntry } from './status.ts';

/** A group of option fields that act as one setting: the first option in precedence that sets any of them wins. */
export interface Setting {
  /** For messages, e.g. `timeout`, `headerManipulation (request)`. */
  name: string;
  /** Paths below `spec.options`, e.g. `headerManipulation.requestHeadersToAdd`. */
  fields: readonly string[];
}

export type OptionsPolicy<O> = Resource<{ options?: O }>;

/** What one option resource did in this translation. */
interface LedgerEntry {
  policy: Resource;
  attachedTo: Set<string>;
  overridden: Set<string>;
  /** Problems found while applying it (a missing target, a shadow upstream that does not exist or is refused). */
  issues: { field: string; message: string; reason: string }[];
}

export class PolicyLedger {
  readonly #entries = new Map<string, LedgerEntry>();
  readonly #what: string;

  /** `what` names the targets in messages: `route`, `Gateway listener`. */
  constructor(policies: readonly Resource[], what: string) {
    this.#what = what;
    for (const policy of policies) this.#entry(policy);
  }

  /** `reason` is ResolvedRefs' when the issue is about a reference (default BackendNotFound). */
  issue(policy: Resource, field: string, message: string, reason = NOT_FOUND): void {
    this.#entry(policy).issues.push({ field, message, reason });
  }

  /**
   * The winner of each setting among `attached` (highest precedence first) at `where`. A setting the target
   * sets itself (`ownClaim` says how) goes to nobody: every option setting it is recorded as overridden.
   */
  settle<P extends OptionsPolicy<unknown>, S extends Setting>(
    attached: readonly P[],
    where: string,
    settings: readonly S[],
    ownClaim: (s: S) => string | undefined,
  ): Map<string, P> {
    const winners = new Map<string, P>();
    for (const p of attached) this.#entry(p).attachedTo.add(where);
    for (const setting of settings) {
      const holders = attached.filter((p) => setting.fields.some((f) => isSet(p.spec.options, f)));
      const [first, ...rest] = holders;
      if (!first) continue;
      const claim = ownClaim(setting);
      if (claim) for (const h of holders) this.#entry(h).overridden.add(`${setting.name} on ${where}: overridden by ${claim}`);
      else {
        winners.set(setting.name, first);
        for (const h of rest) this.#entry(h).overridden.add(`${setting.name} on ${where}: overridden by ${resourceId(first)}`);
      }
    }
    return winners;
  }

  /**
   * Accepted (False when it applies nowhere: TargetNotFound, or RefNotPermitted when a target is in another
   * namespace), ResolvedRefs, Overridden.
   */
  statuses(): StatusEntry[] {
    return [...this.#entries.values()].map((e) => statusEntry(e.policy, { conditions: this.#conditions(e) }));
  }

  #conditions(e: LedgerEntry): Condition[] {
    const r = e.policy;
    const missing = e.issues.filter((i) => i.field.startsWith('spec.targetRefs'));
    const refs = e.issues.filter((i) => !i.field.startsWith('spec.targetRefs'));
    const accepted: Because = e.attachedTo.size
      ? { reason: 'Accepted', message: `applies to ${sorted(e.attachedTo).join(', ')}${missing.length ? `; ${describe(missing)}` : ''}` }
      : missing.length
        ? { reason: missing.find((i) => i.reason === REF_NOT_PERMITTED)?.reason ?? 'TargetNotFound', message: describe(missing) }
        : { reason: 'Accepted', message: `not attached to any ${this.#what} yet` };
    const out = [condition(r, 'Accepted', accepted.reason === 'Accepted', accepted)];
    // RefNotPermitted (the Gateway API's reason) when any reference is refused.
    const reason = refs.find((i) => i.reason !== NOT_FOUND)?.reason ?? NOT_FOUND;
    if (refs.length) out.push(condition(r, 'ResolvedRefs', false, { reason, message: describe(refs) }));
    if (e.overridden.size) out.push(condition(r, 'Overridden', true, { reason: 'Overridden', message: sorted(e.overridden).join('; ') }));
    return out;
  }

  #entry(policy: Resource): LedgerEntry {
    const key = resourceKey(policy);
    let entry = this.#entries.get(key);
    if (!entry) this.#entries.set(key, (entry = { policy, attachedTo: new Set(), overridden: new Set(), issues: [] }));
    return entry;
  }
}

const NOT_FOUND = 'BackendNotFound';

/** Messages in a fixed order, whatever order the resources came in. */
function sorted(messages: Set<string>): string[] {
  return [...messages].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

function describe(issues: { field: string; message: string }[]): string {
  return issues.map((i) => `${i.field}: ${i.message}`).join('; ');
}

function isSet(options: unknown, path: string): boolean {
  let v: unknown = options;
  for (const key of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  return v !== undefined && v !== null;
}

/** Oldest first (creationOrder: none counts as oldest), then namespace/name: the order among equals. */
export function byAge(a: Resource, b: Resource): number {
  const name = (r: Resource) => `${r.metadata.namespace}/${r.metadata.name}`;
  return creationOrder(a) - creationOrder(b) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}
