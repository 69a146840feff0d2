// Turns what the consul client throws (a connection error, or a ResponseError carrying the HTTP answer)
// into one ConsulError that says what Portico was doing and, for a 403, which ACL rule the token lacks.
import { ConsulError } from '../lib/errors.ts';

export interface ConsulAction {
  /** e.g. `reading portico/` */
  doing: string;
  /** The ACL rule that would allow it, e.g. `key_prefix "portico/" read`. */
  needs: string;
}

export function consulError(err: unknown, action: ConsulAction, where: string): ConsulError {
  const status = err instanceof ConsulError ? err.status : statusOf(err);
  const reason = err instanceof Error ? err.message : String(err);
  if (status === 403 && /ACL not found/i.test(reason)) {
    return new ConsulError(`${action.doing} at ${where}: Consul does not know the token (ACL not found); check consul.token / tokenFile`, { cause: err, status });
  }
  if (status === 403) {
    return new ConsulError(`permission denied ${action.doing} at ${where}; the token needs ${action.needs}`, { cause: err, status });
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why = status !== undefined ? `Consul answered ${status}: ${reason}` : `${code ?? reason}`;
  return new ConsulError(`${action.doing} at ${where} failed: ${why}`, { cause: err, ...(status !== undefined && { status }) });
}

function statusOf(err: unknown): number | undefined {
  const res = (err as { response?: { statusCode?: unknown } } | undefined)?.response;
  return typeof res?.statusCode === 'number' ? res.statusCode : undefined;
}
