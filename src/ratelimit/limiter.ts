// The decision for one ShouldRateLimit call: match each descriptor, keep the rules that count (weights), then
// count each in its fixed window (a counter per `<domain>_<key>_<value>_…_<window start>`, as envoyproxy/ratelimit
// keys them) and compare. Keys already over the limit in this window are answered from the local cache. I/O is
// behind `Counter` (Redis in production) and time behind `now`, so this is tested without either.
import type { LimitConfig } from '../contracts/ratelimit.ts';
import { byPriority, type DomainMatcher, type Entry, type Match } from './matcher.ts';
import { OverLimitCache } from './over-limit-cache.ts';

/** Atomically adds `hits` to `key` (created with a time to live of `ttlSeconds`) and returns the new count. */
export interface Counter {
  increment(key: string, hits: number, ttlSeconds: number): Promise<number>;
}

export interface LimitRequest {
  domain: string;
  descriptors: { entries: Entry[] }[];
  hitsAddend?: number;
}

export type Code = 'OK' | 'OVER_LIMIT';

export interface DescriptorStatus {
  code: Code;
  /** The limit that decided (the one closest to its end when several apply); absent when none applies. */
  limit?: LimitConfig;
  remaining: number;
  /** Seconds until that limit's window ends. */
  resetSeconds: number;
}

export interface Decision {
  code: Code;
  statuses: DescriptorStatus[];
  /** Seconds until the first window that denied ends (the Retry-After header), when denied. */
  retryAfterSeconds?: number;
}

/** Running totals, read by the metrics at scrape time. */
export interface LimiterStats {
  decisions: number;
  overLimit: number;
  /** Over the limit in shadow mode: counted and reported, not denied. */
  shadowOverLimit: number;
  /** Answered over the limit from the local cache, without Redis. */
  cacheHits: number;
}

export interface LimiterOptions {
  counter: Counter;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /** Off: every request goes to Redis. Default on. */
  localCache?: boolean;
}

interface Counted {
  match: Match;
  count: number;
  /** Denied from the local cache (count unknown, over the limit). */
  cached: boolean;
}

export class Limiter {
  readonly stats: LimiterStats = { decisions: 0, overLimit: 0, shadowOverLimit: 0, cacheHits: 0 };
  readonly #counter: Counter;
  readonly #now: () => number;
  #cache?: OverLimitCache;
  #domains = new Map<string, DomainMatcher>();

  constructor(opts: LimiterOptions) {
    this.#counter = opts.counter;
    this.#now = opts.now ?? Date.now;
    if (opts.localCache ?? true) this.#cache = new OverLimitCache();
  }

  /**
   * Replaces the whole configuration (one matcher per domain). The local cache starts empty: a key it holds was
   * over the old limit, which a raised one may not be.
   */
  configure(domains: readonly DomainMatcher[]): void {
    this.#domains = new Map(domains.map((d) => [d.domain, d]));
    if (this.#cache) this.#cache = new OverLimitCache();
  }

  domain(name: string): DomainMatcher | undefined {
    return this.#domains.get(name);
  }

  /** Throws what the counter throws (Redis unreachable): the caller fails open or closed. */
  async decide(req: LimitRequest): Promise<Decision> {
    this.stats.decisions++;
    const matcher = this.#domains.get(req.domain);
    const nowMs = this.#now();
    const nowS = Math.floor(nowMs / 1000);
    const matches = byPriority(req.descriptors.map((d) => (matcher ? matcher.match(d.entries) : [])));
    // Envoy sends 0 for "one request".
    const hits = req.hitsAddend || 1;
    // Every increment is asked for before the first await, so they all reach Redis in one batch.
    const pending = matches.map((list) => list.map((m) => this.#count(m, hits, nowS)));
    const statuses: DescriptorStatus[] = [];
    for (const list of pending) statuses.push(this.#status(list.length === 1 ? [await (list[0] as Counted | Promise<Counted>)] : await Promise.all(list), nowS));
    const denied = statuses.filter((s) => s.code === 'OVER_LIMIT');
    if (!denied.length) return { code: 'OK', statuses };
    return { code: 'OVER_LIMIT', statuses, retryAfterSeconds: Math.max(...denied.map((s) => s.resetSeconds)) };
  }

  #count(match: Match, hits: number, nowS: number): Counted | Promise<Counted> {
    const { unitSeconds } = match.rule;
    const windowStart = nowS - (nowS % unitSeconds);
    const key = `${match.key}${windowStart}`;
    if (this.#cache?.has(key, nowS * 1000)) {
      this.stats.cacheHits++;
      return { match, count: 0, cached: true };
    }
    return this.#counter.increment(key, hits, unitSeconds).then((count) => {
      const { rule } = match;
      // Shadow-mode keys stay out of the cache: they must keep counting in Redis to report true numbers.
      if (count > rule.limit.requestsPerUnit && !rule.shadowMode) this.#cache?.add(key, (windowStart + unitSeconds) * 1000);
      return { match, count, cached: false };
    });
  }

  /** One descriptor's status from its counted rules: the rule nearest its limit decides. */
  #status(list: readonly Counted[], nowS: number): DescriptorStatus {
    let worst: DescriptorStatus | undefined;
    for (const c of list) {
      const { limit, unitSeconds, shadowMode } = c.match.rule;
      const over = c.cached || c.count > limit.requestsPerUnit;
      if (over && shadowMode) this.stats.shadowOverLimit++;
      else if (over) this.stats.overLimit++;
      const status: DescriptorStatus = {
        code: over && !shadowMode ? 'OVER_LIMIT' : 'OK',
        limit,
        remaining: over ? 0 : limit.requestsPerUnit - c.count,
        resetSeconds: unitSeconds - (nowS % unitSeconds),
      };
      if (!worst || rank(status) < rank(worst)) worst = status;
    }
    return worst ?? { code: 'OK', remaining: 0, resetSeconds: 0 };
  }
}

/** Denials first, then the fewest requests left. */
function rank(s: DescriptorStatus): number {
  return s.code === 'OVER_LIMIT' ? -1 : s.remaining;
}
