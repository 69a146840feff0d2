// The ext-auth service over gRPC: AuthConfigs applied whole (a bad one is refused and the previous ones stay),
// unknown AuthConfigs denied, and logs that carry the route and the reason but never a credential.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { captureLogs } from '../../test/support/logs.ts';
import { encodeMessage } from '../xds/encode.ts';
import type { JsonObject } from '../xds/service-config.ts';
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

test('a configuration that cannot be compiled is refused whole; the previous one keeps serving', async (t) => {
  const { service, check } = await start(t);
  service.apply(new Map([['ns/keys', CONFIG]]));
  const broken = { name: 'ns/jwt', steps: [{ name: 'j', jwt: { providers: [{ name: 'p', jwks: { inline: 'not json' }, sources: [], claimsToHeaders: [], clockSkewSeconds: 0 }] } }] };
  assert.throws(() => service.apply(new Map([['ns/jwt', broken as unknown as JsonObject]])), { code: 'PORTICO_CONFIG' });
  assert.equal((await check('ns/keys', { 'api-key': KEY })).allow, true);
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
