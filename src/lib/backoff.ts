// Exponential back-off with jitter: retries of many controllers against one server spread out instead of
// arriving together (each delay is drawn from [half, full] of the exponential step, capped at maxMs).

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  random?: () => number;
}

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.#initialMs = opts.initialMs ?? 250;
    this.#maxMs = opts.maxMs ?? 10_000;
    this.#random = opts.random ?? Math.random;
  }

  /** The delay before the next retry; each call doubles the step until maxMs. */
  next(): number {
    const step = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(step * (0.5 + this.#random() / 2));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
