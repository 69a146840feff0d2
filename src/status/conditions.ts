// Gateway-API-style conditions get a lastTransitionTime that only moves when the condition's status does.
// The translators stay pure (no clocks); this is where time enters.

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

/** Remembers when each condition last changed, by `<resource key>#<path>#<type>`. */
export class TransitionClock {
  readonly #seen = new Map<string, { status: string; at: string }>();

  stamp<T>(resourceKey: string, status: T, now: string): T {
    return this.#walk(`${resourceKey}#`, status, now) as T;
  }

  #walk(path: string, value: unknown, now: string): unknown {
    if (Array.isArray(value)) return value.map((v, i) => this.#walk(`${path}[${i}]`, v, now));
    if (!value || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === 'conditions' && Array.isArray(v) ? v.map((c: Condition) => this.#stampOne(`${path}.${k}`, c, now)) : this.#walk(`${path}.${k}`, v, now);
    }
    return out;
  }

  #stampOne(path: string, c: Condition, now: string): Condition {
    const id = `${path}#${c.type}`;
    const prev = this.#seen.get(id);
    const at = prev && prev.status === c.status ? prev.at : now;
    this.#seen.set(id, { status: c.status, at });
    return { ...c, lastTransitionTime: at };
  }
}
