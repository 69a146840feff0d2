// One Consul blocking query, run until stopped: each answer's X-Consul-Index is sent back so Consul holds the
// next request until something changes (or `wait` passes). Index rules as Consul documents them: an index
// that goes backwards (a snapshot restore, a new cluster) resets to 0; an index below 1 is treated as 1 so a
// buggy answer cannot turn the loop into a busy one; an unchanged index is a timeout, not a change. Errors
// back off with jitter and the loop goes on; it never ends by itself (unlike the client's `watch`, which
// stops for good on some errors).
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type BackoffOptions } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/logger.ts';

export interface BlockingAnswer<T> {
  index: bigint;
  value: T;
}

/** Fetches with `?index=&wait=`; must give up when `signal` aborts. */
export type BlockingFetch<T> = (index: bigint, signal: AbortSignal) => Promise<BlockingAnswer<T>>;

export interface BlockingQueryOptions<T> {
  fetch: BlockingFetch<T>;
  /** Called with the first answer and then with every answer whose index moved. */
  onChange: (value: T) => void;
  logger: Logger;
  backoff?: BackoffOptions;
}

const DEFAULT_BACKOFF: BackoffOptions = { minMs: 250, maxMs: 30_000 };

/** The index to send next, and whether the answer is news. */
export function nextIndex(previous: bigint, answered: bigint): { index: bigint; changed: boolean } {
  if (answered < previous) return { index: 0n, changed: true };
  const index = answered < 1n ? 1n : answered;
  return { index, changed: previous === 0n || answered !== previous };
}

export class BlockingQuery<T> {
  readonly #opts: BlockingQueryOptions<T>;
  readonly #abort = new AbortController();
  #running?: Promise<void>;

  constructor(opts: BlockingQueryOptions<T>) {
    this.#opts = opts;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Aborts the request in flight; resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    let index = 0n;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const answer = await this.#opts.fetch(index, signal);
        const next = nextIndex(index, answer.index);
        if (failures) this.#opts.logger.info({ failures }, 'blocking query recovered');
        failures = 0;
        index = next.index;
        if (next.changed) this.#opts.onChange(answer.value);
      } catch (err) {
        if (signal.aborted) return;
        failures += 1;
        const delayMs = backoffDelay(failures, this.#opts.backoff ?? DEFAULT_BACKOFF);
        this.#opts.logger.warn({ err, failures, delayMs }, 'blocking query failed; the last answer stays in use');
        await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
