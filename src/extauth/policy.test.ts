// The policy core without Envoy: each step's allow/deny and status, the principal it establishes, booleanExpr,
// the bcrypt cache, and the wire form of decisions.
import { createServer } from 'node:http';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { AuthConfigIr, AuthStepIr } from '../contracts/extauth.ts';
import { envoyRoot } from '../xds/protos.ts';
import { decodeCheckResponse, encodeCheckResponse } from './check-protocol.ts';
import type { Allow, CheckInput, Decision } from './decision.ts';
import { parseExpr } from '../contracts/auth-expr.ts';
import { parseHtpasswd } from '../lib/htpasswd.ts';
import { verifyPassword } from './passwords.ts';
import { compileAuthConfig } from './policy.ts';

const HTPASSWD = `# comment
alice:$apr1$abcdefgh$Zo4a.zRe7RtZNr9rQ8xtC1
bob:$2y$04$dZjReJH7S66bVQJurxR9qeW7Vg2S1mrtiHawURRcHQy4xEZvOag3K
carol:{SHA}hsAaMBat8aKiQgxhKhAqvbXOPbw=
dave:plaintext
alice:$apr1$abcdefgh$Zo4a.zRe7RtZNr9rQ8xtC1
erin:$2b$04$iGudxJCRzQ0G8rAJ6uQp5O1xYfN7j3IPIGZQKDUeRbL53q0JMcEma`;

const input = (headers: Record<string, string> = {}): CheckInput => ({ headers, path: '/', method: 'GET', raw: new Uint8Array() });
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const check = (steps: AuthStepIr[], headers: Record<string, string>, expr?: string): Promise<Decision> => {
  const parsed = expr === undefined ? undefined : parseExpr(expr);
  const ir: AuthConfigIr = { name: 'ns/a', steps, ...(parsed && 'expr' in parsed && { expr: parsed.expr }) };
  return compileAuthConfig(ir).check(input(headers));
};
const statusOf = (d: Decision) => (d.allow ? 200 : d.status);

const BASIC: AuthStepIr = {
  name: 'users',
  basic: { realm: 'gloo', users: [{ user: 'test', hash: '$apr1$n28wuo5p$NLFTUNkXaht0g/2GJjUM51' }, ...parseHtpasswd(HTPASSWD).users.map((u) => ({ ...u }))] },
};
const apiKeys = (required: boolean): AuthStepIr => ({
  name: 'keys',
  apiKey: {
    header: 'api-key',
    keys: [{ key: 'k-123', secret: 'ns/a', metadata: { org: 'solo.io' } }, { key: 'k-456', secret: 'ns/b', metadata: {} }],
    headersFromMetadata: [{ header: 'x-org', entry: 'org', required }],
  },
});
const KEYS = apiKeys(false);

test('htpasswd: the three supported kinds; other hashes and repeated users are reported by line, never quoted', () => {
  const parsed = parseHtpasswd(HTPASSWD);
  assert.deepEqual(parsed.users.map((u) => u.user), ['alice', 'bob', 'carol', 'erin']);
  assert.deepEqual(parsed.problems, [
    'line 5 (user dave): unsupported hash; use $apr1$, bcrypt ($2y$/$2b$) or {SHA}',
    'line 6: user alice appears again; the first entry is used',
  ]);
});

test('basic auth: the walkthrough credentials and each htpasswd kind; the user is the principal; failures are 401 with the challenge', async () => {
  for (const [user, password] of [['test', 'test123'], ['alice', 'alice-pw'], ['bob', 'bob-pw'], ['carol', 'carol-pw'], ['erin', 'erin-pw']] as const) {
    assert.deepEqual(await check([BASIC], basic(user, password)), { allow: true, headers: {}, remove: [], userId: user }, user);
  }
  assert.equal(statusOf(await check([BASIC], basic('erin', 'bob-pw'))), 401, 'a $2b$ entry checks its password');
  for (const headers of [{}, basic('test', 'nope'), basic('nobody', 'test123'), { authorization: 'Basic !!!' }]) {
    const d = await check([BASIC], headers);
    assert.ok(!d.allow);
    assert.equal(d.status, 401);
    assert.deepEqual(d.headers, { 'www-authenticate': 'Basic realm="gloo"' });
  }
});

