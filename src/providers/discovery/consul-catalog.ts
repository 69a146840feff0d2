// Consul catalog discovery: one blocking query on /v1/health/service/<name>?passing per watched service and
// datacenter, started when a route first uses the service and stopped when none does. Only instances whose
// every check passes are published, so a failing instance leaves EDS within one blocking-query round.
//
// Addresses: the service's own address, else its node's (Consul's rule). In a datacenter other than the
// agent's own, the `wan` tagged address (service's, then node's) is used when there is one, since LAN
// addresses of another datacenter are usually not reachable from here. Ports: the instance's registered port;
// 0 means "registered without one", and the join step then uses the backendRef's port.
import { EventEmitter } from 'node:events';
import type { ConsulConnection } from '../../consul/client.ts';
import { consulError } from '../../consul/errors.ts';
import type { ConsulWatch, DiscoveredEndpoint } from '../../ir/endpoints.ts';
import { ConsulError, DiscoveryError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { BlockingQuery, type BlockingAnswer } from '../../consul/blocking.ts';

/** Consul's default, and the longest wait it allows is 10 minutes. */
const DEFAULT_WAIT_MS = 5 * 60_000;

export interface ConsulCatalogOptions {
  connection: ConsulConnection;
  logger: Logger;
  /** How long Consul may hold a blocking query (default 5 min). */
  waitMs?: number;
  /** Called with each watched key's passing instances whenever they change. */
  publish: (key: string, endpoints: DiscoveredEndpoint[]) => void;
}

/** The parts of a /v1/health/service entry Portico reads. */
export interface HealthEntry {
  Node: { Address: string; Datacenter?: string; TaggedAddresses?: Record<string, string> | null };
  Service: { Address: string; Port: number; Tags?: string[] | null; TaggedAddresses?: Record<string, { Address: string; Port: number }> | null };
}

/** Instances as the join step wants them; `remote`: the entry comes from another datacenter than the agent's. */
export function endpointsOf(entries: readonly HealthEntry[], remote: boolean): DiscoveredEndpoint[] {
  return entries.flatMap(({ Node, Service }) => {
    const wan = remote ? (Service.TaggedAddresses?.wan ?? (Node.TaggedAddresses?.wan ? { Address: Node.TaggedAddresses.wan, Port: Service.Port } : undefined)) : undefined;
    const address = wan?.Address || Service.Address || Node.Address;
    const port = wan?.Port || Service.Port;
    if (!address) return [];
    return [{ address, ...(port && { port }), ...(Service.Tags?.length && { tags: Service.Tags }) }];
  });
}

/**
 * Every watched service holds one HTTP connection for its blocking query, and Consul refuses more than
 * `limits.http_max_conns_per_client` (default 200) from one address with a 429.
 */
const CONNECTION_LIMIT_HINT =
  'Consul limits concurrent connections per client address (limits.http_max_conns_per_client, default 200) and each watched service holds one: raise the limit above the number of services routes use';

function tooManyConnections(err: unknown): boolean {
  const e = err as { statusCode?: number; response?: { statusCode?: number } };
  return e.statusCode === 429 || e.response?.statusCode === 429 || /too many/i.test((err as Error).message);
}

export class ConsulCatalogProvider {
  readonly #opts: ConsulCatalogOptions;
  readonly #queries = new Map<string, BlockingQuery<HealthEntry[]>>();
  /** Why each failing query fails, by key: what the controller's health shows. */
  readonly #failing = new Map<string, string>();
  #localDc?: Promise<string | undefined>;

  constructor(opts: ConsulCatalogOptions) {
    this.#opts = opts;
  }

  /** Starts a query per new key and stops those no longer wanted. */
  watch(wanted: ReadonlyMap<string, ConsulWatch>): void {
    for (const [key, query] of this.#queries) {
      if (wanted.has(key)) continue;
      this.#queries.delete(key);
      this.#failing.delete(key);
      void query.stop();
      this.#opts.logger.info({ key }, 'stopped watching consul service');
    }
    for (const [key, w] of wanted) if (!this.#queries.has(key)) this.#start(key, w);
  }

  /** Keys with a query running (for tests and the admin endpoint). */
  watching(): string[] {
    return [...this.#queries.keys()].sort();
  }

  /** Why discovery from Consul is degraded (the first failing service, and how many more); undefined when all answer. */
  problem(): string | undefined {
    const [first] = this.#failing.values();
    if (first === undefined) return undefined;
    return this.#failing.size > 1 ? `${first} (and ${this.#failing.size - 1} more Consul service queries failing)` : first;
  }

  async stop(): Promise<void> {
    const queries = [...this.#queries.values()];
    this.#queries.clear();
    this.#failing.clear();
    await Promise.all(queries.map((q) => q.stop()));
  }

  #start(key: string, w: ConsulWatch): void {
    const logger = this.#opts.logger.child({ service: w.service, ...(w.dc && { dc: w.dc }) });
    const query = new BlockingQuery<HealthEntry[]>({
      query: (index, ctx) => this.#fetch(w, index, ctx),
      onData: (entries) =>
        void this.#remote(w)
          .then((remote) => this.#opts.publish(key, endpointsOf(entries, remote)))
          .catch((err: unknown) => logger.error({ err, key }, 'publishing consul endpoints failed')),
      onError: (err, retryInMs) => {
        const problem = `consul discovery: ${(err as Error).message}; the last endpoints stay in use, retrying`;
        // Once per new problem, without a stack: a retry loop must not flood the log.
        if (this.#failing.get(key) !== problem) logger.warn({ code: (err as { code?: string }).code, retryInMs }, problem);
        this.#failing.set(key, problem);
      },
      onRecovered: () => {
        this.#failing.delete(key);
        logger.info('consul service query recovered');
      },
    });
    this.#queries.set(key, query);
    void query.start();
    logger.info({ key }, 'watching consul service');
  }

  /** One blocking read of the passing instances; `ctx` emits `cancel` when the watch stops. */
  async #fetch(w: ConsulWatch, index: number, ctx: EventEmitter): Promise<BlockingAnswer<HealthEntry[]>> {
    const waitMs = this.#opts.waitMs ?? DEFAULT_WAIT_MS;
    try {
      const options = {
        service: w.service,
        passing: true,
        ...(w.dc && { dc: w.dc }),
        ...(w.consistency && { [w.consistency]: true }),
        index: String(index),
        wait: `${Math.ceil(waitMs / 1000)}s`,
        // Consul adds up to wait/16 of jitter; past that, the connection is presumed dead.
        timeout: waitMs + Math.ceil(waitMs / 16) + 10_000,
        // includeResponse gives us the response, and with it the X-Consul-Index header.
        ctx: Object.assign(ctx, { includeResponse: true }),
      };
      const [res, body] = (await this.#opts.connection.client.health.service(options as never)) as unknown as [{ headers: Record<string, string> }, HealthEntry[]];
      const header = res.headers['x-consul-index'];
      if (!header || !/^\d+$/.test(header)) throw new DiscoveryError(`consul answered /v1/health/service/${w.service} without an X-Consul-Index`);
      return { index: Number(header), data: body };
    } catch (err) {
      if (err instanceof DiscoveryError) throw err;
      const doing = `watching the instances of service ${w.service}${w.dc ? ` in ${w.dc}` : ''}`;
      const e = consulError(err, { doing, needs: `service "${w.service}" read and node_prefix "" read` }, this.#opts.connection.describe());
      if (!tooManyConnections(err)) throw e;
      throw new ConsulError(`${e.message}; ${CONNECTION_LIMIT_HINT}`, { cause: err, ...(e.status !== undefined && { status: e.status }) });
    }
  }

  /** Whether `w` queries another datacenter than the agent's (asked once; unknown counts as local). */
  async #remote(w: ConsulWatch): Promise<boolean> {
    if (!w.dc) return false;
    this.#localDc ??= this.#opts.connection.client.agent
      .self()
      .then((self) => (self as { Config?: { Datacenter?: string } }).Config?.Datacenter)
      .catch((err: unknown) => {
        this.#opts.logger.warn({ err }, "cannot read the agent's datacenter; tagged wan addresses are not used");
        this.#localDc = undefined;
        return undefined;
      });
    const local = await this.#localDc;
    return local !== undefined && local !== w.dc;
  }
}
