import { test } from 'node:test';
import assert from 'node:assert/strict';
import { durationMs } from './duration.ts';

test('Gateway API durations in milliseconds', () => {
  const cases: [string | undefined, number | undefined][] = [
    ['0s', 0],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['2m30s250ms', 150_250],
    ['1m1m', 120_000],
    ['1.5s', undefined],
    ['100000s', undefined],
    ['1h1m1s1ms1ms', undefined],
    ['10', undefined],
    [undefined, undefined],
  ];
  for (const [text, ms] of cases) assert.equal(durationMs(text), ms, String(text));
});
