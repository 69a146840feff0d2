// Consul catalog discovery: one blocking query on /v1/health/service/<name>?passing per watched service and
// datacenter, started when a route first uses the service and stopped when none does. Only instances whose
// every check passes are published, so a failing instance leaves EDS within one blocking-query round.
//
// Addresses and ports: consul-addresses.ts (Consul's own rule, tagged addresses included). A port of 0 means
// "registered without one", and the join step then uses the backendRef's port.
//
// ACLs: Consul does not refuse a token that may not read a service or its nodes, it hides those instances
// and says so in X-Consul-Results-Filtered-By-ACLs. Such an answer is a failure naming the missing rule
// (the last endpoints stay in use, as while Consul is away), shown in /healthz and in the statuses of the
// resources using the service; it is asked again without blocking, so a fixed policy is seen within a
// back-off step. Only non-blocking reads carry that header: a blocking one is served by the agent's
// streaming backend (its default), which drops hidden instances silently and is not even woken by them.
// So the first read of each watch is non-blocking, and so is the read after each blocking round that ends
// without a change (every `waitMs`): hidden instances registered later are noticed within one wait.
import { EventEmitter } from 'node:events';
import type { ConsulConnection } from '../../consul/client.ts';
import { consulError } from '../../consul/errors.ts';
import type { ConsulWatch, DiscoveredEndpoint } from '../../ir/endpoints.ts';
import { ConsulError, DiscoveryError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { BlockingQuery, requestTimeoutMs, type BlockingAnswer } from '../../consul/blocking.ts';
import { instanceAddress, type HealthEntry } from './consul-addresses.ts';
import { FailingQueries } from './failing.ts';

export type { HealthEntry } from './consul-addresses.ts';

/** Consul's default, and the longest wait it allows is 10 minutes. */
const DEFAULT_WAIT_MS = 5 * 60_000;

export interface ConsulCatalogOptions {
  connection: ConsulConnection;
  logger: Logger;
  /** How long Consul may hold a blocking query (default 5 min). */
  waitMs?: number;
  /** Called with each watched key's passing instances whenever they change. */
  publish: (key: string, endpoints: DiscoveredEndpoint[]) => void;
  /** Called when the set of queries whose token may not read their service changes. */
  onDeniedChange?: () => void;
}

/**
 * Instances as the join step wants them, and the ones that cannot be served (only a DNS name known: EDS does
 * not resolve names). `localDc`: the agent's datacenter; an entry of another one is reached over the WAN.
 */
export function endpointsOf(entries: readonly HealthEntry[], localDc: string | undefined, dc?: string): { endpoints: DiscoveredEndpoint[]; unusable: string[] } {
  const endpoints: DiscoveredEndpoint[] = [];
  const unusable: string[] = [];
  for (const entry of entries) {
    const entryDc = entry.Node.Datacenter || dc;
    const at = instanceAddress(entry, localDc !== undefined && entryDc !== undefined && entryDc !== localDc);
    if ('unusable' in at) {
      unusable.push(`${entry.Service.ID ?? '?'} on ${entry.Node.Node ?? entry.Node.Address} (${at.unusable})`);
      continue;
    }
    const tags = entry.Service.Tags;
    endpoints.push({ address: at.address, ...(at.port && { port: at.port }), ...(tags?.length && { tags }) });
  }
  return { endpoints, unusable };
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

/** How long an unreadable agent datacenter is taken as unknown before asking again. */
const LOCAL_DC_RETRY_MS = 60_000;

export class ConsulCatalogProvider {
  readonly #opts: ConsulCatalogOptions;
  readonly #queries = new Map<string, BlockingQuery<HealthEntry[]>>();
  /** Why each failing query fails, by key: what the controller's health shows. */
  readonly #failing = new FailingQueries('Consul service queries');
  /** Keys whose next read is non-blocking, to see whether ACLs hide instances (see the top of the file). */
  readonly #audit = new Set<string>();
  /** The DNS-named instances each key last could not serve, as logged (logged again only when they change). */
  readonly #unusable = new Map<string, string>();
  #localDc?: Promise<string | undefined>;
  #localDcWarned = false;

  constructor(opts: ConsulCatalogOptions) {
    this.#opts = opts;
  }

  /** Starts a query per new key and stops those no longer wanted. */
  watch(wanted: ReadonlyMap<string, ConsulWatch>): void {
    for (const [key, query] of this.#queries) {
      if (wanted.has(key)) continue;
      this.#queries.delete(key);
      this.#unusable.delete(key);
      this.#audit.delete(key);
      if (this.#failing.recover(key)?.denied) this.#opts.onDeniedChange?.();
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
    return this.#failing.summary();
  }

  /** Watch key → why the token may not read that service's instances. */
  denied(): Map<string, string> {
    return this.#failing.denied();
  }

  async stop(): Promise<void> {
    const queries = [...this.#queries.values()];
    this.#queries.clear();
    this.#failing.clear();
    this.#audit.clear();
    this.#unusable.clear();
    await Promise.all(queries.map((q) => q.stop()));
  }

  #start(key: string, w: ConsulWatch): void {
    const logger = this.#opts.logger.child({ service: w.service, ...(w.dc && { dc: w.dc }) });
    const query = new BlockingQuery<HealthEntry[]>({
      query: (index, ctx) => this.#fetch(key, w, this.#audit.delete(key) || this.#failing.get(key)?.denied ? 0 : index, ctx),
      onData: (entries) =>
        void this.#localDcFor(w)
          .then((localDc) => this.#publish(key, logger, endpointsOf(entries, localDc, w.dc)))
          .catch((err: unknown) => logger.error({ err, key }, 'publishing consul endpoints failed')),
      onError: (err, retryInMs) => {
        const problem = `consul discovery: ${(err as Error).message}; the last endpoints stay in use, retrying`;
        const denied = (err as ConsulError).status === 403;
        const previous = this.#failing.fail(key, problem, denied);
        // Once per new problem, without a stack: a retry loop must not flood the log.
        if (previous?.message !== problem) logger.warn({ code: (err as { code?: string }).code, retryInMs }, problem);
        if (Boolean(previous?.denied) !== denied) this.#opts.onDeniedChange?.();
      },
      onRecovered: () => {
        const failure = this.#failing.recover(key);
        logger.info({ failedForMs: failure && Date.now() - failure.since }, 'consul service query recovered');
        if (failure?.denied) this.#opts.onDeniedChange?.();
      },
    });
    this.#queries.set(key, query);
    void query.start();
    logger.info({ key }, 'watching consul service');
  }

  #publish(key: string, logger: Logger, { endpoints, unusable }: ReturnType<typeof endpointsOf>): void {
    const shown = unusable.join(', ');
    if (shown !== (this.#unusable.get(key) ?? '')) {
      if (shown) logger.warn({ key, instances: unusable }, `instances left out: their address is a DNS name and they have no IP tagged address (lan_ipv4, lan_ipv6; wan_* in another datacenter), and EDS does not resolve names: ${shown}`);
      this.#unusable.set(key, shown);
    }
    this.#opts.publish(key, endpoints);
  }

  /** One blocking read of the passing instances; `ctx` emits `cancel` when the watch stops. */
  async #fetch(key: string, w: ConsulWatch, index: number, ctx: EventEmitter): Promise<BlockingAnswer<HealthEntry[]>> {
    const waitMs = this.#opts.waitMs ?? DEFAULT_WAIT_MS;
    try {
      const options = {
        service: w.service,
        passing: true,
        ...(w.dc && { dc: w.dc }),
        ...(w.consistency && { [w.consistency]: true }),
        index: String(index),
        wait: `${Math.ceil(waitMs / 1000)}s`,
        timeout: requestTimeoutMs(waitMs),
        // includeResponse gives us the response, and with it the X-Consul-Index header.
        ctx: Object.assign(ctx, { includeResponse: true }),
      };
      const [res, body] = (await this.#opts.connection.client.health.service(options as never)) as unknown as [{ headers: Record<string, string> }, HealthEntry[]];
      const header = res.headers['x-consul-index'];
      if (!header || !/^\d+$/.test(header)) throw new DiscoveryError(`consul answered /v1/health/service/${w.service} without an X-Consul-Index`);
      // Serving the instances left would withdraw the hidden ones from Envoy: keep the last endpoints instead.
      if (res.headers['x-consul-results-filtered-by-acls'] === 'true') throw new ConsulError('instances are hidden by ACLs', { status: 403 });
      if (index > 0 && Number(header) === index) this.#audit.add(key);
      return { index: Number(header), data: body };
    } catch (err) {
      if (err instanceof DiscoveryError) throw err;
      const doing = `watching the instances of service ${w.service}${w.dc ? ` in ${w.dc}` : ''}`;
      const e = consulError(err, { doing, needs: `service "${w.service}" { policy = "read" } and node_prefix "" { policy = "read" }` }, this.#opts.connection.describe());
      if (!tooManyConnections(err)) throw e;
      throw new ConsulError(`${e.message}; ${CONNECTION_LIMIT_HINT}`, { cause: err, ...(e.status !== undefined && { status: e.status }) });
    }
  }

  /**
   * The agent's datacenter when `w` names one (without, every instance is the agent's own): asked once;
   * unknown (the token lacks agent read) counts as local, is said once, and is asked again a minute later.
   */
  async #localDcFor(w: ConsulWatch): Promise<string | undefined> {
    if (!w.dc) return undefined;
    this.#localDc ??= this.#opts.connection.client.agent
      .self()
      .then((self) => (self as { Config?: { Datacenter?: string } }).Config?.Datacenter)
      .catch((err: unknown) => {
        const e = consulError(err, { doing: "reading the agent's datacenter", needs: 'agent_prefix "" { policy = "read" }' }, this.#opts.connection.describe());
        if (!this.#localDcWarned) this.#opts.logger.warn({ code: e.code }, `${e.message}; instances of other datacenters are reached at their LAN addresses until it can be read`);
        this.#localDcWarned = true;
        setTimeout(() => (this.#localDc = undefined), LOCAL_DC_RETRY_MS).unref();
        return undefined;
      });
    return this.#localDc;
  }
}
