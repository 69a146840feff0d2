// Exponential back-off with full jitter (AWS's "full jitter"): many watchers failing at once (Consul
// restarting) spread their retries instead of hammering it together.

export interface BackoffOptions {
  minMs: number;
  maxMs: number;
}

/** The delay before retry number `attempt` (1-based): uniform in [0, min(maxMs, minMs × 2^(attempt-1))], at least 1/4 of minMs. */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(opts.maxMs, opts.minMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(opts.minMs / 4, Math.round(random() * ceiling));
}
