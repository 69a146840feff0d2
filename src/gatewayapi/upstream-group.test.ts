import { test } from 'node:test';
import assert from 'node:assert/strict';
import { integerWeights } from './upstream-group.ts';

test('integer weights keep exact ratios across plain refs and group shares', () => {
  // 50 to a plain Upstream; 50 to a group split 3:1.
  assert.deepEqual(integerWeights([{ weight: 50, of: 1 }, { weight: 150, of: 4 }, { weight: 50, of: 4 }]), [200, 150, 50]);
  // Without groups the weights stay as written.
  assert.deepEqual(integerWeights([{ weight: 80, of: 1 }, { weight: 20, of: 1 }]), [80, 20]);
  // Two groups with different totals: scaled by the least common multiple (6).
  assert.deepEqual(integerWeights([{ weight: 1, of: 2 }, { weight: 1, of: 2 }, { weight: 2, of: 3 }, { weight: 1, of: 3 }]), [3, 3, 4, 2]);
});

test('weights that would overflow uint32 are rounded, never to 0', () => {
  const weights = integerWeights([{ weight: 1_000_000, of: 1 }, { weight: 1, of: 999_983 }, { weight: 999_982_000_000, of: 999_983 }]);
  assert.ok(weights.reduce((a, b) => a + b, 0) <= 4_294_967_295);
  assert.ok(weights.every((w) => w >= 1));
  assert.equal(weights[1], 1);
});
