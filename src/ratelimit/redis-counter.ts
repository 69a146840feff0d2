// The counters in Redis (node-redis). INCRBY and EXPIRE of one key are written together, and node-redis writes
// every command issued in the same tick in one socket write: concurrent decisions share round trips
// (auto-pipelining) with no batching window to tune. While Redis is away, commands fail at once (no offline
// queue: a decision must not wait for a reconnect) and the client reconnects by itself with back-off.
import { createClient } from 'redis';
import { Backoff } from '../lib/backoff.ts';
import { RateLimitError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { Counter } from './limiter.ts';

export interface RedisCounterOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  logger: Logger;
}

export class RedisCounter implements Counter {
  readonly #client;
  readonly #log: Logger;
  readonly #backoff = new Backoff({ initialMs: 100, maxMs: 5000 });
  #up = false;
  /** Whether the current outage was logged already. */
  #reported = false;
  /** Commands that failed (Redis unreachable or erroring), for the metrics. */
  errors = 0;

  constructor(opts: RedisCounterOptions) {
    this.#log = opts.logger;
    this.#client = createClient({
      url: opts.url,
      disableOfflineQueue: true,
      socket: { connectTimeout: 2000, reconnectStrategy: () => this.#backoff.next() },
    });
    // Without a listener an 'error' event would end the process; one line per outage, not per retry.
    this.#client.on('error', (err: Error) => this.#down(err));
    this.#client.on('ready', () => {
      this.#backoff.reset();
      this.#log.info('redis connected');
      this.#up = true;
      this.#reported = false;
    });
  }

  /** Resolves once connected; until then (and whenever Redis is away) increments fail. Never rejects. */
  async connect(): Promise<void> {
    await this.#client.connect().catch((err: Error) => this.#down(err));
  }

  get up(): boolean {
    return this.#up;
  }

  increment(key: string, hits: number, ttlSeconds: number): Promise<number> {
    const count = this.#client.incrBy(key, hits);
    // The key carries its window start, so an expiry from the latest hit is always long enough.
    this.#client.expire(key, ttlSeconds).catch(() => undefined);
    return count.catch((err: unknown) => {
      this.errors++;
      throw new RateLimitError(`redis: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    });
  }

  async close(): Promise<void> {
    if (this.#client.isOpen) await this.#client.close();
  }

  #down(err: Error): void {
    if (!this.#reported) this.#log.warn({ err: err.message }, 'redis unreachable; reconnecting (decisions fail open unless failureModeDeny)');
    this.#reported = true;
    this.#up = false;
  }
}
