// One Consul blocking query, run for as long as it is wanted. Written here rather than with the consul
// package's watch(): that watch ends for good on an HTTP 400 or a validation error (to be recreated by the
// caller), hides the error it stopped on inside an event, and gives no say over the back-off or the request
// timeout. This loop never ends until stop(), follows Consul's index rules (nextIndex), backs off with jitter
// on errors, and says when it fails and when it recovers, which is what the controller's health reports.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff, type BackoffOptions } from '../lib/backoff.ts';

/**
 * The index for the next request, after one that returned `returned` (X-Consul-Index) when `prev` was sent:
 * Consul asks clients to start over (index 0: answer at once, with everything) when the index goes
 * backwards (a restored snapshot, a new leader), and to treat an index below 1 (a bug that would make every
 * request return at once, spinning) as 1.
 */
export function nextIndex(prev: number, returned: number | undefined): number {
  if (returned === undefined || !Number.isFinite(returned) || returned < 1) return 1;
  if (returned < prev) return 0;
  return returned;
}

/** How long past the wait an answer may still come before the connection is presumed dead (a dead host, a
 *  half-open connection): one request that Consul never answers must not stall a watch for ever. */
export const REQUEST_MARGIN_MS = 10_000;

/**
 * The HTTP timeout for a request that asks Consul to block for `waitMs` (0: a plain read). Consul holds a
 * blocking query for the wait plus a random jitter of up to wait/16 (so that many watchers do not all come
 * back at once), so a timeout of just wait + margin could cut a healthy query on a quiet key short and
 * report Consul as down. Every blocking read in Portico takes its timeout from here.
 */
export function requestTimeoutMs(waitMs: number): number {
  return waitMs + Math.ceil(waitMs / 16) + REQUEST_MARGIN_MS;
}

/** What one blocking request returned: the index from X-Consul-Index (when there was one) and the data. */
export interface BlockingAnswer<T> {
  index: number | undefined;
  data: T;
}

export interface BlockingQueryOptions<T> {
  /** Sends one request blocking on `index`; `ctx` emits `cancel` on stop() (the consul client aborts on it). */
  query(index: number, ctx: EventEmitter): Promise<BlockingAnswer<T>>;
  /** Called with the data whenever the index moved (and on the first answer). */
  onData(data: T): void;
  /** Called on each failure with how long until the next try. */
  onError(err: unknown, retryInMs: number): void;
  /** Called on the first success after failures. */
  onRecovered(): void;
  backoff?: BackoffOptions;
  /** Least time between two requests (Consul asks clients to rate-limit blocking queries). Default 50 ms. */
  minIntervalMs?: number;
}

export class BlockingQuery<T> {
  readonly #opts: BlockingQueryOptions<T>;
  readonly #backoff: Backoff;
  readonly #ctx = new EventEmitter();
  readonly #stopping = new AbortController();
  #index = 0;
  #failing = false;
  #stopped = false;
  #loop?: Promise<void>;
  #first?: { resolve(): void; promise: Promise<void> };

  constructor(opts: BlockingQueryOptions<T>) {
    this.#opts = opts;
    this.#backoff = new Backoff(opts.backoff);
  }

  /** Starts the loop; resolves after the first answer or the first failure (the loop goes on either way). */
  start(): Promise<void> {
    const first = Promise.withResolvers<void>();
    this.#first = first;
    this.#loop = this.#run();
    return first.promise;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.abort();
    // `canceled` stops a request that had not started yet (the client checks it); `cancel` aborts one in flight.
    Object.assign(this.#ctx, { canceled: true });
    this.#ctx.emit('cancel');
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const started = Date.now();
      const wait = await this.#once();
      this.#first?.resolve();
      const pause = Math.max(wait, (this.#opts.minIntervalMs ?? 50) - (Date.now() - started));
      if (pause > 0 && !this.#stopped) await sleep(pause, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
    }
  }

  /** One request; returns how long to wait before the next. */
  async #once(): Promise<number> {
    let answer: BlockingAnswer<T>;
    try {
      answer = await this.#opts.query(this.#index, this.#ctx);
    } catch (err) {
      if (this.#stopped) return 0;
      this.#failing = true;
      const retryInMs = this.#backoff.next();
      this.#opts.onError(err, retryInMs);
      return retryInMs;
    }
    if (this.#stopped) return 0;
    this.#backoff.reset();
    if (this.#failing) {
      this.#failing = false;
      this.#opts.onRecovered();
    }
    const next = nextIndex(this.#index, answer.index);
    const changed = next !== this.#index || this.#index === 0;
    this.#index = next;
    if (changed) this.#opts.onData(answer.data);
    return 0;
  }
}
