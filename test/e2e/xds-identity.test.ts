// Identities on xDS, against real Envoys (bootstrapped by `portico bootstrap`) and the real ext-auth service
// (`portico extauth`, `portico ratelimit`): each client proves who it is — by the SPIFFE ID of its client certificate, or by its own
// token — and receives only its own config. Team-a's Envoy serves HTTPS with team-a's key and checks API keys
// through ext-auth; an Envoy with team-b's identity claiming team-a's Gateway gets nothing (and the controller
// logs who asked for what); the ext-auth identity gets no Gateway (no TLS keys); a gateway identity gets no
// ext-auth config (no API keys); nobody's credential shows in a log.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { Controller } from '../../src/app/controller.ts';
import { startEcho } from '../../src/echo/server.ts';
import { findBinary } from '../../src/lib/binaries.ts';
import { TYPE_URLS } from '../../src/xds/resources.ts';
import { parseTokens, TokenTable } from '../../src/xds/server/identity.ts';
import { SERVICE_CONFIG_TYPE_URL } from '../../src/xds/service-config.ts';
import { freePorts, startProcess, tempDir, waitFor, type ProcessHandle } from '../support/components.ts';
import { fill } from '../support/fixtures.ts';
import { httpRequest, httpsRequest } from '../support/http.ts';
import { captureLogs } from '../support/logs.ts';
import { issueCertificate, issueUriCertificate, makeCa, servedFingerprint, type KeyPair } from '../support/tls.ts';
import { startRedis } from '../support/redis.ts';
import { startVault } from '../support/vault.ts';
import { FakeEnvoy, type FakeEnvoyOptions } from '../support/xds-client.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PORTICO = join(ROOT, 'bin', 'portico');
const TRUST_DOMAIN = 'portico.test';
const IDENTITIES = ['gateway/team-a/gw', 'gateway/team-b/gw', 'service/extauth', 'service/ratelimit'] as const;
type Identity = (typeof IDENTITIES)[number];

const RESOURCES = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: portico }
spec: { controllerName: portico.dev/gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: team-a }
spec:
  gatewayClassName: portico
  listeners:
    - { name: https, protocol: HTTPS, port: \${A}, hostname: a.example.com, tls: { certificateRefs: [{ name: a-tls }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: team-b }
spec:
  gatewayClassName: portico
  listeners:
    - { name: http, protocol: HTTP, port: \${B} }
---
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: echo, namespace: team-a }
spec: { static: { hosts: [{ addr: 127.0.0.1, port: \${ECHO} }] } }
---
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: echo, namespace: team-b }
spec: { static: { hosts: [{ addr: 127.0.0.1, port: \${ECHO} }] } }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: team-a }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - filters: [{ type: ExtensionRef, extensionRef: { group: gateway.solo.io, kind: RouteOption, name: keys } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }]
---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: keys, namespace: team-a }
spec: { options: { extauth: { configRef: { name: keys, namespace: team-a } } } }
---
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: keys, namespace: team-a }
spec:
  configs: [{ apiKeyAuth: { headerName: x-api-key, apiKeySecretRefs: [{ name: key-a }] } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web, namespace: team-b }
spec:
  parentRefs: [{ name: gw }]
  rules: [{ backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }] }]
`;

const API_KEY = 'team-a-key-7f3c9e';

interface Setup {
  dir: string;
  ca: KeyPair;
  /** PEM files by name. */
  files: Record<string, string>;
  tokens: Record<Identity, string>;
}

async function setUp(t: TestContext): Promise<Setup> {
  const dir = await tempDir('portico-xds-identity-', t);
  const ca = makeCa();
  const files: Record<string, string> = {};
  const save = async (name: string, text: string) => {
    files[name] = join(dir, name);
    await writeFile(files[name], text, { mode: 0o600 });
  };
  await save('ca.crt', ca.cert);
  const server = issueCertificate(ca, 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  await save('server.crt', server.cert);
  await save('server.key', server.key);
  for (const id of IDENTITIES) {
    const pair = issueUriCertificate(ca, `spiffe://${TRUST_DOMAIN}/${id}`);
    await save(`${id.replaceAll('/', '_')}.crt`, pair.cert);
    await save(`${id.replaceAll('/', '_')}.key`, pair.key);
  }
  const tokens = Object.fromEntries(IDENTITIES.map((id, i) => [id, `tok${i}-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`])) as Record<Identity, string>;
  for (const id of IDENTITIES) await save(`${id.replaceAll('/', '_')}.token`, `${tokens[id]}\n`);
  return { dir, ca, files, tokens };
}

