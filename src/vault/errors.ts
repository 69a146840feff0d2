// Turns what node-vault throws (an ApiResponseError with Vault's answer, or an axios network error) into one
// VaultError naming Vault's address, the path and, for a 403, the capability the token lacks. The original
// error is deliberately NOT kept as `cause`: axios errors carry the request config, headers included
// (X-Vault-Token) and the body (an AppRole secret_id), and a logged cause would print them.
import { VaultError } from '../lib/errors.ts';

export interface VaultAction {
  /** e.g. `reading` */
  doing: string;
  /** The API path, e.g. `secret/data/portico/default/shop`. */
  path: string;
  /** The policy capability that would allow it, e.g. `read`. */
  needs: string;
}

export function vaultError(err: unknown, action: VaultAction, address: string): VaultError {
  if (err instanceof VaultError) return err;
  const status = statusOf(err);
  const at = `${action.doing} ${action.path} at Vault ${address}`;
  if (status === 403) {
    return new VaultError(`permission denied ${at}; the token needs "${action.needs}" on path "${action.path}" (see vault/portico-controller.hcl), or it expired`, { status });
  }
  if (status === 503) return new VaultError(`${at} failed: Vault is sealed or in standby (503)`, { status });
  if (status !== undefined) return new VaultError(`${at} failed: Vault answered ${status}: ${reasonOf(err)}`, { status });
  const code = (err as { code?: unknown } | undefined)?.code;
  return new VaultError(`${at} failed: ${typeof code === 'string' ? code : reasonOf(err)}`);
}

/** The HTTP status of a node-vault ApiResponseError. */
export function statusOf(err: unknown): number | undefined {
  const res = (err as { response?: { statusCode?: unknown } } | undefined)?.response;
  return typeof res?.statusCode === 'number' ? res.statusCode : undefined;
}

/** Vault's own error text (never a secret: Vault does not echo request bodies), cut short. */
function reasonOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}
