import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binomialTolerance } from './statistics.ts';

// Reference values from the exact tail computed independently (Python, math.comb): for n=1000, p=0.8,
// P(|X-800| > 49) = 9.5e-5 and P(|X-800| > 48) = 1.3e-4.
test('binomialTolerance: the exact binomial tail', () => {
  assert.equal(binomialTolerance(1000, 0.8, 1e-4), 49);
  assert.equal(binomialTolerance(500, 0.8, 1e-4), 35);
  assert.ok(binomialTolerance(1000, 0.8) > 49, 'the suite asks for less than 1e-4');
});
