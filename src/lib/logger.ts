// Structured logs (pino): JSON by default, pretty when stderr is a TTY or PORTICO_LOG_FORMAT=pretty.
import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  format?: 'json' | 'pretty';
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const format = opts.format ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (format === 'pretty') {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino({ level }, pino.destination(2));
}

/** A logger that drops everything: for pure code paths and unit tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
