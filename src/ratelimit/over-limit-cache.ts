// Counter keys already over their limit in the current window (envoyproxy/ratelimit's local cache): a request
// for such a key is denied without asking Redis, which takes the load of a client hammering a limit it has hit.
// The key includes the window start, so an entry is useless once its window ends; it is dropped then.

/** Bounded: past `maxEntries` the oldest entry goes (Map keeps insertion order). */
export class OverLimitCache {
  readonly #expiresAt = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(maxEntries = 100_000) {
    this.#maxEntries = maxEntries;
  }

  has(key: string, nowMs: number): boolean {
    const until = this.#expiresAt.get(key);
    if (until === undefined) return false;
    if (until > nowMs) return true;
    this.#expiresAt.delete(key);
    return false;
  }

  add(key: string, untilMs: number): void {
    if (this.#expiresAt.size >= this.#maxEntries) {
      const oldest = this.#expiresAt.keys().next().value;
      if (oldest !== undefined) this.#expiresAt.delete(oldest);
    }
    this.#expiresAt.set(key, untilMs);
  }
}
