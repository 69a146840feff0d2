// The counters in Redis (node-redis). Every increment asked for in one turn of the event loop (all the
// decisions of the gRPC frames read together) goes to Redis as ONE script call: INCRBY of each key, and EXPIRE
// of the keys it created, atomically. One command per batch instead of two per key keeps the client's
// per-command cost (the bottleneck of a Node service) off the hot path, and a key never exists without its
// expiry. The batch window is the event loop turn itself: nothing to tune, no added latency when idle.
// While Redis is away, commands fail at once (no offline queue: a decision must not wait for a reconnect) and
// the client reconnects by itself with back-off. Single Redis (not Cluster): a script's keys must share a node.
import { createHash } from 'node:crypto';
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

/** KEYS: the counters; ARGV: hits and time to live of each, in turn. Returns the new counts. */
const SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local hits = tonumber(ARGV[2 * i - 1])
  local n = redis.call('INCRBY', key, hits)
  if n == hits then redis.call('EXPIRE', key, ARGV[2 * i]) end
  out[i] = n
end
return out`;
const SCRIPT_SHA = createHash('sha1').update(SCRIPT).digest('hex');
/** Redis runs one script at a time: a bound on the keys of one keeps any call short for the other clients. */
const MAX_BATCH = 512;

interface Pending {
  keys: string[];
  args: string[];
  settle: { resolve(n: number): void; reject(err: Error): void }[];
}

export class RedisCounter implements Counter {
  readonly #client;
  readonly #log: Logger;
  readonly #backoff = new Backoff({ initialMs: 100, maxMs: 5000 });
  #pending?: Pending;
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
    let batch = this.#pending;
    if (!batch || batch.keys.length >= MAX_BATCH) {
      const next: Pending = { keys: [], args: [], settle: [] };
      setImmediate(() => void this.#flush(next));
      batch = this.#pending = next;
    }
    batch.keys.push(key);
    batch.args.push(String(hits), String(ttlSeconds));
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    batch.settle.push({ resolve, reject });
    return promise;
  }

  async close(): Promise<void> {
    if (this.#client.isOpen) await this.#client.close();
  }

  async #flush(batch: Pending): Promise<void> {
    if (this.#pending === batch) this.#pending = undefined;
    try {
      const counts = (await this.#run(batch)) as number[];
      batch.settle.forEach((s, i) => s.resolve(counts[i] as number));
    } catch (err) {
      this.errors++;
      const failure = new RateLimitError(`redis: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      for (const s of batch.settle) s.reject(failure);
    }
  }

  /** By hash; a Redis that does not know the script yet (a restart) is sent its text, which it then keeps. */
  async #run(batch: Pending): Promise<unknown> {
    const options = { keys: batch.keys, arguments: batch.args };
    try {
      return await this.#client.evalSha(SCRIPT_SHA, options);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return this.#client.eval(SCRIPT, options);
    }
  }

  #down(err: Error): void {
    if (!this.#reported) this.#log.warn({ err: err.message }, 'redis unreachable; reconnecting (decisions fail open unless failureModeDeny)');
    this.#reported = true;
    this.#up = false;
  }
}
