// Writes the full set of statuses to a target (status files, Consul KV): coalesced (only the latest set
// matters), compared before writing (a status that did not change is not written again), stale statuses
// removed, and a failed write retried with back-off until it lands or a newer set replaces it.
// Failures are per status: a target reports the locations it could not write (a name too long for a file, a key
// Consul refuses), the others are written, and each failed one is logged (never its content), named in
// problem() (so in /healthz and portico_degraded_components) and tried again. Every status is capped first
// (status/caps.ts). The targets only know how to locate, list, and apply a batch of changes.
import { stringify } from 'yaml';
import { Backoff, type BackoffOptions } from '../lib/backoff.ts';
import { formatSource } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { capText } from '../lib/text.ts';
import { capStatus } from './caps.ts';
import type { StatusRecord } from './record.ts';

export interface StatusChanges {
  /** Location → rendered status. */
  put: Map<string, string>;
  remove: string[];
}

export interface StatusTarget {
  /** For logs: the folder or the Consul prefix. */
  describe(): string;
  /** Where a resource's status goes (a file path, a KV key), from its resource key. */
  locate(resourceKey: string): string;
  /** What the target holds now (location → text), read once before the first write, so statuses an earlier
   *  run (or another controller) left are compared rather than rewritten, and stale ones removed. */
  load?(): Promise<Map<string, string>>;
  /**
   * Applies what it can; resolves to the locations it could not write or remove, and why (messages that never
   * quote a status). Throws when the target as a whole cannot be written (unreachable, not the leader).
   */
  apply(changes: StatusChanges): Promise<ReadonlyMap<string, Error>>;
}

/** Why one status could not be written, as logged and shown in problem(). */
const MAX_REASON = 512;

export class StatusWriter {
  readonly #target: StatusTarget;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  /** Location → what was last written there: the record's JSON (cheap, saves rendering) and the text. */
  #written = new Map<string, { json?: string; text: string }>();
  #loaded = false;
  #pending?: StatusRecord[];
  #running?: Promise<void>;
  #retry?: NodeJS.Timeout;
  #problem?: string;
  /** Location → the resource whose status could not be written there last time, and why. */
  #unwritten = new Map<string, { id: string; reason: string }>();

  constructor(opts: { target: StatusTarget; logger: Logger; retry?: BackoffOptions }) {
    this.#target = opts.target;
    this.#log = opts.logger;
    this.#backoff = new Backoff(opts.retry);
  }

  /** Queues the full set of statuses; resolves once it (or a newer set) is written, or has failed. */
  write(records: StatusRecord[]): Promise<void> {
    clearTimeout(this.#retry);
    this.#pending = records;
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** Forgets what it believes the target holds: someone else may have written there (a former leader). */
  resync(): void {
    this.#written.clear();
    this.#loaded = false;
  }

  /** Why statuses are not being written right now, or which are not (undefined while every one is). */
  problem(): string | undefined {
    if (this.#problem || !this.#unwritten.size) return this.#problem;
    const [first] = this.#unwritten.values();
    const more = this.#unwritten.size - 1;
    return `${this.#unwritten.size} status(es) could not be written to ${this.#target.describe()}: ${first?.id}: ${first?.reason}${more ? ` (and ${more} more)` : ''}`;
  }

  close(): void {
    clearTimeout(this.#retry);
    this.#pending = undefined;
  }

  async #drain(): Promise<void> {
    while (this.#pending) {
      const records = this.#pending;
      this.#pending = undefined;
      try {
        await this.#sync(records);
        if (this.#problem) this.#log.info({ target: this.#target.describe() }, 'writing statuses again');
        this.#problem = undefined;
        if (this.#unwritten.size) this.#retryLater(records);
        else this.#backoff.reset();
      } catch (err) {
        this.#failed(err, records);
      }
    }
  }

  #failed(err: unknown, records: StatusRecord[]): void {
    const retryInMs = this.#backoff.next();
    const problem = `writing statuses to ${this.#target.describe()} failed: ${err instanceof Error ? err.message : String(err)}`;
    if (problem !== this.#problem) this.#log.error({ retryInMs }, problem);
    this.#problem = problem;
    this.#retryLater(records, retryInMs);
  }

  #retryLater(records: StatusRecord[], retryInMs = this.#backoff.next()): void {
    if (this.#pending) return; // a newer set is already queued
    this.#retry = setTimeout(() => void this.write(records), retryInMs);
    this.#retry.unref();
  }

  async #sync(records: StatusRecord[]): Promise<void> {
    if (!this.#loaded && this.#target.load) {
      this.#written = new Map([...(await this.#target.load())].map(([loc, text]) => [loc, { text }]));
      this.#loaded = true;
    }
    const changes: StatusChanges = { put: new Map(), remove: [] };
    const next = new Map<string, { json?: string; text: string }>();
    const ids = new Map<string, string>();
    for (const record of records) {
      const loc = this.#target.locate(record.key);
      const json = JSON.stringify(record);
      const prev = this.#written.get(loc);
      const text = prev?.json === json ? prev.text : renderStatus(record);
      next.set(loc, { json, text });
      ids.set(loc, record.id);
      if (prev?.text !== text) changes.put.set(loc, text);
    }
    for (const loc of this.#written.keys()) if (!next.has(loc)) changes.remove.push(loc);
    const failed = changes.put.size || changes.remove.length ? await this.#target.apply(changes) : new Map<string, Error>();
    // None of several new changes landed: the target as a whole is failing (a token that may write none of it),
    // not one status. (Retrying only statuses known to fail is not that.)
    const all = changes.put.size + changes.remove.length;
    if (all > 1 && failed.size === all && ![...failed.keys()].some((loc) => this.#unwritten.has(loc))) throw failed.values().next().value;
    for (const loc of failed.keys()) {
      // Still to do: a status not written is compared against what the target had; a removal is tried again.
      const had = this.#written.get(loc);
      if (had) next.set(loc, had);
      else next.delete(loc);
    }
    this.#written = next;
    this.#reportUnwritten(failed, ids);
  }

  #reportUnwritten(failed: ReadonlyMap<string, Error>, ids: ReadonlyMap<string, string>): void {
    const now = new Map([...failed].map(([loc, err]) => [loc, { id: ids.get(loc) ?? `the stale status at ${loc}`, reason: capText(err.message, MAX_REASON) }]));
    for (const [loc, { id, reason }] of now) {
      if (this.#unwritten.get(loc)?.reason !== reason) this.#log.error({ resource: id, location: loc, error: reason }, 'a status could not be written; the others were');
    }
    for (const [loc, { id }] of this.#unwritten) if (!now.has(loc)) this.#log.info({ resource: id, location: loc }, 'status written again');
    this.#unwritten = now;
  }
}

/** One status as people read it (files, `consul kv get`): which resource, from where, which generation. */
export function renderStatus(r: StatusRecord): string {
  const doc = { resource: r.id, source: formatSource(r.source), generation: r.generation, status: capStatus(r.status) };
  return `# Written by Portico from the resource at ${formatSource(r.source)}; edit that, not this.\n${stringify(doc, { lineWidth: 0 })}`;
}
