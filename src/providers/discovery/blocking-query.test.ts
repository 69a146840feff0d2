import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLogger } from '../../lib/logger.ts';
import { BlockingQuery, nextIndex, type BlockingAnswer } from './blocking-query.ts';

test('nextIndex: first answer and moved index are news; same index is a timeout; backwards resets to 0; below 1 becomes 1', () => {
  assert.deepEqual(nextIndex(0n, 7n), { index: 7n, changed: true });
  assert.deepEqual(nextIndex(7n, 7n), { index: 7n, changed: false });
  assert.deepEqual(nextIndex(7n, 9n), { index: 9n, changed: true });
  assert.deepEqual(nextIndex(9n, 3n), { index: 0n, changed: true });
  assert.deepEqual(nextIndex(0n, 0n), { index: 1n, changed: true });
});

test('BlockingQuery: sends the index back, reports changes only, backs off after errors and keeps going, stops at once', async () => {
  const script: (BlockingAnswer<string> | Error)[] = [
    { index: 5n, value: 'a' },
    { index: 5n, value: 'a' },
    new Error('consul down'),
    { index: 6n, value: 'b' },
    { index: 2n, value: 'c' },
  ];
  const sent: bigint[] = [];
  const seen: string[] = [];
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  const query = new BlockingQuery<string>({
    fetch: async (index, signal) => {
      sent.push(index);
      const next = script.shift();
      if (!next) {
        release();
        // Held like a real blocking query until stop() aborts it.
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
      }
      if (next instanceof Error) throw next;
      return next;
    },
    onChange: (v) => seen.push(v),
    logger: silentLogger,
    backoff: { minMs: 1, maxMs: 5 },
  });
  query.start();
  await done;
  await query.stop();
  assert.deepEqual(seen, ['a', 'b', 'c']);
  assert.deepEqual(sent, [0n, 5n, 5n, 5n, 6n, 0n]);
});
