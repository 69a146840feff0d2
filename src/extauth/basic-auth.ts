// HTTP basic auth (RFC 7617) against htpasswd-style hashes. Every failure is a 401 with the realm's challenge,
// whether the header is missing, malformed, or names an unknown user or a wrong password: the client learns no more.
// An unknown user's password is still checked, against another user's hash, so that timing does not tell
// which user names exist. The user name is the request's principal. When more bcrypt checks wait than the pool
// takes (bcrypt-pool.ts), a check is answered 503 at once: cached users still get in meanwhile.
import type { BasicAuthIr } from '../contracts/extauth.ts';
import { allow, deny, type Step } from './decision.ts';
import { verifyPassword } from './passwords.ts';

export function basicAuthStep(ir: BasicAuthIr): Step {
  const users = new Map(ir.users.map((u) => [u.user, u.hash]));
  const challenge = { 'www-authenticate': `Basic realm="${ir.realm}"` };
  const decoy = ir.users[0]?.hash;
  return async (input) => {
    const credentials = parseBasic(input.headers.authorization);
    if (!credentials) return deny(401, 'basic auth: no credentials', challenge);
    const hash = users.get(credentials.user);
    let ok: boolean;
    try {
      ok = await verifyPassword(credentials.password, hash ?? decoy ?? '');
    } catch (err) {
      // The bcrypt queue is full (a flood of uncached passwords): say so, and let the client retry later.
      return deny(503, `basic auth: ${(err as Error).message}`, { 'retry-after': '1' });
    }
    return ok && hash !== undefined ? allow({}, [], credentials.user) : deny(401, 'basic auth: wrong user or password', challenge);
  };
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const match = header && /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) } : undefined;
}
