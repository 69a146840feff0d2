// Statistical checks whose false-failure rate is computed, not guessed: a weighted split is a binomial draw per
// request (Envoy picks each request's backend at random by weight), so the tolerance comes from the exact
// binomial tail for the wanted rate.
import assert from 'node:assert/strict';

/** The false-failure rate the suite accepts for one statistical assertion (the issue asks for below 1e-4). */
export const FALSE_FAILURE_RATE = 1e-5;

/** The smallest k with P(|X - n·p| > k) < `alpha` for X ~ Binomial(n, p). */
export function binomialTolerance(n: number, p: number, alpha = FALSE_FAILURE_RATE): number {
  const logFactorial = [0];
  for (let i = 1; i <= n; i++) logFactorial[i] = (logFactorial[i - 1] as number) + Math.log(i);
  const lf = (i: number) => logFactorial[i] as number;
  const pmf = Array.from({ length: n + 1 }, (_, x) => Math.exp(lf(n) - lf(x) - lf(n - x) + x * Math.log(p) + (n - x) * Math.log(1 - p)));
  const mean = n * p;
  for (let k = 0; k <= n; k++) {
    const tail = pmf.reduce((sum, q, x) => (Math.abs(x - mean) > k ? sum + q : sum), 0);
    if (tail < alpha) return k;
  }
  return n;
}

/** Asserts that `name` got its `share` (0..1) of the `n` answers counted in `counts`, within the binomial tolerance. */
export function assertShare(counts: Record<string, number>, name: string, share: number, n: number): void {
  const k = binomialTolerance(n, share);
  const got = counts[name] ?? 0;
  assert.ok(Math.abs(got - n * share) <= k, `${name} got ${got} of ${n}, expected ${n * share} ± ${k} (P(false failure) < ${FALSE_FAILURE_RATE}); counts ${JSON.stringify(counts)}`);
}
