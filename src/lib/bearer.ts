// Bearer tokens (RFC 6750) for Portico's own endpoints (the ADS server, the admin endpoint), and the
// constant-time comparison of secrets they and the ext-auth service use.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Whether an `authorization` header value carries `Bearer <token>`. */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const given = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
  return secretEquals(given, token);
}

/**
 * Compares two secrets in constant time. Their SHA-256 digests are compared: timingSafeEqual needs equal
 * lengths, and neither the secret nor its length may leak.
 */
export function secretEquals(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