test('a verified bcrypt password is cached: the second check does not pay bcrypt again', async () => {
  const hash = bcrypt.hashSync('slow-pw', 10).replace(/^\$2b\$/, '$2y$');
  let started = performance.now();
  assert.equal(await verifyPassword('slow-pw', hash), true);
  const cold = performance.now() - started;
  started = performance.now();
  assert.equal(await verifyPassword('slow-pw', hash), true);
  assert.ok(performance.now() - started < cold / 10, `cached ${performance.now() - started} ms vs cold ${cold} ms`);
  assert.equal(await verifyPassword('other', hash), false);
});

test('API keys: known key → allow with its metadata header, its Secret the principal; forged metadata headers are removed; unknown → 401', async () => {
  assert.deepEqual(await check([KEYS], { 'api-key': 'k-123' }), { allow: true, headers: { 'x-org': 'solo.io' }, remove: [], userId: 'ns/a' });
  assert.deepEqual(await check([KEYS], { 'api-key': 'k-456', 'x-org': 'forged' }), { allow: true, headers: {}, remove: ['x-org'], userId: 'ns/b' });
  assert.equal(statusOf(await check([KEYS], { 'api-key': 'k-789' })), 401);
  assert.equal(statusOf(await check([KEYS], {})), 401);
  assert.equal(statusOf(await check([apiKeys(true)], { 'api-key': 'k-456' })), 401, 'a required entry is missing');
});

test('JWT with an inline JWKS: valid → claims as headers, sub the principal; missing, expired, wrong issuer or audience → 401; claim rule → 403', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'ES256' }] });
  const step: AuthStepIr = {
    name: 'jwt',
    jwt: {
      providers: [
        {
          name: 'p',
          issuer: 'https://iss',
          audiences: ['api'],
          jwks: { inline: jwks },
          sources: [{ header: 'authorization', prefix: 'Bearer ' }],
          claimsToHeaders: [{ claim: 'sub', header: 'x-sub' }],
          clockSkewSeconds: 30,
          requiredClaims: { scope: 'read' },
        },
      ],
    },
  };
  const sign = (claims: object, aud = 'api', exp: string | number = '1m', iss = 'https://iss') =>
    new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k' }).setIssuer(iss).setAudience(aud).setExpirationTime(exp).sign(privateKey);
  const bearer = async (token: Promise<string>) => ({ authorization: `Bearer ${await token}` });
  assert.deepEqual(await check([step], await bearer(sign({ sub: 'ada', scope: 'read write' }))), { allow: true, headers: { 'x-sub': 'ada' }, remove: [], userId: 'ada' });
  assert.deepEqual(await check([step], await bearer(sign({ scope: 'read' }))), { allow: true, headers: {}, remove: ['x-sub'] }, 'no sub: no principal');
  assert.equal(statusOf(await check([step], await bearer(sign({ sub: 'ada', scope: 'read' }, 'api', '1m', 'https://other')))), 401, 'signed by the right key, wrong issuer');
  assert.equal(statusOf(await check([step], {})), 401);
  assert.equal(statusOf(await check([step], await bearer(sign({ scope: 'read' }, 'other')))), 401);
  assert.equal(statusOf(await check([step], await bearer(sign({ scope: 'read' }, 'api', Math.floor(Date.now() / 1000) - 120)))), 401);
  // Within the clock skew, an expired token still passes.
  assert.equal(statusOf(await check([step], await bearer(sign({ scope: 'read' }, 'api', Math.floor(Date.now() / 1000) - 10)))), 200);
  assert.equal(statusOf(await check([step], await bearer(sign({ scope: 'write' })))), 403);
});

