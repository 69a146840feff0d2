// Resources from Consul KV: every key below `<rootKey>/` laid out as consul-kv-layout.ts says, watched with
// ONE recursive blocking query (consul/blocking.ts). A key whose value is malformed, or names another
// resource than its key, is rejected with a problem naming the key; the store keeps that resource's last
// good version serving and every other key keeps serving. While Consul cannot be reached the source keeps
// what it last published (Envoy keeps its config) and reports the outage as its problem().
// A resource's generation is its key's ModifyIndex (as Gloo's resourceVersion is): it grows on every write
// of the key and is the same on every controller and after a restart, so observedGeneration never goes
// backwards when another controller takes over writing statuses. Its creation order is the key's CreateIndex,
// which the writer cannot choose and every controller reads alike: route conflicts go to the older key.
import type { EventEmitter } from 'node:events';
import type { Rejected } from '../../api/parse.ts';
import type { Resource } from '../../api/resource.ts';
import type { ConsulConnection } from '../../consul/client.ts';
import { BlockingQuery, type BlockingAnswer } from '../../consul/blocking.ts';
import { consulError } from '../../consul/errors.ts';
import { kvRead, type KvItem } from '../../consul/kv.ts';
import type { BackoffOptions } from '../../lib/backoff.ts';
import { ConsulError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { parseKvEntry, type KeyResult } from './consul-kv-layout.ts';
import type { SourceSnapshot } from '../../api/source.ts';

export interface ConsulKvProviderOptions {
  consul: ConsulConnection;
  /** Default `portico`. */
  rootKey?: string;
  logger: Logger;
  /** How long Consul may hold one blocking request open (default 300 s, Consul's own default). */
  waitSeconds?: number;
  backoff?: BackoffOptions;
}

export class ConsulKvResourceProvider {
  readonly #opts: ConsulKvProviderOptions;
  readonly #rootKey: string;
  readonly #log: Logger;
  readonly #query: BlockingQuery<KvItem[]>;
  /** Key → the parse of the value at its ModifyIndex: an unchanged key is not parsed again. */
  #entries = new Map<string, { modifyIndex: number; result: KeyResult }>();
  #onSnapshot: (snap: SourceSnapshot) => void = () => {};
  #problem?: string;
  #published = false;

  constructor(opts: ConsulKvProviderOptions) {
    this.#opts = opts;
    this.#rootKey = (opts.rootKey ?? 'portico').replace(/\/+$/, '');
    this.#log = opts.logger;
    this.#query = new BlockingQuery<KvItem[]>({
      query: (index, ctx) => this.#read(index, ctx),
      onData: (items) => this.#update(items),
      onError: (err, retryInMs) => this.#failed(err, retryInMs),
      onRecovered: () => this.#recovered(),
      ...(opts.backoff && { backoff: opts.backoff }),
    });
  }

  /** Resolves after the first read, whether it worked (published) or not (see problem()). */
  start(onSnapshot: (snap: SourceSnapshot) => void): Promise<void> {
    this.#onSnapshot = onSnapshot;
    return this.#query.start();
  }

  stop(): Promise<void> {
    return this.#query.stop();
  }

  /** Why the source is not following Consul right now (undefined while it is). */
  problem(): string | undefined {
    return this.#problem;
  }

  async #read(index: number, ctx: EventEmitter): Promise<BlockingAnswer<KvItem[]>> {
    const answer = await kvRead(this.#opts.consul, { key: `${this.#rootKey}/`, recurse: true, index, ctx, ...(this.#opts.waitSeconds && { waitSeconds: this.#opts.waitSeconds }) });
    // Serving part of the keys would withdraw the hidden ones from Envoy: keep the last good set instead.
    if (answer.filteredByAcls) throw new ConsulError('keys are hidden by ACLs', { status: 403 });
    return answer;
  }

  #update(items: KvItem[]): void {
    const next = new Map<string, { modifyIndex: number; result: KeyResult }>();
    let changed = items.length !== this.#entries.size;
    for (const item of items) {
      const prev = this.#entries.get(item.Key);
      if (prev?.modifyIndex === item.ModifyIndex) {
        next.set(item.Key, prev);
        continue;
      }
      changed = true;
      next.set(item.Key, { modifyIndex: item.ModifyIndex, result: withKeyIndexes(parseKvEntry(this.#rootKey, item.Key, item.Value), item) });
    }
    this.#entries = next;
    if (changed || !this.#published) this.#publish();
  }

  #publish(): void {
    this.#published = true;
    const resources: Resource[] = [];
    const rejected: Rejected[] = [];
    for (const { result } of this.#entries.values()) {
      if ('resource' in result) resources.push(result.resource);
      else if ('rejected' in result) rejected.push(result.rejected);
    }
    this.#log.debug({ resources: resources.length, rejected: rejected.length }, 'consul KV read');
    this.#onSnapshot({ resources, rejected, ownMetadata: true });
  }

  #failed(err: unknown, retryInMs: number): void {
    const e = consulError(err, { doing: `reading ${this.#rootKey}/`, needs: `key_prefix "${this.#rootKey}/" { policy = "read" }` }, this.#opts.consul.describe());
    const problem = `consul KV source: ${e.message}; serving the last good config, retrying`;
    if (problem !== this.#problem) this.#log.error({ code: e.code, retryInMs }, problem);
    this.#problem = problem;
  }

  #recovered(): void {
    this.#log.info({ consul: this.#opts.consul.describe() }, 'consul KV source: reading again');
    this.#problem = undefined;
  }
}

/** The key's ModifyIndex as the resource's generation and its CreateIndex as its creation order (whatever the value says: the user sets neither). */
function withKeyIndexes(result: KeyResult, item: KvItem): KeyResult {
  if (!('resource' in result)) return result;
  const { resource } = result;
  return { resource: { ...resource, metadata: { ...resource.metadata, generation: item.ModifyIndex, creationIndex: item.CreateIndex } } };
}
