// The production deployment of nomad/README.md, for real: Consul with ACLs on (default deny), OpenBao, and a Nomad
// cluster of two nodes (a dev agent and a client, both on this host) with the Consul and Vault workload-identity
// integrations. nomad/setup.sh sets the integrations up; every job runs from the release artifact (make dist),
// served by a local HTTP server and fetched by Nomad's `artifact` block with its checksum. Then the walkthrough
// through the Nomad-run gateway (basic auth, one request per minute, an HTTPS listener with a Vault PKI
// certificate), and, under steady traffic: a rolling update of the gateway job, a rolling update of the
// controller job followed by a route edit, and certificate renewals — no request may fail, Envoy never restarts.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { freePorts, requireBinary, waitFor, type AfterHook } from '../support/components.ts';
import { aclToken, startConsul, type ConsulAgent } from '../support/consul.ts';
import { gatewayWith, route } from '../support/fixtures.ts';
import { httpRequest, httpsRequest } from '../support/http.ts';
import { startNomad, type NomadAgent } from '../support/nomad.ts';
import { startTraffic, unexpected } from '../support/traffic.ts';
import { startVault } from '../support/vault.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const exec = promisify(execFile);
const BASIC = { authorization: `Basic ${Buffer.from('test:test123').toString('base64')}` };
const HOST = 'api.example.com';

/**
 * The release artifact: `make dist`'s output when PORTICO_DIST_DIR names it (CI builds it once), else built
 * now with scripts/dist.sh into a temp dir. Resolves to the tarball's path and SHA-256.
 */
async function releaseArtifact(t: AfterHook): Promise<{ file: string; sha256: string }> {
  let dir = process.env.PORTICO_DIST_DIR;
  if (!dir) {
    dir = await mkdtemp(join(tmpdir(), 'portico-dist-'));
    t.after(() => rm(dir!, { recursive: true, force: true }));
    await exec('bash', [join(ROOT, 'scripts/dist.sh'), dir], { maxBuffer: 16 << 20 });
  }
  const name = (await readdir(dir)).find((f) => /^portico-.+-linux-x64\.tar\.gz$/.test(f));
  assert.ok(name, `no portico-<version>-linux-x64.tar.gz in ${dir}`);
  const sha256 = (await readFile(join(dir, `${name}.sha256`), 'utf8')).split(/\s/)[0]!;
  return { file: join(dir, name), sha256 };
}

/** Serves one file over HTTP on loopback, as a release server would; resolves to its URL. */
async function serveFile(t: AfterHook, file: string): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url !== `/${basename(file)}`) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/gzip' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}/${basename(file)}`;
}

const resources = (http: number, https: number) => [
  gatewayWith(`    - { name: http, protocol: HTTP, port: ${http} }
    - name: https
      protocol: HTTPS
      port: ${https}
      hostname: ${HOST}
      tls: { options: { portico.dev/vault-pki-role: pki/portico-gateway } }`),
  `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: basic-auth, namespace: default }
spec:
  configs:
  - basicAuth:
      apr: { users: { test: { salt: n28wuo5p, hashedPassword: NLFTUNkXaht0g/2GJjUM51 } } }
      realm: gloo
---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: basic-auth, namespace: default }
spec:
  options:
    extauth: { configRef: { name: basic-auth, namespace: default } }
---
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: { name: ratelimit-config, namespace: default }
spec:
  raw:
    descriptors: [{ key: generic_key, value: counter, rateLimit: { requestsPerUnit: 1, unit: MINUTE } }]
    rateLimits: [{ actions: [{ genericKey: { descriptorValue: counter } }] }]
---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: ratelimit-route-option, namespace: default }
spec:
  options:
    rateLimitConfigs: { refs: [{ name: ratelimit-config, namespace: default }] }
`,
  webRoute(),
].join('---');

/**
 * /api (basic auth) and /limited (one request per minute) to the echo instances of the Consul catalog; `extra`
 * adds one more basic-auth prefix (a route edit that leaves /api served).
 */
function webRoute(extra?: string): string {
  const ref = (name: string) => `      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.solo.io, kind: RouteOption, name: ${name} } }]`;
  return route(
    'web',
    `    - name: api
      matches: [{ path: { type: PathPrefix, value: /api } }${extra ? `, { path: { type: PathPrefix, value: ${extra} } }` : ''}]
${ref('basic-auth')}
      backendRefs: [{ name: echo, port: 80 }]
    - name: limited
      matches: [{ path: { type: PathPrefix, value: /limited } }]
${ref('ratelimit-route-option')}
      backendRefs: [{ name: echo, port: 80 }]`,
  );
}

