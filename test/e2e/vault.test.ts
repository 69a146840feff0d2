// Vault end to end: a real OpenBao server (set up by vault/setup.sh, the controller logging in with its
// AppRole), the controller and a real Envoy. A certificate from Vault KV v2 is served and rotated in Vault
// with no failed request, and a rotation to a mismatched key keeps the good pair; upstreams requiring mTLS
// get their client certificate from Vault KV and from PKI; a 30 s certificate from Vault PKI runs through two
// renewals under TLS traffic with no failure while the certificate the client sees changes; broken KV secrets
// are refused before Envoy; Vault killed → the certificates keep serving, /healthz and /metrics say degraded,
// the coming expiry is logged; restarted sealed → /healthz says so; unsealed → everything recovers by itself.
// The controller's PKI role list (secrets.vault.pki.roles) holds for tenants: team-a's Upstream gets its
// certificate from a role listed for team-a, team-b's naming the same role gets none (Vault's audit log never
// sees its common name) and its status says why.
// No secret value ever reaches the log, a status (file or /debug/statuses) or /debug: statuses name the
// Secret and the Vault path.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { envoyStat } from '../support/envoy-admin.ts';
import { backend, gatewayWith, route, upstream } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';
import { httpRequest, httpsRequest, type HttpsResult } from '../support/http.ts';
import { issueCertificate, makeCa, type KeyPair } from '../support/tls.ts';
import { assertNotShown, shownByController, startVault } from '../support/vault.ts';
import { tempDir, waitFor } from '../support/components.ts';
import { captureLogs } from '../support/logs.ts';

const kvCa = makeCa('portico-kv-ca');
const issue = (cn: string, dns: string): KeyPair => issueCertificate(kvCa, cn, `subjectAltName=DNS:${dns}`);
const pair = (p: KeyPair) => ({ 'tls.crt': p.cert, 'tls.key': p.key });

const GATEWAY = gatewayWith(`    - { name: http, protocol: HTTP, port: \${PORT} }
    - { name: shop, protocol: HTTPS, port: \${HTTPS}, hostname: shop.example.com, tls: { certificateRefs: [{ name: shop }] } }
    - name: api
      protocol: HTTPS
      port: \${HTTPS}
      hostname: api.example.com
      tls: { options: { portico.dev/vault-pki-role: pki/portico-gateway, portico.dev/vault-pki-ttl: 30s } }
    - { name: dup, protocol: HTTPS, port: \${HTTPS}, hostname: dup.example.com, tls: { certificateRefs: [{ name: dup }] } }
    - { name: broken, protocol: HTTPS, port: \${HTTPS}, hostname: broken.example.com, tls: { certificateRefs: [{ name: nokey }, { name: mismatch }, { name: missing }] } }`);

const ROUTES = [
  ...['http', 'shop', 'api'].map((l) => route(l, `    - backendRefs:\n${backend('echo')}`, `      sectionName: ${l}\n`)),
  ...['mtls', 'mtls-pki'].map((b) => route(b, `    - matches: [{ path: { value: /${b} } }]\n      backendRefs:\n${backend(b)}`, '      sectionName: http\n')),
].join('---\n');

/** An upstream that requires a client certificate, with the client certificate and CA from Vault KV. */
const MTLS_UPSTREAM = `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: mtls, namespace: default }
spec:
  static: { hosts: [{ addr: 127.0.0.1, port: \${MTLS} }] }
  sslConfig: { sni: localhost, secretRef: { name: upstream-client }, verifySubjectAltName: [localhost] }
`;

/** An upstream whose client certificate Vault PKI issues; its own certificate is checked against kvCa (a file). */
const pkiUpstream = (rootCa: string) => `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata:
  name: mtls-pki
  namespace: default
  annotations: { portico.dev/vault-pki-role: pki/portico-gateway, portico.dev/vault-pki-common-name: gateway.internal }
spec:
  static: { hosts: [{ addr: 127.0.0.1, port: \${MTLS_PKI} }] }
  sslConfig: { sni: localhost, sslFiles: { rootCa: ${rootCa} }, verifySubjectAltName: [localhost] }
`;

/** An HTTPS server that refuses clients without a certificate `clientCa` signed, and says whose certificate it got. */
async function startMtlsServer(t: TestContext, port: number, clientCa: string): Promise<void> {
  const server = issueCertificate(kvCa, 'localhost', 'subjectAltName=DNS:localhost');
  const https = createServer({ key: server.key, cert: server.cert, ca: clientCa, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    // A new connection per request, so a rotated client certificate shows on the next one.
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ client: peer.subject?.CN }));
  });
  await new Promise<void>((resolve) => https.listen(port, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => https.close(resolve)));
}

