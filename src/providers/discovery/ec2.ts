// EC2 discovery: the running instances matching an Upstream's tag filters, listed with DescribeInstances on
// an interval (EC2 has no change feed). One poller per distinct query, started when a route first uses it
// and stopped when none does. Credentials come from the query's Secret (read from the store when the poller
// starts) or else the AWS SDK's standard chain; `endpoint` points every client elsewhere (moto in tests, a
// VPC endpoint in production). A query that fails keeps its last instances serving, is listed in the
// controller's /healthz `degraded` (and so in portico_degraded_components) until it answers again, and is
// logged once when it starts failing (no stack: the reason in plain words) and once when it recovers.
import { DescribeInstancesCommand, EC2Client, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { setTimeout as sleep } from 'node:timers/promises';
import { awsCredentialsOf, type AwsCredentials } from '../../api/aws-secret.ts';
import type { SecretSpec } from '../../api/core-types.ts';
import { groupOf, type Resource } from '../../api/resource.ts';
import type { DiscoveredEndpoint, Ec2Watch } from '../../ir/endpoints.ts';
import type { SecretRefIr } from '../../ir/types.ts';
import { Backoff } from '../../lib/backoff.ts';
import { DiscoveryError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { hashOf } from '../../lib/stable.ts';
import { FailingQueries } from './failing.ts';

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

/** The current Secrets (the store's), by reference. */
export type SecretLookup = (ref: SecretRefIr) => SecretSpec | undefined;

/** A lookup over a store snapshot's resources; Secrets are core (group '') resources of kind Secret. */
export function secretLookup(resources: readonly Resource[]): SecretLookup {
  return (ref) => resources.find((r) => r.kind === 'Secret' && groupOf(r.apiVersion) === '' && r.metadata.namespace === ref.namespace && r.metadata.name === ref.name)?.spec as SecretSpec | undefined;
}

/** Where a query's credentials come from; `fingerprint` changes when they do, never shows them. */
type Credentials = { source: 'chain'; fingerprint: '' } | { source: string; fingerprint: string; credentials: AwsCredentials };

interface Poller {
  controller: AbortController;
  fingerprint: string;
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
  /** The standard chain's clients, one per region, shared by its pollers. */
  readonly #clients = new Map<string, EC2Client>();
  readonly #pollers = new Map<string, Poller>();
  readonly #failing = new FailingQueries('EC2 queries');

  constructor(opts: Ec2Options) {
    this.#opts = opts;
  }

  /** Polls exactly `wanted`; a query whose Secret's credentials changed (a rotation) is polled afresh with them. */
  watch(wanted: ReadonlyMap<string, Ec2Watch>, secrets: SecretLookup): void {
    const next = new Map<string, { w: Ec2Watch; credentials: Credentials }>();
    for (const [key, w] of wanted) {
      const credentials = this.#credentials(key, w, secrets);
      if (credentials) next.set(key, { w, credentials });
    }
    for (const [key, poller] of this.#pollers) {
      if (next.get(key)?.credentials.fingerprint === poller.fingerprint) continue;
      this.#pollers.delete(key);
      this.#failing.recover(key);
      poller.controller.abort();
      this.#opts.logger.info({ key }, 'stopped polling EC2');
    }
    for (const [key, { w, credentials }] of next) if (!this.#pollers.has(key)) this.#start(key, w, credentials);
  }

  watching(): string[] {
    return [...this.#pollers.keys()].sort();
  }

  /** Why EC2 discovery is degraded (the first failing query, and how many more); undefined when all answer. */
  problem(): string | undefined {
    return this.#failing.summary();
  }

  stop(): void {
    for (const poller of this.#pollers.values()) poller.controller.abort();
    this.#pollers.clear();
    this.#failing.clear();
    for (const client of this.#clients.values()) client.destroy();
    this.#clients.clear();
  }

  /**
   * The query's credentials; undefined (and logged) when its Secret cannot be used. The translator checked
   * the Secret in the same snapshot and left such a query out, so this is a safeguard, not a path users see.
   */
  #credentials(key: string, w: Ec2Watch, secrets: SecretLookup): Credentials | undefined {
    if (!w.secretRef) return { source: 'chain', fingerprint: '' };
    const source = `Secret ${w.secretRef.namespace}/${w.secretRef.name}`;
    const secret = secrets(w.secretRef);
    const read = secret && awsCredentialsOf(secret);
    if (!read || 'missing' in read) {
      this.#opts.logger.warn({ key }, `EC2 credentials: ${source} ${read ? `has no ${read.missing}` : 'not found'}; not polling`);
      return undefined;
    }
    return { source, fingerprint: hashOf(read.credentials), credentials: read.credentials };
  }

  #start(key: string, w: Ec2Watch, credentials: Credentials): void {
    const controller = new AbortController();
    this.#pollers.set(key, { controller, fingerprint: credentials.fingerprint });
    const client = this.#client(w.region, credentials);
    // A Secret's client is this poller's own: it goes with it.
    if ('credentials' in credentials) controller.signal.addEventListener('abort', () => client.destroy(), { once: true });
    this.#opts.logger.info({ key, region: w.region, credentials: credentials.source }, 'polling EC2');
    void this.#poll(key, w, client, controller.signal);
  }

  /** Lists, publishes, waits; a failure keeps the last list and retries sooner, with jitter. */
  async #poll(key: string, w: Ec2Watch, client: EC2Client, signal: AbortSignal): Promise<void> {
    const interval = this.#opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    const backoff = new Backoff({ initialMs: Math.min(1000, interval), maxMs: interval });
    while (!signal.aborted) {
      let delay = interval;
      try {
        const endpoints = instanceEndpoints(await this.#describe(client, w, signal), w);
        if (signal.aborted) return;
        backoff.reset();
        this.#recovered(key);
        this.#opts.publish(key, endpoints);
      } catch (err) {
        if (signal.aborted) return;
        delay = backoff.next();
        this.#failed(key, err, delay);
      }
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Logged when the query starts failing, not on every retry of the same outage. */
  #failed(key: string, err: unknown, retryInMs: number): void {
    const problem = `ec2 discovery: ${(err as Error).message}; the last instances stay in use, retrying`;
    if (!this.#failing.fail(key, problem)) this.#opts.logger.warn({ key, retryInMs }, problem);
  }

  #recovered(key: string): void {
    const failure = this.#failing.recover(key);
    if (failure) this.#opts.logger.info({ key, failedForMs: Date.now() - failure.since }, 'EC2 query answers again');
  }

  async #describe(client: EC2Client, w: Ec2Watch, signal: AbortSignal): Promise<Instance[]> {
    const instances: Instance[] = [];
    let NextToken: string | undefined;
    try {
      do {
        const page = await client.send(new DescribeInstancesCommand({ Filters: ec2Filters(w), MaxResults: 1000, NextToken }), { abortSignal: signal });
        for (const r of page.Reservations ?? []) instances.push(...(r.Instances ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
    } catch (err) {
      const credentials = w.secretRef ? ` with credentials from Secret ${w.secretRef.namespace}/${w.secretRef.name}` : '';
      throw new DiscoveryError(`EC2 DescribeInstances in ${w.region}${this.#opts.endpoint ? ` at ${this.#opts.endpoint}` : ''}${credentials} failed: ${awsReason(err)}`, { cause: err });
    }
    return instances;
  }

  #client(region: string, credentials: Credentials): EC2Client {
    const config = { region, ...(this.#opts.endpoint && { endpoint: this.#opts.endpoint }) };
    if ('credentials' in credentials) return new EC2Client({ ...config, credentials: credentials.credentials });
    let client = this.#clients.get(region);
    if (!client) {
      client = new EC2Client(config);
      this.#clients.set(region, client);
    }
    return client;
  }
}

/**
 * Why an AWS call failed, in one line: the service's error code and message (AuthFailure, UnauthorizedOperation…),
 * or the network error's code (ECONNREFUSED…), which Node may put only in the nested errors of an AggregateError
 * with an empty message (a name resolving to several addresses, all refused).
 */
export function awsReason(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: string; errors?: { code?: string; message?: string }[]; $metadata?: { httpStatusCode?: number } };
  if (e.$metadata?.httpStatusCode) return `AWS answered ${e.$metadata.httpStatusCode} ${e.name ?? ''}: ${e.message ?? ''}`.trim();
  const nested = e.errors?.find((n) => n.code || n.message);
  const code = e.code ?? nested?.code;
  const message = e.message || nested?.message || e.name || String(err);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