/** PUTs each resource of a YAML stream at its key under portico/ (as an operator's curl does). */
async function putAll(consul: ConsulAgent, yaml: string): Promise<void> {
  for (const doc of yaml.split(/^---$/m).filter((d) => d.trim())) {
    const apiVersion = /apiVersion: (\S+)/.exec(doc)![1]!;
    const kind = /kind: (\S+)/.exec(doc)![1]!;
    const name = /name: ([\w.-]+)/.exec(doc)![1]!;
    const ns = /namespace: ([\w.-]+)/.exec(doc.split('spec:')[0]!)?.[1];
    const key = `portico/${apiVersion.includes('/') ? apiVersion : `core/${apiVersion}`}/${kind}/${ns ? `${ns}/` : ''}${name}`;
    const res = await consul.fetch(`/v1/kv/${key}`, { method: 'PUT', body: doc });
    assert.equal(res.status, 200, `PUT ${key}: ${await res.text()}`);
  }
}

async function running(nomad: NomadAgent, job: string): Promise<string[]> {
  return (await nomad.allocations(job)).filter((a) => a.ClientStatus === 'running').map((a) => a.ID);
}

async function healthy(consul: ConsulAgent, service: string): Promise<number> {
  return ((await (await consul.fetch(`/v1/health/service/${service}?passing`)).json()) as unknown[]).length;
}

/** The latest deployment of a job is successful (every allocation replaced and healthy). */
async function deployed(nomad: NomadAgent, job: string, after = 0): Promise<boolean> {
  const res = await fetch(`${nomad.api}/v1/job/${job}/deployment`);
  const d = (await res.json()) as { Status?: string; CreateIndex?: number } | null;
  return Boolean(d && d.Status === 'successful' && (d.CreateIndex ?? 0) > after);
}

async function deploymentIndex(nomad: NomadAgent, job: string): Promise<number> {
  const d = (await (await fetch(`${nomad.api}/v1/job/${job}/deployment`)).json()) as { CreateIndex?: number } | null;
  return d?.CreateIndex ?? 0;
}

/** Envoy's pid, admin port and client-certificate serial in each running gateway allocation. */
async function envoys(nomad: NomadAgent): Promise<{ alloc: string; restarts: number; serial: string }[]> {
  const out = [];
  for (const id of await running(nomad, 'portico-gateway')) {
    type Alloc = { AllocatedResources: { Shared: { Ports: { Label: string; Value: number }[] } }; TaskStates: Record<string, { Restarts: number }> };
    const alloc = (await (await fetch(`${nomad.api}/v1/allocation/${id}`)).json()) as Alloc;
    const admin = alloc.AllocatedResources.Shared.Ports.find((p) => p.Label === 'admin')!.Value;
    const certs = (await (await fetch(`http://127.0.0.1:${admin}/certs`)).json()) as { certificates: { cert_chain: { serial_number: string; subject_alt_names?: { uri?: string }[] }[] }[] };
    const client = certs.certificates.flatMap((c) => c.cert_chain).find((c) => c.subject_alt_names?.some((s) => s.uri?.includes('/gateway/')));
    out.push({ alloc: id, restarts: alloc.TaskStates.envoy?.Restarts ?? -1, serial: client?.serial_number ?? '' });
  }
  return out;
}

/**
 * The serial of the certificate each healthy controller serves xDS with, by address. An instance that refuses the
 * connection (one stopped a moment ago, still listed) is left out.
 */
async function controllerSerials(consul: ConsulAgent): Promise<Record<string, string>> {
  const instances = (await (await consul.fetch('/v1/health/service/portico-xds?passing')).json()) as { Service: { Address: string; Port: number } }[];
  const serials: Record<string, string> = {};
  for (const { Service: s } of instances) {
    const serial = await new Promise<string | undefined>((resolve) => {
      // The server's certificate arrives before the controller asks for ours (TLS 1.3): no client certificate needed to read it.
      const socket = connect({ host: s.Address, port: s.Port, servername: 'portico-xds.service.consul', rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
        resolve(socket.getPeerCertificate().serialNumber);
        socket.destroy();
      });
      socket.on('error', () => resolve(undefined));
    });
    if (serial) serials[`${s.Address}:${s.Port}`] = serial;
  }
  return serials;
}

