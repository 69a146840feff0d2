// The ext-auth service over gRPC: AuthConfigs applied each on its own (a bad one denies, the others apply),
// unknown AuthConfigs denied, and logs that carry the route and the reason but never a credential.
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { captureLogs } from '../../test/support/logs.ts';
import { encodeMessage } from '../xds/encode.ts';
import type { JsonObject } from '../contracts/service-config.ts';
import { authorizationService, decodeCheckResponse } from './check-protocol.ts';
import type { Decision } from './decision.ts';
import { ExtAuthService } from './service.ts';

const KEY = 'very-secret-key';
const CONFIG = {
  name: 'ns/keys',
  steps: [{ name: 'k', apiKey: { header: 'api-key', keys: [{ key: KEY, secret: 'ns/s', metadata: {} }], headersFromMetadata: [] } }],
} as unknown as JsonObject;

type Client = grpc.Client & { Check(req: Buffer, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void };

async function start(t: { after(fn: () => unknown): void }) {
  const logs = captureLogs('debug');
  const service = new ExtAuthService(logs.logger);
  const address = await service.listen('127.0.0.1:0');
  const client = new (grpc.makeGenericClientConstructor(authorizationService, 'Authorization'))(address, grpc.credentials.createInsecure()) as unknown as Client;
  t.after(async () => {
    client.close();
    await service.close();
  });
  const check = (config: string, headers: Record<string, string>) =>
    new Promise<Decision>((resolve, reject) => {
      const request = encodeMessage('envoy.service.auth.v3.CheckRequest', {
        attributes: { context_extensions: { 'portico-authconfig': config, 'portico-route': 'route/1' }, request: { http: { headers, path: '/', method: 'GET' } } },
      });
      client.Check(Buffer.from(request), (err, res) => (err || !res ? reject(err) : resolve(decodeCheckResponse(res, 'denied'))));
    });
  const checkRaw = (request: Buffer) =>
    new Promise<Decision>((resolve, reject) => client.Check(request, (err, res) => (err || !res ? reject(err) : resolve(decodeCheckResponse(res, 'denied')))));
  return { service, logs, check, checkRaw };
}

test('checks use the AuthConfig the route names; an unknown one is denied', async (t) => {
  const { service, check } = await start(t);
  assert.equal((await check('ns/keys', { 'api-key': KEY })).allow, false, 'nothing applied yet: deny');
  service.apply(new Map([['ns/keys', CONFIG]]));
  assert.equal((await check('ns/keys', { 'api-key': KEY })).allow, true);
  assert.deepEqual(await check('ns/other', { 'api-key': KEY }), { allow: false, status: 403, reason: 'denied', headers: {} });
});

test('an AuthConfig that did not change keeps its authorizer (and its JWKS cache, its channels)', async (t) => {
  const { service, logs } = await start(t);
  service.apply(new Map([['ns/keys', CONFIG]]));
  service.apply(new Map([['ns/keys', structuredClone(CONFIG)]]));
  assert.deepEqual(logs.entries.filter((e) => e.msg === 'auth configuration applied').map((e) => e.recompiled), [1, 0]);
});

test('an AuthConfig that cannot be compiled is reported and denies; the others apply the new version', async (t) => {
  const { service, logs, check } = await start(t);
  const jwt = (jwks: string) => ({ name: 'ns/jwt', steps: [{ name: 'j', jwt: { providers: [{ name: 'p', jwks: { inline: jwks }, sources: [], claimsToHeaders: [], clockSkewSeconds: 0 }] } }] });
  const other = { ...CONFIG, name: 'ns/other' };
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  assert.deepEqual(service.apply(new Map([['ns/keys', CONFIG], ['ns/jwt', jwt(JSON.stringify({ keys: [key] })) as unknown as JsonObject]])), []);
  const rejected = service.apply(new Map([['ns/keys', CONFIG], ['ns/other', other], ['ns/jwt', jwt('{"keys": [1]}') as unknown as JsonObject]]));
  assert.deepEqual(rejected, ['AuthConfig ns/jwt: JSON Web Key Set malformed']);
  const broken = jwt('{"keys": [1]}') as unknown as JsonObject;
  assert.deepEqual(service.apply(new Map([['ns/keys', CONFIG], ['ns/other', other], ['ns/jwt', broken]])), rejected, 'still reported while unchanged');
  assert.equal((await check('ns/keys', { 'api-key': KEY })).allow, true);
  assert.equal((await check('ns/other', { 'api-key': KEY })).allow, true, 'the new AuthConfig of the same version applied');
  assert.deepEqual(await check('ns/jwt', { authorization: 'Bearer x' }), { allow: false, status: 403, reason: 'denied', headers: {} }, 'fails closed');
  const logged = logs.entries.find((e) => String(e.msg).startsWith('AuthConfig cannot be compiled'));
  assert.deepEqual([logged?.authConfig, logged?.error], ['ns/jwt', 'JSON Web Key Set malformed']);
  assert.ok(logs.entries.some((e) => e.msg === 'denied' && e.reason === 'AuthConfig "ns/jwt" could not be compiled'));
});

test('decisions are logged with the route and the reason, never the credential', async (t) => {
  const { service, logs, check } = await start(t);
  service.apply(new Map([['ns/keys', CONFIG]]));
  await check('ns/keys', { 'api-key': KEY });
  await check('ns/keys', { 'api-key': `${KEY}-wrong`, authorization: 'Basic dGVzdDp0ZXN0MTIz' });
  const denied = logs.entries.find((e) => e.msg === 'denied');
  assert.deepEqual([denied?.route, denied?.reason, denied?.status], ['route/1', 'api key: unknown key', 401]);
  assert.ok(logs.entries.some((e) => e.msg === 'allowed' && e.route === 'route/1'));
  assert.doesNotMatch(logs.text(), new RegExp(`${KEY}|dGVzdDp0ZXN0MTIz`));
});

test('bytes that are no CheckRequest are denied like any request, logged as a denial, not as a failure of the service', async (t) => {
  const { service, logs, checkRaw } = await start(t);
  service.apply(new Map([['ns/keys', CONFIG]]));
  assert.equal((await checkRaw(Buffer.from([0xff, 0xff, 0xff]))).allow, false);
  assert.ok(logs.entries.some((l) => l.msg === 'denied' && l.reason === 'malformed CheckRequest'), logs.text());
  assert.equal(logs.entries.filter((l) => Number(l.level) >= 50).length, 0, 'nothing at error level');
});
