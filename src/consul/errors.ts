// Turns what the consul client throws (a connection error, or a ResponseError carrying the HTTP answer)
// into one ConsulError that says what Portico was doing and, when Consul refused for want of a permission,
// which ACL rule the token lacks; for a TLS mismatch, what does not match and which setting to check.
// Consul refuses a request the token may not make with a 403, but an operation of a transaction (/v1/txn,
// the status writes) with a 409 whose Errors[].What says "Permission denied: … lacks permission …".
import { ConsulError } from '../lib/errors.ts';

export interface ConsulAction {
  /** e.g. `reading portico/` */
  doing: string;
  /** The ACL rule that would allow it, as policy HCL: `key_prefix "portico/" { policy = "read" }`. */
  needs: string;
}

export function consulError(err: unknown, action: ConsulAction, where: string): ConsulError {
  const status = err instanceof ConsulError ? err.status : statusOf(err);
  const reason = err instanceof Error ? err.message : String(err);
  if (status === 403 && /ACL not found/i.test(reason)) {
    return new ConsulError(`${action.doing} at ${where}: Consul does not know the token (ACL not found); check consul.token / tokenFile`, { cause: err, status });
  }
  const refused = txnErrors(err);
  if (status === 403 || (status === 409 && refused.some((what) => /^Permission denied/i.test(what)))) {
    // Consul's own words name the exact permission and key (the token's AccessorID, not secret, is left out).
    const lacks = /lacks permission '[^']+' on "[^"]*"/.exec([bodyOf(err), ...refused].join('\n'))?.[0];
    return new ConsulError(`permission denied ${action.doing} at ${where}${lacks ? ` (Consul: ${lacks})` : ''}; the token needs ${action.needs}`, { cause: err, status });
  }
  if (status === 409 && refused.length) {
    return new ConsulError(`${action.doing} at ${where} failed: Consul refused the transaction: ${refused.join('; ')}`, { cause: err, status });
  }
  const tls = tlsProblem(err);
  if (tls) return new ConsulError(`TLS mismatch with Consul at ${where} (${action.doing}): ${tls}`, { cause: err, ...(status !== undefined && { status }) });
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why = status !== undefined ? `Consul answered ${status}: ${reason}` : `${code ?? reason}`;
  return new ConsulError(`${action.doing} at ${where} failed: ${why}`, { cause: err, ...(status !== undefined && { status }) });
}

/** OpenSSL's verdicts on a server certificate no configured CA vouches for. */
const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

/**
 * A TLS mismatch between Portico and Consul in plain words, with the setting to check; undefined for any
 * other failure. Node reports these as OpenSSL codes and texts that do not say what to change.
 */
export function tlsProblem(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const text = err instanceof Error ? err.message : String(err);
  if (UNKNOWN_AUTHORITY.has(code)) return 'certificate signed by an unknown authority (check consul.tls.caFile / --consul-ca-file)';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the certificate is not for this address: ${(err as { reason?: string }).reason ?? text} (check the address or consul.tls.serverName)`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `the certificate ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'}`;
  if (/certificate required|bad certificate|unknown ca/i.test(`${code} ${text}`)) return 'Consul wants a client certificate it trusts (check consul.tls.certFile and keyFile / --consul-cert-file and --consul-key-file)';
  if (/wrong version number|packet length too long|http request/i.test(text) && /^(EPROTO|ERR_SSL_)/.test(code)) return 'the port answers plain HTTP, not TLS (use an http:// address, or the port of Consul\'s HTTPS listener)';
  if (statusOf(err) === 400 && /HTTP request to an HTTPS server/i.test(bodyOf(err))) return 'the port wants TLS and refused plain HTTP (use an https:// address and consul.tls.caFile)';
  return undefined;
}

/** The `What` of each failed operation in a refused transaction's answer (409, JSON `{Errors: [...]}`). */
function txnErrors(err: unknown): string[] {
  const body = (err as { response?: { body?: unknown } } | undefined)?.response?.body as { Errors?: unknown } | undefined;
  const errors = body && typeof body === 'object' && !Buffer.isBuffer(body) && Array.isArray(body.Errors) ? (body.Errors as Array<{ What?: unknown }>) : [];
  return errors.map((e) => String(e?.What ?? ''));
}

function bodyOf(err: unknown): string {
  const body = (err as { response?: { body?: unknown } } | undefined)?.response?.body;
  return Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
}

function statusOf(err: unknown): number | undefined {
  const res = (err as { response?: { statusCode?: unknown } } | undefined)?.response;
  return typeof res?.statusCode === 'number' ? res.statusCode : undefined;
}
