// JWT bearer tokens checked against each provider's JWKS (fetched from a URL, cached and refreshed by jose, or
// inline), issuer, audiences and clock skew. No token or a token that does not verify: 401. A valid token whose
// claims fail requiredClaims: 403. Claims may be passed upstream as headers. The `sub` claim, when it is a string,
// is the request's principal.
// A token must carry `exp` unless its provider opts out (`requireExpiration: false`): a token without one would be
// good for ever. The algorithms a provider accepts follow its keys: an inline JWKS's keys name them (a key's `alg`,
// else its `kty`/`crv` family); a remote JWKS may use any public-key algorithm, and jose matches the token's `alg`
// to a key of that family. `none` and the HMAC algorithms (HS*, whose "key" would be a shared secret, and the
// classic confusion with a public key) are never accepted.
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, type JSONWebKeySet, type JWK, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { JwtAuthIr, JwtProviderIr } from '../contracts/extauth.ts';
import { allow, deny, type Decision, type Step } from './decision.ts';

/** After an unknown `kid`, wait this long before fetching the JWKS again (jose's rate limit of refetches). */
const REFETCH_COOLDOWN_MS = 10_000;
const CHALLENGE = { 'www-authenticate': 'Bearer' };

interface Provider {
  ir: JwtProviderIr;
  keys: JWTVerifyGetKey;
  algorithms: string[];
}

/** The public-key signature algorithms jose verifies, by key family. */
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGORITHMS: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
const OKP_ALGORITHMS: Record<string, string[]> = { Ed25519: ['EdDSA', 'Ed25519'] };
const PUBLIC_KEY_ALGORITHMS = [...RSA_ALGORITHMS, ...Object.values(EC_ALGORITHMS), ...Object.values(OKP_ALGORITHMS).flat()];

export function jwtStep(ir: JwtAuthIr): Step {
  const providers: Provider[] = ir.providers.map(provider);
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
    const options = {
      clockTolerance: p.ir.clockSkewSeconds,
      algorithms: p.algorithms,
      requiredClaims: p.ir.expirationOptional ? [] : ['exp'],
      ...(p.ir.issuer !== undefined && { issuer: p.ir.issuer }),
      ...(p.ir.audiences && { audience: p.ir.audiences }),
    };
    ({ payload } = await jwtVerify(token, p.keys, options));
  } catch (err) {
    // jose's codes (ERR_JWT_EXPIRED, ERR_JOSE_ALG_NOT_ALLOWED…) and a failed claim's name and why say what went
    // wrong without quoting the token.
    const { code, claim, reason } = err as { code?: string; claim?: string; reason?: string };
    return deny(401, `jwt: ${p.ir.name}: ${code ?? 'invalid token'}${claim ? ` (${claim} ${reason})` : ''}`, CHALLENGE);
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

function provider(ir: JwtProviderIr): Provider {
  if (!('inline' in ir.jwks)) {
    const { url, cacheMs, timeoutMs } = ir.jwks;
    const keys = createRemoteJWKSet(new URL(url), { timeoutDuration: timeoutMs, cacheMaxAge: cacheMs, cooldownDuration: Math.min(REFETCH_COOLDOWN_MS, cacheMs) });
    return { ir, keys, algorithms: PUBLIC_KEY_ALGORITHMS };
  }
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(ir.jwks.inline) as JSONWebKeySet;
  } catch {
    // JSON.parse's message quotes the text; say only what is wrong.
    throw new Error(`jwt provider ${ir.name}: the inline JWKS is not JSON`);
  }
  const keys = createLocalJWKSet(jwks); // throws on a malformed set ({"keys":[1]})
  // No public signing key (`{"keys": []}`, only `oct` keys): an empty list, and jose accepts no token.
  return { ir, keys, algorithms: [...new Set(jwks.keys.flatMap(algorithmsOf))] };
}

/** What a key may verify: its `alg` when it names one (and it is a public-key algorithm), else its family's. */
function algorithmsOf(key: JWK): string[] {
  if (key.alg !== undefined) return PUBLIC_KEY_ALGORITHMS.includes(key.alg) ? [key.alg] : [];
  if (key.kty === 'RSA') return RSA_ALGORITHMS;
  if (key.kty === 'EC') return EC_ALGORITHMS[key.crv ?? ''] ? [EC_ALGORITHMS[key.crv ?? ''] as string] : [];
  if (key.kty === 'OKP') return OKP_ALGORITHMS[key.crv ?? ''] ?? [];
  return []; // oct (a shared secret) and anything unknown
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