type Mode = 'certificates' | 'tokens';

/** How a client proves `id` in this mode: the portico client flags, and the FakeEnvoy options. */
function credentials(s: Setup, mode: Mode, id: Identity): { flags: string[]; fake: Omit<FakeEnvoyOptions, 'port' | 'cluster'> } {
  const file = (ext: string) => s.files[`${id.replaceAll('/', '_')}.${ext}`]!;
  const server = ['--xds-tls-ca', s.files['ca.crt']!, '--xds-tls-server-name', 'localhost'];
  if (mode === 'certificates') {
    return { flags: [...server, '--xds-tls-cert', file('crt'), '--xds-tls-key', file('key')], fake: { tls: { ca: s.ca.cert, cert: readPem(file('crt')), key: readPem(file('key')) } } };
  }
  return { flags: [...server, '--xds-token-file', file('token')], fake: { tls: { ca: s.ca.cert }, token: s.tokens[id] } };
}

function readPem(path: string): string {
  return readFileSync(path, 'utf8');
}

function portico(args: string[]): string {
  const res = spawnSync(PORTICO, args, { cwd: ROOT, env: { ...process.env, PORTICO_NODE: process.execPath }, encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, `portico ${args.join(' ')}: ${res.stderr}`);
  return res.stdout;
}

interface RunningEnvoy {
  proc: ProcessHandle;
  clusters(): Promise<string[]>;
}

async function startEnvoy(t: TestContext, s: Setup, name: string, gateway: string, xdsPort: number, flags: string[]): Promise<RunningEnvoy> {
  const [adminPort] = await freePorts(1);
  const config = join(s.dir, `${name}.yaml`);
  await writeFile(config, portico(['bootstrap', '--gateway', gateway, '--node-id', `${gateway}/${name}`, '--xds-address', `127.0.0.1:${xdsPort}`, '--admin-port', String(adminPort), ...flags]), { mode: 0o600 });
  const admin = async (path: string) => {
    const r = await fetch(`http://127.0.0.1:${adminPort}${path}`);
    if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
    return r.text();
  };
  const proc = await startProcess(findBinary('envoy', "run 'scripts/setup.sh envoy'"), ['-c', config, '--disable-hot-restart', '--log-level', 'warn', '--drain-time-s', '1'], {
    name: `envoy ${name}`,
    cwd: s.dir,
    readyWhen: async () => (await admin('/server_info')).length > 0,
  });
  t.after(() => proc.stop());
  const clusters = async () => ((JSON.parse(await admin('/clusters?format=json')) as { cluster_statuses?: { name: string }[] }).cluster_statuses ?? []).map((c) => c.name);
  return { proc, clusters };
}

async function scenario(t: TestContext, mode: Mode): Promise<void> {
  const s = await setUp(t);
  const [xdsPort, portA, portB] = (await freePorts(3)) as [number, number, number];
  const echo = await startEcho({ name: 'echo' });
  t.after(() => echo.close());
  const configDir = join(s.dir, 'conf');
  const listener = issueCertificate(s.ca, 'a.example.com', 'subjectAltName=DNS:a.example.com');
  for (const [file, text] of Object.entries({
    'resources.yaml': fill(RESOURCES, { A: portA, B: portB, ECHO: echo.port }),
    '.secrets/team-a/a-tls/tls.crt': listener.cert,
    '.secrets/team-a/a-tls/tls.key': listener.key,
    '.secrets/team-a/key-a/api-key': API_KEY,
  })) {
    const path = join(configDir, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text, { mode: 0o600 });
  }
  const extAuthSocket = `unix:${join(s.dir, 'extauth.sock')}`;
  const logs = captureLogs('info');
  const pem = (name: string) => readPem(s.files[name]!);
  const tokensFile = join(s.dir, 'tokens');
  await writeFile(tokensFile, IDENTITIES.map((id) => `${id} ${s.tokens[id]}`).join('\n'), { mode: 0o600 });
  const controller = new Controller({
    configDir,
    xdsAddress: `127.0.0.1:${xdsPort}`,
    adminAddress: 'off',
    extAuthAddress: extAuthSocket,
    // Mutual TLS: the certificates are the identities. Tokens: TLS for the server only, a token per identity.
    xdsTls: { pems: { cert: pem('server.crt'), key: pem('server.key'), ...(mode === 'certificates' && { ca: pem('ca.crt') }) } },
    xdsTrustDomain: TRUST_DOMAIN,
    ...(mode === 'tokens' && { xdsTokens: new TokenTable(parseTokens(readFileSync(tokensFile, 'utf8'))) }),
    logger: logs.logger,
  });
  await controller.start();
  t.after(() => controller.stop());
  const refusals = () => logs.entries.filter((e) => String(e.msg).startsWith('refusing an ADS stream: identity'));

  // The real ext-auth service, as its own identity.
  const extauth = await startProcess(PORTICO, ['extauth', '--listen', extAuthSocket, '--xds-address', `127.0.0.1:${xdsPort}`, '--log-format', 'json', ...credentials(s, mode, 'service/extauth').flags], {
    name: 'portico extauth',
    cwd: ROOT,
    env: { PORTICO_NODE: process.execPath },
  });
  t.after(() => extauth.stop());
  // The real rate-limit service, as its own identity (its stream connects; this config has no limits to give it).
  const redis = await startRedis(t);
  const [rlsPort] = (await freePorts(1)) as [number];
  const ratelimit = await startProcess(PORTICO, ['ratelimit', '--listen', `127.0.0.1:${rlsPort}`, '--redis', redis.url, '--admin-address', 'off', '--xds-address', `127.0.0.1:${xdsPort}`, '--log-format', 'json', ...credentials(s, mode, 'service/ratelimit').flags], {
    name: 'portico ratelimit',
    cwd: ROOT,
    env: { PORTICO_NODE: process.execPath },
  });
  t.after(() => ratelimit.stop());

  // Happy path: each Gateway's Envoy with its own identity serves traffic; team-a's over HTTPS with its key,
  // API keys checked by ext-auth.
  const envoyA = await startEnvoy(t, s, 'a', 'team-a/gw', xdsPort, credentials(s, mode, 'gateway/team-a/gw').flags);
  const envoyB = await startEnvoy(t, s, 'b', 'team-b/gw', xdsPort, credentials(s, mode, 'gateway/team-b/gw').flags);
  const getA = (headers: Record<string, string> = {}) => httpsRequest(portA, '/', { servername: 'a.example.com', host: 'a.example.com', ca: s.ca.cert, headers }).catch(() => ({ status: 0 }));
  await waitFor(async () => (await getA({ 'x-api-key': API_KEY })).status === 200, {
    timeoutMs: 60_000,
    what: () => `team-a's Envoy to serve HTTPS with a valid API key; envoy:\n${envoyA.proc.output()}\nextauth:\n${extauth.output()}\ncontroller:\n${logs.text().slice(-4000)}`,
  });
  assert.equal((await getA()).status, 401, 'without the key ext-auth denies');
  await waitFor(async () => (await httpRequest(portB, '/').catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 60_000, what: () => `team-b's Envoy to serve; envoy:\n${envoyB.proc.output()}` });
  const identities = logs.entries.filter((e) => e.msg === 'proxy connected').map((e) => `${e.identity} ${e.nodeKey}`);
  for (const expected of ['service/extauth portico:extauth', 'gateway/team-a/gw team-a/gw', 'gateway/team-b/gw team-b/gw']) assert.ok(identities.includes(expected), `${expected} in ${identities.join(', ')}`);
  await waitFor(() => logs.entries.some((e) => e.msg === 'proxy connected' && e.identity === 'service/ratelimit' && e.nodeKey === 'portico:ratelimit'), { timeoutMs: 30_000, what: () => `the rate-limit service to connect as service/ratelimit:\n${ratelimit.output()}` });

  // A proxy with team-b's identity bootstrapped for team-a's Gateway: refused, logged, and it gets nothing.
  const thief = await startEnvoy(t, s, 'thief', 'team-a/gw', xdsPort, credentials(s, mode, 'gateway/team-b/gw').flags);
  await waitFor(() => refusals().some((e) => e.identity === 'gateway/team-b/gw' && e.requestedNodeKey === 'team-a/gw'), { timeoutMs: 30_000, what: () => `the controller to log the refusal:\n${logs.text().slice(-4000)}` });
  assert.deepEqual(await thief.clusters(), ['portico_xds'], 'only its static ADS cluster: no listener, no certificate, no route');
  thief.proc.assertRunning();

  // The ext-auth identity asking for team-a's Gateway (its TLS key by SDS): nothing.
  const ask = async (id: Identity, cluster: string, typeUrl: string, names: string[] = []) => {
    const client = new FakeEnvoy({ port: xdsPort, cluster, nodeId: `${id}/probe`, ...credentials(s, mode, id).fake });
    t.after(() => client.close());
    client.subscribe(typeUrl, names);
    const status = await client.ended;
    return { status, received: client.received };
  };
  const secrets = await ask('service/extauth', 'team-a/gw', TYPE_URLS.secret, ['team-a/a-tls']);
  assert.equal(secrets.status.code, grpc.status.PERMISSION_DENIED);
  assert.deepEqual(secrets.received, [], 'no TLS key');
  // A gateway identity asking for the ext-auth config (the API keys): nothing; nor the rate-limit identity.
  for (const id of ['gateway/team-a/gw', 'service/ratelimit'] as const) {
    const keys = await ask(id, 'portico:extauth', SERVICE_CONFIG_TYPE_URL);
    assert.equal(keys.status.code, grpc.status.PERMISSION_DENIED, id);
    assert.deepEqual(keys.received, [], `no API keys for ${id}`);
  }
  const refused = new Set(refusals().map((e) => `${e.identity} -> ${e.requestedNodeKey}`));
  assert.deepEqual([...refused].sort(), ['gateway/team-a/gw -> portico:extauth', 'gateway/team-b/gw -> team-a/gw', 'service/extauth -> team-a/gw', 'service/ratelimit -> portico:extauth']);

  // Still serving the right ones; no credential in any log.
  assert.equal((await getA({ 'x-api-key': API_KEY })).status, 200);
  const everything = logs.text() + extauth.output() + ratelimit.output() + envoyA.proc.output() + thief.proc.output();
  for (const id of IDENTITIES) assert.ok(!everything.includes(s.tokens[id]), `the token of ${id} appears in a log`);
  assert.ok(!everything.includes(API_KEY), 'the API key appears in a log');
  assert.ok(!everything.includes('PRIVATE KEY'), 'a private key appears in a log');
}

test('xDS identities by client certificate (SPIFFE ID): each client gets its own config only', { timeout: 240_000 }, (t) => scenario(t, 'certificates'));

test('xDS identities by per-identity token: each client gets its own config only', { timeout: 240_000 }, (t) => scenario(t, 'tokens'));

test('Vault PKI: the controller serves xDS with a certificate Vault issues and renews without a restart; client identities issued by Vault (uri_sans) are honoured', { timeout: 240_000 }, async (t) => {
  const vault = await startVault(t);
  const write = async (path: string, body: Record<string, unknown>) => {
    const res = await fetch(`${vault.address}/v1/${path}`, { method: 'POST', headers: { 'x-vault-token': vault.rootToken }, body: JSON.stringify(body) });
    const json = (await res.json()) as { data?: Record<string, string>; errors?: string[] };
    assert.ok(res.ok, `${path}: ${res.status} ${json.errors?.join('; ')}`);
    return json.data ?? {};
  };
  // What docs/security.md sets up: a role that may only issue Portico SPIFFE IDs of the trust domain, as client certificates.
  await write('pki/roles/portico-xds-client', { allowed_uri_sans: `spiffe://${TRUST_DOMAIN}/*`, allow_any_name: true, require_cn: false, server_flag: false, client_flag: true, ttl: '1h' });
  const issued = await write('pki/issue/portico-xds-client', { uri_sans: `spiffe://${TRUST_DOMAIN}/gateway/team-b/gw` });
  const client = { ca: vault.ca.cert, cert: issued.certificate!, key: issued.private_key! };

  const [xdsPort] = (await freePorts(1)) as [number];
  const logs = captureLogs('info');
  const controller = new Controller({
    configDir: await tempDir('portico-xds-vault-', t),
    xdsAddress: `127.0.0.1:${xdsPort}`,
    adminAddress: 'off',
    vault: { address: vault.address, auth: { method: 'appRole', roleIdFile: vault.files.roleId, secretIdFile: vault.files.secretId } },
    // Renewed at two thirds of its lifetime: a new certificate every 6 s or so.
    xdsTls: { vault: { mount: 'pki', role: 'portico-gateway', names: ['localhost'], ca: vault.ca.cert, ttlSeconds: 9 } },
    xdsTrustDomain: TRUST_DOMAIN,
    logger: logs.logger,
  });
  await controller.start();
  t.after(() => controller.stop());

  let first = '';
  await waitFor(async () => Boolean((first = await servedFingerprint(xdsPort).catch(() => ''))), { timeoutMs: 30_000, what: () => `the Vault-issued certificate to be served:\n${logs.text().slice(-3000)}` });
  const connect = (cluster: string) => {
    const envoy = new FakeEnvoy({ port: xdsPort, cluster, tls: client });
    t.after(() => envoy.close());
    envoy.subscribe(TYPE_URLS.cluster);
    return envoy;
  };
  const own = connect('team-b/gw');
  await waitFor(() => logs.entries.some((e) => e.msg === 'proxy connected' && e.identity === 'gateway/team-b/gw'), { timeoutMs: 15_000, what: () => `the Vault-issued identity to connect:\n${logs.text().slice(-3000)}` });
  assert.equal((await connect('team-a/gw').ended).code, grpc.status.PERMISSION_DENIED, "the Vault-issued identity of team-b does not get team-a's Gateway");

  // Renewed: a new connection gets the new certificate, and the stream opened before carries on.
  let renewed = '';
  await waitFor(async () => (renewed = await servedFingerprint(xdsPort).catch(() => first)) !== first, { timeoutMs: 30_000, what: () => `a renewed certificate:\n${logs.text().slice(-3000)}` });
  connect('team-b/gw');
  await waitFor(() => logs.entries.filter((e) => e.msg === 'proxy connected' && e.identity === 'gateway/team-b/gw').length === 2, { timeoutMs: 15_000, what: () => `a new stream on the renewed certificate:\n${logs.text().slice(-3000)}` });
  const ended = await Promise.race([own.ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 100))]);
  assert.equal(ended, false, 'the stream opened on the first certificate is still up');
  assert.notEqual(renewed, first);
  assert.ok(!logs.text().includes('PRIVATE KEY'), 'no key in the log');
});