test('Nomad deploys Portico from the release artifact with Consul and Vault identities, and rolls it without failing a request', { timeout: 900_000 }, async (t) => {
  const started = Date.now();
  const step = (what: string) => t.diagnostic(`${Math.round((Date.now() - started) / 1000)}s ${what}`);
  const artifact = await releaseArtifact(t);
  const artifactUrl = await serveFile(t, artifact.file);
  const consul = await startConsul(t, { acl: true });
  const vault = await startVault(t);
  const agentToken = await aclToken(consul, 'nomad-agent', await readFile(join(ROOT, 'consul/nomad-agent.hcl'), 'utf8'));
  const nomad = await startNomad(t, { consulAddress: `127.0.0.1:${consul.httpPort}`, consulToken: agentToken, workloadIdentity: true, vaultAddress: vault.address, rawExec: true, extraClients: 1 });
  step('Consul (ACLs, default deny), OpenBao and two Nomad nodes up');

  // The documented one-time set-up, as written.
  const env = { ...process.env, NOMAD_ADDR: nomad.api, CONSUL_HTTP_ADDR: consul.api, CONSUL_HTTP_TOKEN: consul.managementToken!, VAULT_ADDR: vault.address, VAULT_TOKEN: vault.rootToken, GATEWAY: 'default/gw', HOME: tmpdir() };
  await exec('bash', [join(ROOT, 'nomad/setup.sh')], { env });
  step('nomad/setup.sh done');

  const [http, https, redisPort] = await freePorts(3);
  const art = { artifact_url: artifactUrl, artifact_sha256: artifact.sha256 };
  // Short-lived certificates, so that Nomad renews them during the test.
  const certTtl = '90s';
  const diagnose = async () => {
    const lines: string[] = [];
    for (const job of ['portico-redis', 'echo', 'portico-controller', 'portico-gateway']) {
      for (const a of (await nomad.allocations(job)).slice(0, 4)) {
        lines.push(`${job} ${a.ID.slice(0, 8)} ${a.ClientStatus}`, `  events: ${(await nomad.taskEvents(a.ID)).slice(-1500)}`);
        for (const task of job === 'portico-gateway' ? ['envoy', 'extauth', 'ratelimit'] : [a.TaskGroup]) lines.push(`  ${task}: ${(await nomad.taskLogs(a.ID, task)).slice(-1200)}`);
      }
    }
    return lines.join('\n');
  };
  const explained = async (wait: Promise<unknown>) => {
    try {
      await wait;
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await diagnose()}`);
    }
  };

  await nomad.runJob(join(ROOT, 'nomad/redis.nomad.hcl'), { redis_bin: requireBinary('redis-server'), port: String(redisPort) });
  await nomad.runJob(join(ROOT, 'nomad/echo.nomad.hcl'), art);
  const controllerVars = { ...art, consul_address: consul.api, vault_address: vault.address, cert_ttl: certTtl, log_level: 'warn' };
  await nomad.runJob(join(ROOT, 'nomad/portico-controller.nomad.hcl'), controllerVars);
  await explained(waitFor(async () => (await healthy(consul, 'portico-xds')) === 2 && (await healthy(consul, 'echo')) === 2, { timeoutMs: 240_000, intervalMs: 1000, what: 'two healthy controllers (one per node) and echoes in Consul' }));
  step('controllers and echoes healthy');

  await putAll(consul, resources(http!, https!));
  const gatewayVars = { ...art, envoy_bin: requireBinary('envoy'), count: '2', listener_ports: `[${http},${https}]`, redis_url: `redis://127.0.0.1:${redisPort}`, cert_ttl: certTtl, drain_seconds: '3', log_level: 'warn' };
  await nomad.runJob(join(ROOT, 'nomad/portico-gateway.nomad.hcl'), gatewayVars);
  await explained(waitFor(() => deployed(nomad, 'portico-gateway'), { timeoutMs: 240_000, intervalMs: 1000, what: 'the gateway job deployed (two healthy allocations)' }));
  step('gateway deployed');

  // The walkthrough: basic auth, one request per minute, HTTPS with a Vault PKI certificate.
  const api = (path = '/api/hello', headers: Record<string, string> = BASIC) => httpRequest(http!, path, { headers });
  await explained(waitFor(async () => (await api()).status === 200, { timeoutMs: 60_000, intervalMs: 500, what: 'the basic-auth route served through the Nomad-run gateway' }));
  assert.equal((await api('/api/hello', {})).status, 401, 'no credentials');
  assert.equal((await api('/api/hello', { authorization: `Basic ${Buffer.from('test:wrong').toString('base64')}` })).status, 401, 'a wrong password');
  // Two requests at once never straddle a minute boundary… unless they do: then a third settles it.
  let limited = [(await api('/limited/a', {})).status, (await api('/limited/b', {})).status];
  if (limited[1] === 200) limited = [200, (await api('/limited/c', {})).status];
  assert.deepEqual(limited, [200, 429], 'one request per minute');
  const secure = await httpsRequest(https!, '/api/hello', { servername: HOST, host: HOST, ca: vault.ca.cert, headers: BASIC });
  assert.equal(secure.status, 200);
  assert.match(secure.peer.san, new RegExp(`DNS:${HOST.replaceAll('.', '\\.')}`));
  step('walkthrough answered: 401/200, 200/429, HTTPS with the Vault PKI certificate');

  const before = await envoys(nomad);
  // Steady traffic through every phase, counted per phase.
  const phases: Record<string, Record<string, number>> = {};
  const phase = async (name: string, run: () => Promise<void>) => {
    const traffic = startTraffic(t, async () => (await api()).status);
    try {
      await run();
    } finally {
      phases[name] = Object.fromEntries(await traffic.stop());
      step(`${name}: ${JSON.stringify(phases[name])}`);
    }
  };

  // 1. A rolling update of the gateway job (a changed variable): each allocation replaced in turn.
  await phase('gateway rolling update', async () => {
    const index = await deploymentIndex(nomad, 'portico-gateway');
    await nomad.runJob(join(ROOT, 'nomad/portico-gateway.nomad.hcl'), { ...gatewayVars, envoy_log_level: 'error' });
    await explained(waitFor(() => deployed(nomad, 'portico-gateway', index), { timeoutMs: 300_000, intervalMs: 1000, what: 'the gateway rolling update' }));
  });

  // 2. A rolling update of the controller job, then a route edit served by the new controllers.
  await phase('controller rolling update', async () => {
    const index = await deploymentIndex(nomad, 'portico-controller');
    await nomad.runJob(join(ROOT, 'nomad/portico-controller.nomad.hcl'), { ...controllerVars, log_level: 'error' });
    await explained(waitFor(() => deployed(nomad, 'portico-controller', index), { timeoutMs: 300_000, intervalMs: 1000, what: 'the controller rolling update' }));
    await putAll(consul, webRoute('/v2'));
    await explained(waitFor(async () => (await api('/v2/hello')).status === 200, { timeoutMs: 60_000, intervalMs: 500, what: 'the edited route through the new controllers' }));
  });

  // 3. Certificate renewals by Nomad's templates: every Envoy's client certificate (read through SDS) and every
  // controller's serving certificate (re-read from its files).
  const rolled = await envoys(nomad);
  let served: Record<string, string> = {};
  await waitFor(async () => Object.keys((served = await controllerSerials(consul))).length === 2, { timeoutMs: 30_000, what: 'both controllers serving TLS' });
  await phase('certificate renewal', async () => {
    await explained(
      waitFor(async () => {
        const now = await envoys(nomad);
        const envoysRenewed = now.length === rolled.length && now.every((e) => e.serial && e.serial !== rolled.find((r) => r.alloc === e.alloc)?.serial);
        const servedNow = await controllerSerials(consul);
        const controllersRenewed = Object.keys(served).every((at) => servedNow[at] !== undefined && servedNow[at] !== served[at]);
        return envoysRenewed && controllersRenewed;
      }, { timeoutMs: 180_000, intervalMs: 2000, what: "every Envoy's client certificate and every controller's serving certificate renewed" }),
    );
  });
  const after = await envoys(nomad);
  assert.ok(after.every((e) => e.restarts === 0), `Envoy restarts: ${JSON.stringify(after)}`);
  assert.notDeepEqual(before.map((e) => e.alloc).sort(), after.map((e) => e.alloc).sort(), 'the gateway allocations were replaced by the rolling update');

  let total = 0;
  for (const [name, seen] of Object.entries(phases)) {
    total += Object.values(seen).reduce((a, b) => a + b, 0);
    assert.deepEqual(unexpected(new Map(Object.entries(seen)), ['200']), [], `${name}: ${JSON.stringify(seen)}`);
  }
  t.diagnostic(`requests under traffic: ${total}, none failed; per phase ${JSON.stringify(phases)}`);
});
