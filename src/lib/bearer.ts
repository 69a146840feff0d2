// Bearer tokens (RFC 6750) for Portico's own endpoints: the ADS server and the admin endpoint.
import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an `authorization` header value carries `Bearer <token>`. The comparison is of SHA-256 digests in
 * constant time: timingSafeEqual needs equal lengths, and neither the token nor its length may leak.
 */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const given = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
  return timingSafeEqual(sha256(given), sha256(token));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
