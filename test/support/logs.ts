// A pino logger that keeps every line in memory, for tests that check what is (and is not) logged —
// e.g. that no secret value ever reaches a log line.
import { pino, type Logger } from 'pino';

export interface CapturedLogs {
  logger: Logger;
  /** Every line logged so far, parsed. */
  readonly entries: Record<string, unknown>[];
  /** Every line logged so far, as written. */
  text(): string;
}

export function captureLogs(level = 'debug'): CapturedLogs {
  const raw: string[] = [];
  const logger = pino({ level }, { write: (line: string) => void raw.push(line) });
  return {
    logger,
    get entries() {
      return raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}