/** An Upstream of `namespace` asking the controller's PKI role for a client certificate for `commonName`. */
const tenantUpstream = (namespace: string, commonName: string) => `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata:
  name: billing
  namespace: ${namespace}
  annotations: { portico.dev/vault-pki-role: pki/portico-gateway, portico.dev/vault-pki-common-name: ${commonName} }
spec:
  static: { hosts: [{ addr: 127.0.0.1, port: 8443 }] }
`;

const clientPair = (cn: string) => ({ ...pair(issueCertificate(kvCa, cn, 'extendedKeyUsage=clientAuth')), 'ca.crt': kvCa.cert });

test('Vault KV v2 and PKI certificates served by Envoy', { timeout: 150_000 }, async (t) => {
  const vault = await startVault(t, { audit: true });
  const shopV1 = issue('shop v1', 'shop.example.com');
  await vault.kvPut('portico/default/shop', pair(shopV1));
  await vault.kvPut('portico/default/nokey', { 'tls.crt': shopV1.cert });
  const mismatchedKey = issue('other', 'other.example.com').key;
  await vault.kvPut('portico/default/mismatch', { 'tls.crt': shopV1.cert, 'tls.key': mismatchedKey });
  const upstreamClient = clientPair('upstream client v1');
  const upstreamClientKey = upstreamClient['tls.key'];
  await vault.kvPut('portico/default/upstream-client', upstreamClient);
  await vault.kvPut('portico/default/dup', pair(issue('dup from Vault', 'dup.example.com')));
  const dupFile = issue('dup from the folder', 'dup.example.com');
  const rootCa = join(await tempDir('vault-e2e', t), 'kv-ca.crt');
  await writeFile(rootCa, kvCa.cert);
  const logs = captureLogs();
  const gw = await startGateway(t, {
    ports: ['HTTPS', 'MTLS', 'MTLS_PKI'],
    files: {
      'gateway.yaml': GATEWAY,
      'upstream.yaml': upstream('echo'),
      'mtls.yaml': MTLS_UPSTREAM,
      'mtls-pki.yaml': pkiUpstream(rootCa),
      'routes.yaml': ROUTES,
      'tenants.yaml': [tenantUpstream('team-a', 'billing.team-a.internal'), tenantUpstream('team-b', 'ledger.team-a.internal')].join('---\n'),
      '.secrets/default/dup/tls.crt': dupFile.cert,
      '.secrets/default/dup/tls.key': dupFile.key,
    },
    controller: {
      logger: logs.logger,
      vault: {
        address: vault.address,
        auth: { method: 'appRole', roleIdFile: vault.files.roleId, secretIdFile: vault.files.secretId },
        kv: { intervalMs: 300 },
        pkiRoles: [{ mount: 'pki', role: 'portico-gateway', namespaces: ['default', 'team-a'] }],
      },
    },
  });
  const get = (sni: string, ca: string) => httpsRequest(gw.ports.HTTPS as number, '/', { servername: sni, host: sni, ca, timeoutMs: 3000 });
  const shop = () => get('shop.example.com', kvCa.cert);
  const api = () => get('api.example.com', vault.ca.cert);
  await waitFor(async () => (await shop()).status === 200 && (await api()).status === 200, { timeoutMs: 15_000, what: 'both HTTPS listeners to answer' });

  // Every rotation and renewal below travels by SDS alone: listeners and clusters are never modified (no drain).
  const stats = () => Promise.all(['listener_manager.listener_modified', 'cluster_manager.cluster_modified'].map((s) => envoyStat(gw.envoy.adminPort, s)));
  const statsBefore = await stats();

  await t.test('a KV v2 certificate rotated in Vault: served within a poll, no request fails', async () => {
    assert.equal((await shop()).peer.cn, 'shop v1');
    const traffic = trafficUntil(shop, (r) => r.peer.cn === 'shop v2');
    const written = performance.now();
    await vault.kvPut('portico/default/shop', pair(issue('shop v2', 'shop.example.com')));
    const { failures, requests } = await traffic;
    assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed`);
    t.diagnostic(`KV rotation served ${Math.round(performance.now() - written)} ms after the write (poll 300 ms); ${requests} requests, none failed`);
  });

  await t.test('a rotation in Vault to a key that does not match: the good pair keeps serving, the status names the Vault path', async () => {
    await vault.kvPut('portico/default/shop', { 'tls.crt': issue('shop v3', 'shop.example.com').cert, 'tls.key': mismatchedKey });
    let accepted: { status?: string; message?: string } | undefined;
    await waitFor(async () => {
      accepted = ((await gw.status('/Secret/default/shop'))?.status as { conditions?: { type: string; status: string; message: string }[] } | undefined)?.conditions?.find((c) => c.type === 'Accepted');
      return accepted?.status === 'False';
    }, { what: () => `Accepted=False on Secret default/shop (last: ${JSON.stringify(accepted)})` });
    assert.equal(accepted?.message, 'secret/data/portico/default/shop#tls.key: Secret default/shop: tls.key does not match the certificate in tls.crt; the previous certificate keeps serving');
    assert.equal((await shop()).peer.cn, 'shop v2');
  });

  await t.test('a Secret in both the folder and Vault: the folder wins', async () => {
    assert.equal((await get('dup.example.com', kvCa.cert)).peer.cn, 'dup from the folder');
  });

  await t.test('mTLS to an upstream with the client certificate and CA from Vault KV, rotated by SDS', async () => {
    await startMtlsServer(t, gw.ports.MTLS as number, kvCa.cert);
    assert.equal((await gw.until('/mtls', (r) => r.status === 200)).json?.client, 'upstream client v1');
    await vault.kvPut('portico/default/upstream-client', clientPair('upstream client v2'));
    await gw.until('/mtls', (r) => r.json?.client === 'upstream client v2');
  });

  await t.test('mTLS to an upstream with a client certificate Vault PKI issued', async () => {
    await startMtlsServer(t, gw.ports.MTLS_PKI as number, vault.ca.cert);
    assert.equal((await gw.until('/mtls-pki', (r) => r.status === 200)).json?.client, 'gateway.internal');
  });

  await t.test("a tenant naming a PKI role not listed for its namespace gets no certificate, and its status says why", async () => {
    const conditions = async (namespace: string) => ((await gw.status(`gloo.solo.io/Upstream/${namespace}/billing`))?.status as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined)?.conditions ?? [];
    await waitFor(async () => (await conditions('team-a')).some((c) => c.type === 'Accepted' && /TLS with a client certificate/.test(c.message)), { what: "team-a's Upstream to have its PKI client certificate" });
    const refused = (await conditions('team-b')).find((c) => c.type === 'ResolvedRefs');
    assert.deepEqual([refused?.status, refused?.reason, refused?.message], [
      'False',
      'RefNotPermitted',
      `portico.dev/vault-pki-role "pki/portico-gateway" is not permitted in namespace team-b: the controller's secrets.vault.pki.roles does not list it for team-b, so no certificate is requested; the Upstream is not served`,
    ]);
    assert.equal(await vault.audited('pki/issue/', 'billing.team-a.internal'), true, "team-a's request reached Vault (the audit log works)");
    assert.equal(await vault.audited('pki/issue/', 'ledger.team-a.internal'), false, "team-b's common name never reached Vault");
  });

  await t.test('a broken KV secret is refused before Envoy, naming the reference and the key', async () => {
    const message = await listenerMessage(gw, 'broken');
    assert.match(message, /Secret default\/nokey: tls\.key is missing or empty/);
    assert.match(message, /Secret default\/mismatch: tls\.key does not match the certificate in tls\.crt/);
    assert.match(message, /Secret default\/missing not found/);
  });

  await t.test('a 30 s PKI certificate renewed twice under TLS traffic: no failure, the client sees it change', async () => {
    const seen = [(await api()).peer.fingerprint];
    const { failures, requests } = await trafficUntil(api, (r) => {
      if (r.peer.fingerprint !== seen.at(-1)) seen.push(r.peer.fingerprint);
      return seen.length >= 3;
    }, 60_000);
    assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed`);
    assert.equal(new Set(seen).size, 3, 'three distinct certificates: the first and two renewals');
    assert.deepEqual(await stats(), statsBefore, 'KV rotations and PKI renewals modified no listener and no cluster (SDS only)');
    t.diagnostic(`${seen.length - 1} PKI renewals seen by the client; ${requests} requests during them, none failed`);
  });

  await t.test('Vault down: certificates keep serving, degraded health, expiry warned, recovery by itself', async () => {
    await vault.kill();
    const killed = performance.now();
    const health = async () => (await httpRequest(gw.controller.adminPort, '/healthz')).json as { status: string; degraded?: string[] };
    await waitFor(async () => (await health()).status === 'degraded', { timeoutMs: 10_000, what: '/healthz to report degraded' });
    const degradedAfter = performance.now() - killed;
    assert.match((await health()).degraded?.join('\n') ?? '', new RegExp(`Vault KV source: listing secret/metadata/portico/ at Vault ${vault.address} failed: ECONNREFUSED`));
    const metrics = (await httpRequest(gw.controller.adminPort, '/metrics')).body;
    assert.match(metrics, /^portico_degraded_components [1-9]/m);
    // Each served certificate's expiry, for alerting: the PKI one runs out within its 30 s TTL.
    const expiry = /^portico_certificate_expiry_timestamp_seconds\{secret="secret\/default\/vault-pki:api\.example\.com:[0-9a-f]+"\} (\d+)/m.exec(metrics)?.[1];
    assert.ok(expiry && Number(expiry) - Date.now() / 1000 <= 31, `PKI certificate expiry in /metrics: ${expiry}`);
    assert.match(metrics, /^portico_certificate_expiry_timestamp_seconds\{secret="secret\/default\/shop"\} \d+/m);
    assert.equal((await shop()).status, 200, 'the KV certificate keeps serving');
    // The PKI certificate's renewal (at 2/3 of 30 s) fails: the log says, in advance, when it runs out.
    const failures = await trafficUntil(api, () => /renewing the certificate for api\.example\.com failed: .*serves until/.test(logs.text()), 25_000);
    assert.deepEqual(failures.failures, [], 'the PKI certificate keeps serving while Vault is away');
    await vault.restart();
    await waitFor(async () => /Vault is sealed/.test((await health()).degraded?.join('\n') ?? ''), { timeoutMs: 15_000, what: '/healthz to say Vault is sealed' });
    await vault.unseal();
    const unsealed = performance.now();
    await waitFor(async () => (await health()).status === 'ok', { timeoutMs: 40_000, what: '/healthz to recover' });
    t.diagnostic(`Vault killed: /healthz degraded after ${Math.round(degradedAfter)} ms; unsealed: healthy again after ${Math.round(performance.now() - unsealed)} ms (back-off retries)`);
    assert.equal((await shop()).status, 200);
    assert.equal((await api()).status, 200);
  });

  await t.test('no secret value in the log, the statuses (files and /debug/statuses) or /debug: only references', async () => {
    const shown = await shownByController(gw, [logs]);
    for (const [where, text] of Object.entries(shown)) assert.doesNotMatch(text, /PRIVATE KEY/, `${where} holds a private key`);
    // The line after the PEM header: key material, in whatever form a leak would take (line breaks escaped or not).
    const material = (pem: string) => pem.split('\n')[1] as string;
    assertNotShown(shown, { "shop v1's key": material(shopV1.key), 'the mismatched key': material(mismatchedKey), "the upstream client's key": material(upstreamClientKey) });
    for (const where of ['status files', '/debug/statuses'] as const) {
      assert.match(shown[where] ?? '', /secret\/data\/portico\/default\/shop#tls\.key: Secret default\/shop: tls\.key does not match/, `${where} name the Vault path`);
      assert.match(shown[where] ?? '', /Secret default\/mismatch: tls\.key does not match the certificate in tls\.crt/, `${where} name the Secret`);
    }
    assert.ok(logs.entries.some((e) => typeof e.fingerprint === 'string'), 'issued certificates are logged by fingerprint');
  });
});

/** HTTPS requests back to back until `done`; every failure (status or handshake) is collected. */
async function trafficUntil(request: () => Promise<HttpsResult>, done: (r: HttpsResult) => boolean, timeoutMs = 15_000): Promise<{ failures: string[]; requests: number }> {
  const failures: string[] = [];
  let requests = 0;
  for (const end = Date.now() + timeoutMs; ; ) {
    if (Date.now() > end) assert.fail(`not done within ${timeoutMs} ms (${requests} requests, failures: ${failures.join('; ') || 'none'})`);
    requests++;
    const r = await request().catch((err: Error) => err);
    if (r instanceof Error || r.status !== 200) failures.push(r instanceof Error ? r.message : `${r.status} ${r.body}`);
    else if (done(r)) return { failures, requests };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function listenerMessage(gw: GatewayEnv, name: string): Promise<string> {
  let message = '';
  await waitFor(async () => {
    const status = (await gw.status('gateway.networking.k8s.io/Gateway/default/gw'))?.status as { listeners?: { name: string; conditions: { type: string; message: string }[] }[] } | undefined;
    message = status?.listeners?.find((l) => l.name === name)?.conditions.find((c) => c.type === 'ResolvedRefs')?.message ?? '';
    return message.includes('mismatch');
  }, { what: `the status of listener ${name}` });
  return message;
}
