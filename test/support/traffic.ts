// Requests sent one after another while a test changes something (an edit, an outage, a failover), counted by
// answer. The loop ends with the test even when an assertion fails first, so a failed test cannot hang.
// Traffic over several paths is counted per path: a lost route on one path must not hide among the answers the
// other path may legitimately give.
import type { AfterHook } from './components.ts';

export interface Traffic {
  /** Ends the loop after the request in flight; resolves with the count of each answer. */
  stop(): Promise<Map<string, number>>;
  /** Every answer so far, in the order they came. */
  readonly answers: readonly string[];
}

/** `request` gives the answer to count (e.g. the status code, or `error <message>`); it should not throw. */
export function startTraffic(t: AfterHook, request: () => Promise<string | number>): Traffic {
  const seen = new Map<string, number>();
  const answers: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const answer = String(await request().catch((err: Error) => `error ${err.message}`));
      seen.set(answer, (seen.get(answer) ?? 0) + 1);
      answers.push(answer);
    }
  })();
  const stop = async () => {
    running = false;
    await loop;
    return seen;
  };
  t.after(stop);
  return { stop, answers };
}

/** Requests to each path in turn; each answer is counted as `<path> <answer>`. */
export function startPathTraffic(t: AfterHook, paths: readonly string[], request: (path: string) => Promise<string | number>): Traffic {
  let next = 0;
  return startTraffic(t, async () => {
    const path = paths[next++ % paths.length] as string;
    return `${path} ${await request(path).catch((err: Error) => `error ${err.message}`)}`;
  });
}

/** The answers one path got, in order, with repeats collapsed: `['200', '404']` is "200 until it became 404". */
export function phases(answers: readonly string[], path: string): string[] {
  const prefix = `${path} `;
  const mine = answers.filter((a) => a.startsWith(prefix)).map((a) => a.slice(prefix.length));
  return mine.filter((a, i) => i === 0 || a !== mine[i - 1]);
}

/** Answers other than the expected ones, for an assertion message that shows them all. */
export function unexpected(seen: Map<string, number>, expected: readonly string[]): [string, number][] {
  return [...seen].filter(([answer]) => !expected.includes(answer));
}