test('portico controller re-reads the xDS and admin certificate files and the tokens file when they change: new connections get the new certificate, a revoked token stops working', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir('portico-cert-files-', t);
  const ca = makeCa();
  const issue = () => issueCertificate(ca, 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  // Replaced as Vault Agent, Nomad templates and cert-manager do it: a new file renamed over the old one.
  const put = async (pair: KeyPair) => {
    for (const [name, text] of [['tls.crt', pair.cert], ['tls.key', pair.key]] as const) {
      await writeFile(join(dir, `.${name}.new`), text, { mode: 0o600 });
      await rename(join(dir, `.${name}.new`), join(dir, name));
    }
  };
  const first = issue();
  await put(first);
  await writeFile(join(dir, 'tokens'), 'gateway/default/gw t0k3n\n', { mode: 0o600 });
  const [xdsPort, adminPort] = (await freePorts(2)) as [number, number];
  const files = ['--xds-tls-cert', join(dir, 'tls.crt'), '--xds-tls-key', join(dir, 'tls.key'), '--admin-tls-cert', join(dir, 'tls.crt'), '--admin-tls-key', join(dir, 'tls.key')];
  const controller = await startProcess(PORTICO, ['controller', '--config-dir', dir, '--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', `127.0.0.1:${adminPort}`, '--xds-tokens-file', join(dir, 'tokens'), '--log-format', 'json', ...files], {
    name: 'portico controller',
    cwd: ROOT,
    env: { PORTICO_NODE: process.execPath },
    readyWhen: async () => (await httpsRequest(adminPort, '/readyz', { servername: 'localhost', ca: ca.cert })).status === 200,
  });
  t.after(() => controller.stop());
  const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
  assert.equal(await servedFingerprint(xdsPort), fingerprint(first.cert));
  assert.equal(await servedFingerprint(adminPort), fingerprint(first.cert));

  const second = issue();
  await put(second);
  await waitFor(async () => (await servedFingerprint(xdsPort)) === fingerprint(second.cert) && (await servedFingerprint(adminPort)) === fingerprint(second.cert), {
    timeoutMs: 30_000,
    what: () => `both endpoints to serve the renewed certificate; controller:\n${controller.output()}`,
  });
  // gRPC and HTTPS both work on it.
  const envoy = new FakeEnvoy({ port: xdsPort, cluster: 'default/gw', token: 't0k3n', tls: { ca: ca.cert } });
  t.after(() => envoy.close());
  envoy.subscribe(TYPE_URLS.cluster);
  await waitFor(() => controller.output().includes('"identity":"gateway/default/gw"'), { timeoutMs: 15_000, what: () => `the stream on the renewed certificate:\n${controller.output()}` });
  assert.equal((await httpsRequest(adminPort, '/healthz', { servername: 'localhost', ca: ca.cert })).status, 200);

  // The token is revoked (replaced by another): a new stream with it is refused, one with the new token accepted.
  await writeFile(join(dir, '.tokens.new'), 'gateway/default/gw n3w-t0k3n\n', { mode: 0o600 });
  await rename(join(dir, '.tokens.new'), join(dir, 'tokens'));
  await waitFor(() => controller.output().includes('xDS tokens: re-read the tokens file'), { timeoutMs: 15_000, what: () => `the tokens file to be re-read:\n${controller.output()}` });
  const revoked = new FakeEnvoy({ port: xdsPort, cluster: 'default/gw', token: 't0k3n', tls: { ca: ca.cert } });
  t.after(() => revoked.close());
  revoked.subscribe(TYPE_URLS.cluster);
  assert.equal((await revoked.ended).code, grpc.status.UNAUTHENTICATED);
  const renewed = new FakeEnvoy({ port: xdsPort, cluster: 'default/gw', nodeId: 'default/gw/renewed', token: 'n3w-t0k3n', tls: { ca: ca.cert } });
  t.after(() => renewed.close());
  renewed.subscribe(TYPE_URLS.cluster);
  await waitFor(() => controller.output().includes('"nodeId":"default/gw/renewed"'), { timeoutMs: 15_000, what: () => `the stream with the new token:\n${controller.output()}` });
  assert.ok(!controller.output().includes('t0k3n'), 'no token in the log');
  controller.assertRunning();
});
