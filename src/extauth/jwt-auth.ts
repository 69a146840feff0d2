// JWT bearer tokens checked against each provider's JWKS (fetched from a URL, cached and refreshed by jose, or
// inline), issuer, audiences and clock skew. No token or a token that does not verify: 401. A valid token whose
// claims fail requiredClaims: 403. Claims may be passed upstream as headers. The `sub` claim, when it is a string,
// is the request's principal.
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtAuthIr, JwtProviderIr } from '../ir/auth.ts';
import { allow, deny, type Decision, type Step } from './decision.ts';

/** After an unknown `kid`, wait this long before fetching the JWKS again (jose's rate limit of refetches). */
const REFETCH_COOLDOWN_MS = 10_000;
const CHALLENGE = { 'www-authenticate': 'Bearer' };

interface Provider {
  ir: JwtProviderIr;
  keys: JWTVerifyGetKey;
}

export function jwtStep(ir: JwtAuthIr): Step {
  const providers: Provider[] = ir.providers.map((p) => ({ ir: p, keys: keySet(p) }));
  const mapped = [...new Set(ir.providers.flatMap((p) => p.claimsToHeaders.map((c) => c.header)))];
  return async (input) => {
    const found = providers.map((p) => ({ p, token: tokenOf(input.headers, p.ir) })).filter((f) => f.token);
    if (!found.length) return deny(401, 'jwt: no token', CHALLENGE);
    const issuer = issuerOf(found[0]?.token as string);
    // The provider for the token's issuer; with none naming it, each provider that takes any issuer.
    const candidates = found.filter((f) => f.p.ir.issuer === issuer);
    let last: Decision = deny(401, 'jwt: no provider for the token\'s issuer', CHALLENGE);
    for (const { p, token } of candidates.length ? candidates : found.filter((f) => f.p.ir.issuer === undefined)) {
      last = await verify(p, token as string, mapped);
      if (last.allow) return last;
    }
    return last;
  };
}

async function verify(p: Provider, token: string, mapped: string[]): Promise<Decision> {
  let payload: JWTPayload;
  try {
    const options = { clockTolerance: p.ir.clockSkewSeconds, ...(p.ir.issuer !== undefined && { issuer: p.ir.issuer }), ...(p.ir.audiences && { audience: p.ir.audiences }) };
    ({ payload } = await jwtVerify(token, p.keys, options));
  } catch (err) {
    // jose's codes (ERR_JWT_EXPIRED, ERR_JWKS_TIMEOUT…) say why without quoting the token.
    return deny(401, `jwt: ${p.ir.name}: ${(err as { code?: string }).code ?? 'invalid token'}`, CHALLENGE);
  }
  const failed = Object.entries(p.ir.requiredClaims ?? {}).find(([claim, value]) => !claimHas(payload[claim], value));
  if (failed) return deny(403, `jwt: ${p.ir.name}: claim ${failed[0]} does not allow this request`);
  const headers: Record<string, string> = {};
  for (const { claim, header } of p.ir.claimsToHeaders) {
    const value = payload[claim];
    if (value !== undefined) headers[header] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return allow(headers, mapped.filter((h) => !(h in headers)), typeof payload.sub === 'string' ? payload.sub : undefined);
}

function keySet(p: JwtProviderIr): JWTVerifyGetKey {
  if ('inline' in p.jwks) return createLocalJWKSet(JSON.parse(p.jwks.inline));
  const { url, cacheMs, timeoutMs } = p.jwks;
  return createRemoteJWKSet(new URL(url), { timeoutDuration: timeoutMs, cacheMaxAge: cacheMs, cooldownDuration: Math.min(REFETCH_COOLDOWN_MS, cacheMs) });
}

function tokenOf(headers: Readonly<Record<string, string>>, p: JwtProviderIr): string | undefined {
  for (const { header, prefix } of p.sources) {
    const value = headers[header];
    if (value?.startsWith(prefix) && value.length > prefix.length) return value.slice(prefix.length).trim();
  }
  return undefined;
}

function issuerOf(token: string): string | undefined {
  try {
    return decodeJwt(token).iss;
  } catch {
    return undefined;
  }
}

/** A claim allows `value` when it is that value, a list holding it, or a space-separated list of it (`scope`). */
function claimHas(claim: unknown, value: string): boolean {
  if (Array.isArray(claim)) return claim.includes(value);
  if (typeof claim === 'string') return claim === value || claim.split(' ').includes(value);
  return claim !== undefined && String(claim) === value;
}
