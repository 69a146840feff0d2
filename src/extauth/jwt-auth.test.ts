// The JWT step's rules with tokens made by jose: `exp` required unless the provider opts out, and the algorithms
// its keys allow (a key's `alg`, else its family), never `none` nor HMAC with a public key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK } from 'jose';
import type { JwtProviderIr } from '../contracts/extauth.ts';
import type { Decision } from './decision.ts';
import { jwtStep } from './jwt-auth.ts';

const SOURCES = [{ header: 'authorization', prefix: 'Bearer ' }];
const provider = (keys: JWK[], extra: Partial<JwtProviderIr> = {}): JwtProviderIr => ({
  name: 'p',
  jwks: { inline: JSON.stringify({ keys }) },
  sources: SOURCES,
  claimsToHeaders: [],
  clockSkewSeconds: 0,
  ...extra,
});
const check = (p: JwtProviderIr, token: string) => jwtStep({ providers: [p] })({ headers: { authorization: `Bearer ${token}` }, path: '/', method: 'GET', raw: new Uint8Array() });
const outcome = (d: Decision) => (d.allow ? 200 : `${d.status} ${d.reason}`);

// A KeyObject, not a CryptoKey: a CryptoKey is bound to one algorithm, and these tests sign with several.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k' };
const sign = (alg: string, exp?: string | number) => {
  const jwt = new SignJWT({ sub: 'ada' }).setProtectedHeader({ alg, kid: 'k' });
  return (exp === undefined ? jwt : jwt.setExpirationTime(exp)).sign(rsa.privateKey);
};

test('jwt: a token without exp is refused (401) unless the provider opts out; an expired one is refused', async () => {
  const required = provider([{ ...rsaJwk, alg: 'RS256' }]);
  assert.equal(outcome(await check(required, await sign('RS256', '1m'))), 200);
  assert.equal(outcome(await check(required, await sign('RS256'))), '401 jwt: p: ERR_JWT_CLAIM_VALIDATION_FAILED (exp missing)');
  assert.equal(outcome(await check({ ...required, expirationOptional: true }, await sign('RS256'))), 200, 'opted out');
  assert.equal(outcome(await check(required, await sign('RS256', Math.floor(Date.now() / 1000) - 60))), '401 jwt: p: ERR_JWT_EXPIRED (exp check_failed)');
  assert.equal(outcome(await check({ ...required, expirationOptional: true }, await sign('RS256', Math.floor(Date.now() / 1000) - 60))), '401 jwt: p: ERR_JWT_EXPIRED (exp check_failed)', 'opting out accepts no exp, not an expired one');
});

test('jwt: the algorithms follow the keys: a key\'s alg, else its family; none and HMAC never', async () => {
  const pinned = provider([{ ...rsaJwk, alg: 'RS256' }]);
  assert.match(String(outcome(await check(pinned, await sign('PS256', '1m')))), /^401 jwt: p: ERR_JOSE_ALG_NOT_ALLOWED/, 'same RSA key, another alg than the key names');
  const family = provider([rsaJwk]);
  assert.equal(outcome(await check(family, await sign('PS256', '1m'))), 200, 'no alg on the key: its family (RSA: RS*, PS*)');
  const ec = await generateKeyPair('ES256');
  const ecOnly = provider([{ ...(await exportJWK(ec.publicKey)), kid: 'k' }]);
  assert.match(String(outcome(await check(ecOnly, await sign('RS256', '1m')))), /^401 jwt: p: ERR_JOSE_ALG_NOT_ALLOWED/, 'an RS256 token against an EC-only JWKS');
  const none = new UnsecuredJWT({ sub: 'ada' }).setExpirationTime('1m').encode();
  assert.match(String(outcome(await check(family, none))), /^401 /, 'alg none');
  // The classic confusion: HS256 "signed" with the RSA public key as the HMAC secret.
  const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${b64({ alg: 'HS256', kid: 'k' })}.${b64({ sub: 'ada', exp: Math.floor(Date.now() / 1000) + 60 })}`;
  const forged = `${unsigned}.${createHmac('sha256', pem).update(unsigned).digest('base64url')}`;
  assert.match(String(outcome(await check(family, forged))), /^401 jwt: p: ERR_JOSE_ALG_NOT_ALLOWED/, 'HS256 with the public key');
});

test('jwt: an inline JWKS jose cannot read fails at compile time, saying why without quoting it', () => {
  assert.throws(() => jwtStep({ providers: [provider([1 as unknown as JWK])] }), /JSON Web Key Set malformed/);
  assert.throws(() => jwtStep({ providers: [{ ...provider([]), jwks: { inline: '{"keys": [' } }] }), { message: 'jwt provider p: the inline JWKS is not JSON' });
});

test('jwt: a JWKS with no public signing key (empty, or only a shared secret) accepts no token', async () => {
  for (const keys of [[], [{ kty: 'oct', k: 'c2VjcmV0', alg: 'HS256' }]]) {
    assert.match(String(outcome(await check(provider(keys), await sign('RS256', '1m')))), /^401 jwt: p: ERR_JOSE_ALG_NOT_ALLOWED/);
  }
});
