import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockingQuery, nextIndex, REQUEST_MARGIN_MS, requestTimeoutMs, type BlockingAnswer } from './blocking.ts';

test('nextIndex: follows the index, resets to 0 when it goes backwards, never blocks on less than 1', () => {
  assert.equal(nextIndex(0, 7), 7);
  assert.equal(nextIndex(7, 7), 7, 'a wait that timed out keeps the index');
  assert.equal(nextIndex(7, 9), 9);
  assert.equal(nextIndex(9, 4), 0, 'backwards (snapshot restore, new leader): start over');
  assert.equal(nextIndex(9, 0), 1, 'a zero index is treated as 1');
  assert.equal(nextIndex(0, -3), 1);
  assert.equal(nextIndex(5, undefined), 1, 'no X-Consul-Index header');
  assert.equal(nextIndex(5, Number.NaN), 1);
});

test('requestTimeoutMs: outlasts the longest hold Consul may make (wait + wait/16 jitter), plus a margin', () => {
  for (const waitMs of [1000, 60_000, 300_000, 600_000]) {
    const timeout = requestTimeoutMs(waitMs);
    assert.ok(timeout >= waitMs + waitMs / 16 + REQUEST_MARGIN_MS, `${waitMs} ms wait: ${timeout} ms`);
    assert.ok(timeout <= waitMs + waitMs / 16 + REQUEST_MARGIN_MS + 1, 'no more than that: a dead connection is noticed');
  }
  assert.equal(requestTimeoutMs(300_000), 328_750, "Consul's default wait of 5 minutes");
  assert.equal(requestTimeoutMs(0), REQUEST_MARGIN_MS, 'a plain read gets the margin alone');
});

test('BlockingQuery: data on index moves only, back-off on errors, recovery reported, stop aborts a pending request', async () => {
  // A fake Consul (unit test only): answers from a script, then blocks until cancelled.
  const script: Array<BlockingAnswer<string> | Error> = [
    { index: 5, data: 'a' },
    { index: 5, data: 'a' },
    new Error('connect ECONNREFUSED'),
    new Error('connect ECONNREFUSED'),
    { index: 8, data: 'b' },
    { index: 3, data: 'c' },
    { index: 4, data: 'd' },
  ];
  const sent: number[] = [];
  const events: string[] = [];
  const delays: number[] = [];
  let done!: () => void;
  const drained = new Promise<void>((r) => (done = r));
  const q = new BlockingQuery<string>({
    query: async (index, ctx) => {
      sent.push(index);
      const next = script.shift();
      if (next instanceof Error) throw next;
      if (next) return next;
      done();
      return new Promise((_, reject) => ctx.once('cancel', () => reject(new Error('aborted'))));
    },
    onData: (d) => events.push(`data ${d}`),
    onError: (err, retryInMs) => {
      events.push(`error ${(err as Error).message}`);
      delays.push(retryInMs);
    },
    onRecovered: () => events.push('recovered'),
    backoff: { initialMs: 4, maxMs: 8, random: () => 1 },
    minIntervalMs: 0,
  });
  await q.start();
  await drained;
  await q.stop();
  assert.deepEqual(sent, [0, 5, 5, 5, 5, 8, 0, 4]);
  assert.deepEqual(events, ['data a', 'error connect ECONNREFUSED', 'error connect ECONNREFUSED', 'recovered', 'data b', 'data c', 'data d']);
  assert.deepEqual(delays, [4, 8], 'doubling up to the cap (jitter pinned)');
});
