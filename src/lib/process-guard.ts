// The last line of defence of a long-running Portico process (controller, up, extauth, ratelimit, echo): an
// error nothing caught (a throw in an event handler, a rejected promise nobody awaited) is logged with its
// context and the process keeps serving, instead of Node's default of exiting. The causes are fixed where
// they are found (no request may reach this); the guard is there for the one not found yet.
//
// Why keeping on is safe here, although Node warns that state after an uncaught exception may be
// inconsistent: Portico's servers keep each request's state in that request's closures, and the state they
// share (the xDS snapshot cache, the auth configuration, the rate-limit configuration) is swapped whole, never
// left half-edited by a failed request; so the request that threw is lost and nothing else. The other choice
// is worse: one bad request to the admin port would end the controller, and every Envoy's updates with it.
//
// What still exits: an error while starting (bad flags, unreadable files, a port in use: the guard is installed
// only once the process serves), more than ERROR_BUDGET unexpected errors within BUDGET_WINDOW_MS (a loop of
// failures means shared state is broken: exit code 70, and the supervisor restarts it), fatal errors that are
// not exceptions (out of memory, a V8 abort), and SIGINT/SIGTERM (a clean shutdown).
import type { Logger } from './logger.ts';

export const ERROR_BUDGET = 50;
export const BUDGET_WINDOW_MS = 60_000;
/** EX_SOFTWARE (sysexits.h): an internal error. */
export const EXIT_TOO_MANY_ERRORS = 70;
/** Longest error message logged: a message can quote input (a 1 MB header) and must not flood the log. */
const MAX_MESSAGE_CHARS = 1000;

export interface ProcessGuard {
  /** Unexpected errors caught since install. */
  readonly caught: number;
  uninstall(): void;
}

/**
 * Installs the handlers. Only `name`, `code`, `message` and `stack` of an error are logged, never its other
 * properties: those of some clients' errors carry request options, headers and so tokens.
 */
export function installProcessGuard(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): ProcessGuard {
  const recent: number[] = [];
  let caught = 0;
  const onError = (origin: string) => (err: unknown) => {
    caught++;
    logger.error({ origin, error: describe(err) }, 'unexpected error: the request or task it came from is lost; still serving');
    const now = Date.now();
    recent.push(now);
    while ((recent[0] ?? now) <= now - BUDGET_WINDOW_MS) recent.shift();
    if (recent.length > ERROR_BUDGET) {
      logger.fatal({ errors: recent.length, windowMs: BUDGET_WINDOW_MS }, 'too many unexpected errors: exiting so the supervisor starts a fresh process');
      exit(EXIT_TOO_MANY_ERRORS);
    }
  };
  const onException = onError('uncaughtException');
  const onRejection = onError('unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return {
    get caught() {
      return caught;
    },
    uninstall: () => {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    },
  };
}

function describe(err: unknown): Record<string, string | undefined> {
  if (!(err instanceof Error)) return { message: clip(String(err)) };
  const code = (err as NodeJS.ErrnoException).code;
  return { name: err.name, ...(code !== undefined && { code: String(code) }), message: clip(err.message), stack: err.stack?.split('\n').slice(1, 11).join('\n') };
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}… (${text.length} characters)` : text;
}
