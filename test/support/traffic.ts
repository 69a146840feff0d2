// Requests sent one after another while a test changes something (an edit, an outage, a failover), counted by
// answer. The loop ends with the test even when an assertion fails first, so a failed test cannot hang.
import type { AfterHook } from './components.ts';

export interface Traffic {
  /** Ends the loop after the request in flight; resolves with the count of each answer. */
  stop(): Promise<Map<string, number>>;
}

/** `request` gives the answer to count (e.g. the status code, or `error <message>`); it should not throw. */
export function startTraffic(t: AfterHook, request: () => Promise<string | number>): Traffic {
  const seen = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const answer = String(await request().catch((err: Error) => `error ${err.message}`));
      seen.set(answer, (seen.get(answer) ?? 0) + 1);
    }
  })();
  const stop = async () => {
    running = false;
    await loop;
    return seen;
  };
  t.after(stop);
  return { stop };
}

/** Answers other than the expected ones, for an assertion message that shows them all. */
export function unexpected(seen: Map<string, number>, expected: readonly string[]): [string, number][] {
  return [...seen].filter(([answer]) => !expected.includes(answer));
}