test('JWKS from a URL: a rotated key is fetched again; a JWKS that does not answer in time → 401', async (t) => {
  const keys = await Promise.all(['a', 'b'].map(async (kid) => ({ kid, pair: await generateKeyPair('ES256') })));
  let served = [keys[0]!];
  let hang = false;
  const server = createServer(async (_req, res) => {
    if (hang) return; // never answers
    const jwks = await Promise.all(served.map(async (k) => ({ ...(await exportJWK(k.pair.publicKey)), kid: k.kid, alg: 'ES256' })));
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: jwks }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    server.closeAllConnections(); // the hanging request
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`;
  const step = (timeoutMs: number): AuthStepIr => ({
    name: 'jwt',
    jwt: { providers: [{ name: 'p', jwks: { url, cacheMs: 100, timeoutMs }, sources: [{ header: 'authorization', prefix: 'Bearer ' }], claimsToHeaders: [], clockSkewSeconds: 0 }] },
  });
  const token = (k: (typeof keys)[number]) => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: k.kid }).setExpirationTime('1m').sign(k.pair.privateKey);
  const authorizer = compileAuthConfig({ name: 'ns/a', steps: [step(2000)] });
  const bearer = async (k: (typeof keys)[number]) => input({ authorization: `Bearer ${await token(k)}` });
  assert.equal(statusOf(await authorizer.check(await bearer(keys[0]!))), 200);
  served = [keys[1]!];
  await new Promise((r) => setTimeout(r, 150)); // past the refetch cool-down
  assert.equal(statusOf(await authorizer.check(await bearer(keys[1]!))), 200, 'the new key is fetched');
  hang = true;
  const slow = await compileAuthConfig({ name: 'ns/b', steps: [step(200)] }).check(await bearer(keys[1]!));
  assert.ok(!slow.allow && slow.status === 401 && slow.reason.includes('ERR_JWKS_TIMEOUT'), JSON.stringify(slow));
});

test('booleanExpr: && binds tighter than ||; any-of returns the first denial; all-of stops at the first', async () => {
  assert.deepEqual(parseExpr('a || b && (c || d)'), { expr: { any: [{ step: 'a' }, { all: [{ step: 'b' }, { any: [{ step: 'c' }, { step: 'd' }] }] }] } });
  assert.deepEqual(parseExpr('a &&'), { error: 'unexpected end of expression' });
  assert.equal(statusOf(await check([BASIC, KEYS], { 'api-key': 'k-123' }, 'users || keys')), 200);
  const neither = await check([BASIC, KEYS], {}, 'users || keys');
  assert.ok(!neither.allow && neither.reason.startsWith('basic auth'));
  const allOf = await check([BASIC, KEYS], { ...basic('test', 'test123') });
  assert.ok(!allOf.allow && allOf.reason.startsWith('api key'));
  assert.equal(statusOf(await check([BASIC, KEYS], { ...basic('test', 'test123'), 'api-key': 'k-123' })), 200);
});

test('booleanExpr principals: an any-of takes the allowing branch\'s, an all-of its first step\'s that has one', async () => {
  const userOf = async (headers: Record<string, string>, expr?: string) => {
    const d = await check([BASIC, KEYS], headers, expr);
    return d.allow ? d.userId : `denied ${d.status}`;
  };
  assert.equal(await userOf({ 'api-key': 'k-123' }, 'users || keys'), 'ns/a');
  assert.equal(await userOf(basic('alice', 'alice-pw'), 'users || keys'), 'alice');
  assert.equal(await userOf({ ...basic('alice', 'alice-pw'), 'api-key': 'k-123' }), 'alice');
  assert.equal(await userOf({ ...basic('alice', 'alice-pw'), 'api-key': 'k-123' }, 'keys && users'), 'ns/a');
});

test('decisions round-trip through CheckResponse; the principal travels as dynamic_metadata.userId', () => {
  const allowed: Decision = { allow: true, headers: { 'x-user': 'ada' }, remove: ['x-org'] };
  assert.deepEqual(decodeCheckResponse(encodeCheckResponse(allowed), 'r'), allowed);
  const withUser: Decision = { ...allowed, userId: 'ns/key-a' };
  assert.deepEqual(decodeCheckResponse(encodeCheckResponse(withUser), 'r'), withUser);
  // Ours sets CheckResponse.dynamic_metadata (field 4), not OkHttpResponse's deprecated one.
  const type = envoyRoot().lookupType('envoy.service.auth.v3.CheckResponse');
  const wire = type.toObject(type.decode(encodeCheckResponse(withUser)));
  assert.deepEqual(wire.dynamic_metadata, { fields: { userId: { stringValue: 'ns/key-a' } } });
  assert.equal(wire.ok_response.dynamic_metadata, undefined);
  // A pass-through delegate may use either; the deprecated one wins when set, as in Envoy.
  const delegate = (message: object) => Buffer.from(type.encode(type.fromObject({ status: { code: 0 }, ...message })).finish());
  const struct = (userId: string) => ({ fields: { userId: { stringValue: userId } } });
  assert.equal((decodeCheckResponse(delegate({ ok_response: { dynamic_metadata: struct('old') }, dynamic_metadata: struct('new') }), 'r') as Allow).userId, 'old');
  assert.equal((decodeCheckResponse(delegate({ ok_response: {} }), 'r') as Allow).userId, undefined);
  const denied: Decision = { allow: false, status: 401, reason: 'r', headers: { 'www-authenticate': 'Basic realm="x"' } };
  assert.deepEqual(decodeCheckResponse(encodeCheckResponse(denied), 'r'), denied);
});
