// Merges what the sources publish, keeps each resource's generation, keeps the last good version of a
// resource whose new version was rejected, and emits versioned snapshots: a lone edit at once, a burst
// debounced (hold-off) but never later than a maximum delay, so a stream of edits cannot starve the gateways.
// A source that owns its metadata (Consul KV: ModifyIndex as generation, CreateIndex as creation order, the
// same on every controller and across restarts) has it kept; for the others the store counts spec changes in
// memory, and removes any creation order (only a source may vouch for one: docs/security.md).
import { identityRef, resourceKey, type Resource } from '../api/resource.ts';
import type { Rejected } from '../api/parse.ts';
import type { SourceSnapshot } from '../api/source.ts';
import { hashOf } from '../lib/stable.ts';

export interface StoreSnapshot {
  version: number;
  resources: Resource[];
  rejected: Rejected[];
}

export interface StoreOptions {
  holdOffMs?: number;
  maxDelayMs?: number;
  /**
   * Source names, highest precedence first: on a name clash the resource of the source listed first wins,
   * whichever published first. Sources not listed come after, in the order they first published.
   */
  precedence?: readonly string[];
}

interface Tracked {
  specHash: string;
  generation: number;
}

export class ResourceStore {
  readonly #holdOffMs: number;
  readonly #maxDelayMs: number;
  readonly #sources = new Map<string, SourceSnapshot>();
  readonly #tracked = new Map<string, Tracked>();
  readonly #lastGood = new Map<string, Resource>();
  readonly #listeners = new Set<(s: StoreSnapshot) => void>();
  /** Sources hand back the same objects for unchanged resources, so a hash is computed once per version. */
  readonly #hashes = new WeakMap<Resource, string>();
  readonly #stamped = new WeakMap<Resource, { tracked: Tracked; stamped: Resource }>();
  /** Resources whose generation and creationIndex their source set (SourceSnapshot.ownMetadata). */
  readonly #sourceOwned = new WeakSet<Resource>();
  #current?: StoreSnapshot;
  #version = 0;
  #timer?: NodeJS.Timeout;
  #firstPending?: number;
  #leading = false;
  #lastEmit = -Infinity;

  constructor(opts: StoreOptions = {}) {
    this.#holdOffMs = opts.holdOffMs ?? 20;
    this.#maxDelayMs = opts.maxDelayMs ?? 250;
    // A Map keeps the position of a key set again: reserving the slots fixes the merge order.
    for (const name of opts.precedence ?? []) this.#sources.set(name, { resources: [], rejected: [] });
  }

  /** Replaces everything one source publishes. Sources are merged in precedence order (StoreOptions.precedence). */
  update(source: string, snap: SourceSnapshot): void {
    // Remembered per object, so a last good version kept for a rejected one keeps its source's metadata.
    if (snap.ownMetadata) for (const r of snap.resources) this.#sourceOwned.add(r);
    this.#sources.set(source, snap);
    this.#schedule();
  }

  /** Replayable: the listener gets the current snapshot (if any) at once, then every new one. */
  subscribe(listener: (s: StoreSnapshot) => void): () => void {
    this.#listeners.add(listener);
    if (this.#current) listener(this.#current);
    return () => this.#listeners.delete(listener);
  }

  /** Emits now whatever is pending (for shutdown paths and tests). */
  flush(): void {
    if (this.#timer) this.#emit();
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    const now = Date.now();
    if (this.#leading) return; // the emit already queued will carry this update too
    if (this.#timer === undefined && now - this.#lastEmit >= this.#holdOffMs) {
      // Idle: a lone edit goes out at once (on the next turn, so updates made together still merge); the
      // hold-off applies to the edits that follow it, so only a burst waits.
      this.#leading = true;
      this.#timer = setTimeout(() => this.#emit(), 0);
      return;
    }
    this.#firstPending ??= now;
    const wait = Math.max(0, Math.min(this.#holdOffMs, this.#firstPending + this.#maxDelayMs - now));
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#emit(), wait);
  }

  #emit(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#firstPending = undefined;
    this.#leading = false;
    this.#lastEmit = Date.now();
    const snapshot = this.#merge();
    this.#current = snapshot;
    for (const l of this.#listeners) l(snapshot);
  }

  #merge(): StoreSnapshot {
    const byKey = new Map<string, Resource>();
    const rejected: Rejected[] = [];
    for (const snap of this.#sources.values()) {
      for (const r of snap.resources) if (!byKey.has(resourceKey(r))) byKey.set(resourceKey(r), r);
      rejected.push(...snap.rejected);
    }
    this.#keepLastGood(byKey, rejected);
    this.#forgetGone(byKey);
    const resources = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, r]) => this.#stamp(key, r));
    return { version: ++this.#version, resources, rejected };
  }

  /** A resource whose latest version was rejected keeps serving its last good version. */
  #keepLastGood(byKey: Map<string, Resource>, rejected: Rejected[]): void {
    for (const [key, r] of byKey) this.#lastGood.set(key, r);
    for (const rej of rejected) {
      if (!rej.id) continue;
      const key = resourceKey(identityRef(rej.id));
      const good = this.#lastGood.get(key);
      if (good && !byKey.has(key)) byKey.set(key, good);
    }
  }

  #forgetGone(byKey: Map<string, Resource>): void {
    for (const key of this.#lastGood.keys()) if (!byKey.has(key)) this.#lastGood.delete(key);
    for (const key of this.#tracked.keys()) if (!byKey.has(key)) this.#tracked.delete(key);
  }

  #specHash(r: Resource): string {
    let hash = this.#hashes.get(r);
    if (hash === undefined) {
      hash = hashOf({ spec: r.spec, labels: r.metadata.labels });
      this.#hashes.set(r, hash);
    }
    return hash;
  }

  /**
   * Sets generation (the source's own, or bumped on every spec change) and keeps creationIndex only where the
   * source vouches for it.
   */
  #stamp(key: string, r: Resource): Resource {
    const specHash = this.#specHash(r);
    const prev = this.#tracked.get(key);
    const owned = this.#sourceOwned.has(r);
    const own = owned ? r.metadata.generation : undefined;
    const tracked: Tracked =
      prev && prev.specHash === specHash && (own === undefined || prev.generation === own) ? prev : { specHash, generation: own ?? (prev?.generation ?? 0) + 1 };
    this.#tracked.set(key, tracked);
    // The same source object with the same tracking gets the same stamped object back: unchanged resources
    // keep their identity from one snapshot to the next (less garbage, and caches keyed by object hold).
    const cached = this.#stamped.get(r);
    if (cached?.tracked === tracked) return cached.stamped;
    const { creationIndex, ...metadata } = r.metadata;
    const stamped = { ...r, metadata: { ...metadata, generation: tracked.generation, ...(owned && creationIndex !== undefined && { creationIndex }) } };
    this.#stamped.set(r, { tracked, stamped });
    return stamped;
  }
}

