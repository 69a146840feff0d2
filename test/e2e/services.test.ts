// The data-path services as they are deployed: `bin/portico extauth` and `bin/portico ratelimit` as their own
// processes, fed by a `bin/portico controller` process over mutual TLS, each client with its identity's certificate
// and token (the README's "Securing the xDS connection"; the same flags as `portico bootstrap`), with a real Envoy
// bootstrapped the same way and a real Redis. The controller accepts nothing else, so every answer below proves a service got its configuration
// over that connection: the ext-auth service's 401 with the AuthConfig's realm, the rate-limit service's 429.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startEcho } from '../../src/echo/server.ts';
import type { ProxyStatus } from '../../src/xds/server/ads.ts';
import { PORTICO, porticoEnv, startBootstrappedEnvoy } from '../support/cli.ts';
import { freePorts, requireBinary, startProcess, tempDir, waitFor, type ProcessHandle } from '../support/components.ts';
import { backend, basicAuthConfig, basicCredentials, fill, GATEWAY, oncePerDay, route, upstream } from '../support/fixtures.ts';
import { httpRequest, type HttpResult } from '../support/http.ts';
import { startRedis } from '../support/redis.ts';
import { makeIdentityCertificates } from '../support/tls.ts';

const rule = (name: string) => `    - name: ${name}
      matches: [{ path: { type: PathPrefix, value: /${name} } }]
      backendRefs:
${backend('echo')}`;

const option = (name: string, options: string) => `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: web, sectionName: ${name} }]
  options: ${options}
`;

const RESOURCES = [
  route('web', ['open', 'auth', 'limited'].map(rule).join('\n')),
  basicAuthConfig('over-tls'),
  option('auth', '{ extauth: { configRef: { name: basic-auth } } }'),
  oncePerDay('web', 'limited'),
].join('---');

/** A `portico` subcommand as its own process; stopped after the test, then `ownedDir` (which it writes into) removed. */
async function service(t: TestContext, name: string, args: string[], opts: { env?: Record<string, string>; readyWhen?: () => Promise<boolean>; ownedDir?: string } = {}): Promise<ProcessHandle> {
  const proc = await startProcess(PORTICO, [name, ...args, '--log-format', 'json'], { name: `portico ${name}`, env: porticoEnv(opts.env), ...(opts.readyWhen && { readyWhen: opts.readyWhen }) });
  t.after(async () => {
    await proc.stop();
    if (opts.ownedDir) await rm(opts.ownedDir, { recursive: true, force: true });
  });
  return proc;
}

