// EC2 discovery: the running instances matching an Upstream's tag filters, listed with DescribeInstances on
// an interval (EC2 has no change feed). One poller per distinct query, started when a route first uses it
// and stopped when none does. Credentials and region endpoints come from the AWS SDK's standard chain;
// `endpoint` points every client elsewhere (moto in tests, a VPC endpoint in production).
import { DescribeInstancesCommand, EC2Client, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DiscoveredEndpoint, Ec2Watch } from '../../ir/endpoints.ts';
import { Backoff } from '../../lib/backoff.ts';
import { DiscoveryError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';

const DEFAULT_INTERVAL_MS = 30_000;

export interface Ec2Options {
  logger: Logger;
  /** How often each query is repeated (default 30 s). */
  intervalMs?: number;
  /** e.g. `http://127.0.0.1:5000` (moto); default the region's AWS endpoint. */
  endpoint?: string;
  publish: (key: string, endpoints: DiscoveredEndpoint[]) => void;
}

/** DescribeInstances filters for a query: running instances, each tag filter as `tag-key` or `tag:<key>`. */
export function ec2Filters(w: Ec2Watch): Filter[] {
  return [
    { Name: 'instance-state-name', Values: ['running'] },
    ...w.filters.map((f) => (f.value === undefined ? { Name: 'tag-key', Values: [f.key] } : { Name: `tag:${f.key}`, Values: [f.value] })),
  ];
}

/** The IP each instance is reached at; an instance without one (no public IP) is left out. */
export function instanceEndpoints(instances: readonly Instance[], w: Ec2Watch): DiscoveredEndpoint[] {
  return instances.flatMap((i) => {
    const address = w.publicIp ? i.PublicIpAddress : i.PrivateIpAddress;
    return address ? [{ address }] : [];
  });
}

export class Ec2Provider {
  readonly #opts: Ec2Options;
  readonly #clients = new Map<string, EC2Client>();
  readonly #pollers = new Map<string, AbortController>();

  constructor(opts: Ec2Options) {
    this.#opts = opts;
  }

  watch(wanted: ReadonlyMap<string, Ec2Watch>): void {
    for (const [key, poller] of this.#pollers) {
      if (wanted.has(key)) continue;
      this.#pollers.delete(key);
      poller.abort();
      this.#opts.logger.info({ key }, 'stopped polling EC2');
    }
    for (const [key, w] of wanted) if (!this.#pollers.has(key)) this.#start(key, w);
  }

  watching(): string[] {
    return [...this.#pollers.keys()].sort();
  }

  stop(): void {
    for (const poller of this.#pollers.values()) poller.abort();
    this.#pollers.clear();
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }

  #start(key: string, w: Ec2Watch): void {
    const poller = new AbortController();
    this.#pollers.set(key, poller);
    this.#opts.logger.info({ key, region: w.region }, 'polling EC2');
    void this.#poll(key, w, poller.signal);
  }

  /** Lists, publishes, waits; a failure keeps the last list and retries sooner, with jitter. */
  async #poll(key: string, w: Ec2Watch, signal: AbortSignal): Promise<void> {
    const interval = this.#opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    const backoff = new Backoff({ initialMs: Math.min(1000, interval), maxMs: interval });
    while (!signal.aborted) {
      let delay = interval;
      try {
        const endpoints = instanceEndpoints(await this.#describe(w, signal), w);
        if (signal.aborted) return;
        backoff.reset();
        this.#opts.publish(key, endpoints);
      } catch (err) {
        if (signal.aborted) return;
        delay = backoff.next();
        this.#opts.logger.warn({ err, key, retryInMs: delay }, 'EC2 query failed; the last instances stay in use');
      }
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  async #describe(w: Ec2Watch, signal: AbortSignal): Promise<Instance[]> {
    const client = this.#client(w.region);
    const instances: Instance[] = [];
    let NextToken: string | undefined;
    try {
      do {
        const page = await client.send(new DescribeInstancesCommand({ Filters: ec2Filters(w), MaxResults: 1000, NextToken }), { abortSignal: signal });
        for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
    } catch (err) {
      throw new DiscoveryError(`EC2 DescribeInstances in ${w.region}${this.#opts.endpoint ? ` at ${this.#opts.endpoint}` : ''}: ${(err as Error).message}`, { cause: err });
    }
    return instances;
  }

  #client(region: string): EC2Client {
    let client = this.#clients.get(region);
    if (!client) {
      client = new EC2Client({ region, ...(this.#opts.endpoint && { endpoint: this.#opts.endpoint }) });
      this.#clients.set(region, client);
    }
    return client;
  }
}
