// The discovery channel, separate from the resource channel: the providers publish endpoint sets by watch
// key here, and the controller is told (once per burst) that endpoints changed, which re-sends EDS alone.
// Which watches run follows the IR: `want()` is called after each translation with what the routes use.
import type { ConsulConnection } from '../../consul/client.ts';
import type { DiscoveredEndpoint, EndpointSets, Watches } from '../../ir/endpoints.ts';
import type { Logger } from '../../lib/logger.ts';
import { stableStringify } from '../../lib/stable.ts';
import { ConsulCatalogProvider } from './consul-catalog.ts';
import { Ec2Provider, type SecretLookup } from './ec2.ts';

export const DISCOVERY_KINDS = ['consul', 'ec2'] as const;
export type DiscoveryKind = (typeof DISCOVERY_KINDS)[number];

export interface DiscoveryOptions {
  logger: Logger;
  /** Set: Consul catalog discovery is on. */
  consul?: { connection: ConsulConnection; waitMs?: number };
  /** Set: EC2 discovery is on. */
  ec2?: { endpoint?: string; intervalMs?: number };
  /** Endpoints changed (called once per burst of changes, after the current task). */
  onChange: () => void;
  /** The queries whose token may not read their source changed (what denied() returns). */
  onDeniedChange?: () => void;
}

export class Discovery {
  readonly #opts: DiscoveryOptions;
  readonly #sets = new Map<string, readonly DiscoveredEndpoint[]>();
  readonly #consul?: ConsulCatalogProvider;
  readonly #ec2?: Ec2Provider;
  #wanted = new Set<string>();
  #pending = false;
  #warned = new Set<DiscoveryKind>();

  constructor(opts: DiscoveryOptions) {
    this.#opts = opts;
    const publish = (key: string, endpoints: DiscoveredEndpoint[]) => this.#publish(key, endpoints);
    const onDeniedChange = () => opts.onDeniedChange?.();
    if (opts.consul) this.#consul = new ConsulCatalogProvider({ ...opts.consul, logger: opts.logger.child({ component: 'consul-catalog' }), publish, onDeniedChange });
    if (opts.ec2) this.#ec2 = new Ec2Provider({ ...opts.ec2, logger: opts.logger.child({ component: 'ec2' }), publish });
  }

  /** What the providers last published; read by the join step. */
  sets(): EndpointSets {
    return this.#sets;
  }

  /**
   * Runs exactly the watches the routes need; sets of dropped watches are forgotten. `secrets` are the
   * store's current Secrets, where EC2 queries with a secretRef read their credentials.
   */
  want(watches: Watches, secrets: SecretLookup): void {
    if (this.#consul) this.#consul.watch(watches.consul);
    else this.#warnOff('consul', watches.consul);
    if (this.#ec2) this.#ec2.watch(watches.ec2, secrets);
    else this.#warnOff('ec2', watches.ec2);
    this.#wanted = new Set([...watches.consul.keys(), ...watches.ec2.keys()]);
    for (const key of this.#sets.keys()) if (!this.#wanted.has(key)) this.#sets.delete(key);
  }

  /** Running watch keys, sorted. */
  watching(): string[] {
    return [...(this.#consul?.watching() ?? []), ...(this.#ec2?.watching() ?? [])].sort();
  }

  /** Why discovery is degraded, for the controller's health: one entry per failing provider (empty when every query answers). */
  problems(): string[] {
    return [this.#consul?.problem(), this.#ec2?.problem()].filter((p): p is string => p !== undefined);
  }

  /** Watch key → why the token may not read it: shown in the statuses of the resources using it (status.ts). */
  denied(): ReadonlyMap<string, string> {
    return this.#consul?.denied() ?? new Map();
  }

  async stop(): Promise<void> {
    this.#ec2?.stop();
    await this.#consul?.stop();
  }

  /** Routes use a source whose discovery is off: its clusters stay without endpoints (Envoy answers 503). */
  #warnOff(kind: DiscoveryKind, wanted: ReadonlyMap<string, unknown>): void {
    if (wanted.size && !this.#warned.has(kind)) {
      this.#warned.add(kind);
      this.#opts.logger.warn({ kind, sources: [...wanted.keys()] }, `routes use ${kind} discovery, which is off (--discovery): their backends have no endpoints`);
    }
  }

  #publish(key: string, endpoints: DiscoveredEndpoint[]): void {
    if (!this.#wanted.has(key)) return; // a late answer of a watch just stopped
    const sorted = [...endpoints].sort((a, b) => (`${a.address}:${a.port ?? 0}` < `${b.address}:${b.port ?? 0}` ? -1 : 1));
    const previous = this.#sets.get(key);
    if (previous && stableStringify(previous) === stableStringify(sorted)) return;
    this.#sets.set(key, sorted);
    this.#opts.logger.debug({ key, endpoints: sorted.length }, 'endpoints changed');
    if (this.#pending) return;
    this.#pending = true;
    setImmediate(() => {
      this.#pending = false;
      this.#opts.onChange();
    });
  }
}