test('portico extauth and portico ratelimit as processes, configured by the controller over mutual TLS, each with its identity', { timeout: 120_000 }, async (t) => {
  // Each client has its identity (docs/security.md): a certificate with its SPIFFE URI SAN, and its own token.
  const dir = await tempDir('services', t);
  const identities = ['gateway/default/gw', 'service/extauth', 'service/ratelimit'];
  const issued = makeIdentityCertificates(identities.map((id) => `spiffe://portico.local/${id}`));
  const file = async (name: string, content: string) => {
    const path = join(dir, name);
    await writeFile(path, content, { mode: 0o600 });
    return path;
  };
  const ca = await file('ca.crt', issued.ca.cert);
  const [serverCert, serverKey] = [await file('server.crt', issued.server.cert), await file('server.key', issued.server.key)];
  const tokens = Object.fromEntries(identities.map((id) => [id, randomBytes(24).toString('hex')]));
  const tokensFile = await file('tokens', identities.map((id) => `${id} ${tokens[id]}\n`).join(''));
  /** The flags of one client: the controller's CA and name, its certificate and key, its token. */
  const clientOf = async (identity: string) => {
    const name = identity.replaceAll('/', '-');
    const pair = issued.clients[`spiffe://portico.local/${identity}`] as { cert: string; key: string };
    return [
      '--xds-address', `127.0.0.1:${xdsPort}`, '--xds-tls-ca', ca, '--xds-tls-server-name', 'localhost',
      '--xds-tls-cert', await file(`${name}.crt`, pair.cert), '--xds-tls-key', await file(`${name}.key`, pair.key),
      '--xds-token-file', await file(`${name}.token`, `${tokens[identity]}\n`),
    ];
  };
  const [port = 0, xdsPort = 0, adminPort = 0, extAuthPort = 0, rateLimitPort = 0] = await freePorts(5);
  const echo = await startEcho({ name: 'echo' });
  t.after(() => echo.close());
  const redis = await startRedis(t);

  const configDir = await tempDir('services-config'); // the controller writes statuses there: removed after it stops
  await writeFile(join(configDir, 'resources.yaml'), fill([GATEWAY, upstream('echo'), RESOURCES].join('---'), { PORT: port, echo: echo.port }));
  const admin = (path: string) => fetch(`http://127.0.0.1:${adminPort}${path}`);
  const controller = await service(t, 'controller', [
    '--config-dir', configDir, '--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', `127.0.0.1:${adminPort}`,
    '--ext-auth-address', `127.0.0.1:${extAuthPort}`, '--ratelimit-address', `127.0.0.1:${rateLimitPort}`,
  ], {
    env: { PORTICO_XDS_TLS_CERT: serverCert, PORTICO_XDS_TLS_KEY: serverKey, PORTICO_XDS_TLS_CA: ca, PORTICO_XDS_TOKENS_FILE: tokensFile },
    readyWhen: async () => (await admin('/readyz')).ok,
    ownedDir: configDir,
  });

  const extauth = await service(t, 'extauth', ['--listen', `127.0.0.1:${extAuthPort}`, ...(await clientOf('service/extauth'))]);
  const ratelimit = await service(t, 'ratelimit', ['--listen', `127.0.0.1:${rateLimitPort}`, '--redis', redis.url, '--admin-address', 'off', ...(await clientOf('service/ratelimit'))]);
  await startBootstrappedEnvoy(t, requireBinary('envoy'), dir, 'gw', await clientOf('gateway/default/gw'));

  // All three are connected streams of the controller: Envoy's and one per service node key.
  let proxies: ProxyStatus[] = [];
  await waitFor(async () => (proxies = (await (await admin('/debug/proxies')).json()) as ProxyStatus[]).length === 3, {
    timeoutMs: 30_000,
    what: () => `three streams at the controller (${JSON.stringify(proxies.map((p) => p.nodeKey))}); extauth:\n${extauth.output()}\nratelimit:\n${ratelimit.output()}\ncontroller:\n${controller.output()}`,
  });
  assert.deepEqual(proxies.map((p) => p.nodeKey).sort(), ['default/gw', 'portico:extauth', 'portico:ratelimit']);
  // The service logs it once the first configuration arrives, a moment after the stream opens.
  for (const proc of [extauth, ratelimit]) {
    await waitFor(() => /"msg":"connected to the controller"/.test(proc.output()), { timeoutMs: 30_000, what: () => `${proc.name} to say it is connected:\n${proc.output()}` });
  }

  const get = (path: string, headers: Record<string, string> = {}) => httpRequest(port, path, { headers });
  let last: HttpResult | undefined;
  await waitFor(async () => (last = await get('/auth').catch(() => undefined))?.status === 401, { timeoutMs: 30_000, what: () => `/auth to answer 401 (last: ${last?.status})` });
  assert.equal(last?.headers['www-authenticate'], 'Basic realm="over-tls"', "the AuthConfig's realm: the service has it from the controller");
  assert.equal((await get('/auth', basicCredentials('test', 'test123'))).status, 200);
  assert.equal((await get('/open')).status, 200);

  // The rate-limit service's configuration came over the same kind of stream: the second request is over the limit.
  await waitFor(async () => (last = await get('/limited'))?.headers['x-ratelimit-limit'] !== undefined || last?.status === 429, {
    timeoutMs: 30_000,
    what: () => `/limited to be counted (last: ${last?.status} ${JSON.stringify(last?.headers)})`,
  });
  assert.equal((await get('/limited')).status, 429, 'one request per day: the next one is limited');
  for (const proc of [controller, extauth, ratelimit]) proc.assertRunning();
});
