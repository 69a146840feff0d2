// The PKI issuer against a fake Vault: what it issues and publishes, what it drops, when it renews (two thirds
// of the lifetime), and that a failing or broken issuance never replaces what serves (and says why, without the key).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CertificateRequest } from '../../api/certificate-request.ts';
import { notAfterOf } from '../../lib/certificates.ts';
import { VaultError } from '../../lib/errors.ts';
import type { SourceSnapshot } from '../../api/source.ts';
import { waitFor } from '../../../test/support/components.ts';
import { captureLogs } from '../../../test/support/logs.ts';
import { issueCertificate, makeCa } from '../../../test/support/tls.ts';
import { PkiIssuer, type VaultWriter } from './vault-pki.ts';

const ca = makeCa('fake-pki');
const request: CertificateRequest = { namespace: 'default', secretName: 'vault-pki:api.example.com:0123456789', mount: 'pki', role: 'gw', commonName: 'api.example.com', altNames: ['www.example.com'], ttlSeconds: 3600, requestedBy: ['Gateway default/gw listener api'] };

class FakePki implements VaultWriter {
  calls: { path: string; body: Record<string, unknown> }[] = [];
  fail?: Error;
  brokenKey = false;
  async write<T>(path: string, body: Record<string, unknown>): Promise<T> {
    this.calls.push({ path, body });
    if (this.fail) throw this.fail;
    const pair = issueCertificate(ca, String(body.common_name), `subjectAltName=DNS:${body.common_name}`);
    const key = this.brokenKey ? issueCertificate(ca, 'other', 'subjectAltName=DNS:other').key : pair.key;
    return { certificate: pair.cert, private_key: key, issuing_ca: ca.cert } as T;
  }
}

function issuer(pki: FakePki) {
  const logs = captureLogs('info');
  const snapshots: SourceSnapshot[] = [];
  const issuer = new PkiIssuer({ client: pki, logger: logs.logger });
  issuer.start((s) => snapshots.push(s));
  return { issuer, snapshots, logs };
}

test('issues what is wanted once, publishes it as a TLS Secret, drops what is no longer wanted', async (t) => {
  const pki = new FakePki();
  const { issuer: pkiIssuer, snapshots, logs } = issuer(pki);
  t.after(() => pkiIssuer.stop());
  pkiIssuer.want([request]);
  pkiIssuer.want([request]); // the same request again (every translation) issues nothing new
  await waitFor(() => snapshots.at(-1)?.resources.length === 1, { timeoutMs: 10_000, what: 'the certificate published' });
  assert.deepEqual(pki.calls, [{ path: 'pki/issue/gw', body: { common_name: 'api.example.com', alt_names: 'www.example.com', ttl: '3600s' } }]);
  const secret = snapshots.at(-1)?.resources[0];
  assert.deepEqual([secret?.metadata, (secret?.spec as { type: string }).type, secret?.source], [{ namespace: 'default', name: request.secretName }, 'kubernetes.io/tls', { key: 'pki/issue/gw' }]);
  assert.deepEqual(Object.keys((secret?.spec as { stringData: object }).stringData), ['tls.crt', 'tls.key', 'ca.crt']);
  assert.match(logs.text(), /"fingerprint":"[0-9A-F:]{95}"/);
  assert.doesNotMatch(logs.text(), /PRIVATE KEY/);
  pkiIssuer.want([]);
  assert.deepEqual(snapshots.at(-1)?.resources, []);
});

test('Vault failing or answering a broken pair: nothing published, problem() says why, retried', async (t) => {
  const pki = new FakePki();
  pki.fail = new VaultError('writing pki/issue/gw at Vault http://vault.test:8200 failed: ECONNREFUSED');
  const { issuer: pkiIssuer, snapshots, logs } = issuer(pki);
  t.after(() => pkiIssuer.stop());
  pkiIssuer.want([request]);
  await waitFor(() => pkiIssuer.problem() !== undefined, { timeoutMs: 10_000, what: 'the failed issue reported' });
  assert.deepEqual(snapshots, []);
  assert.equal(pkiIssuer.problem(), 'Vault PKI: writing pki/issue/gw at Vault http://vault.test:8200 failed: ECONNREFUSED; no certificate yet, the listener is not served');
  assert.match(logs.text(), /issuing the certificate for api\.example\.com failed/);
  pki.fail = undefined;
  pki.brokenKey = true;
  // Retried after 0.5–1 s, then 1–2 s.
  await waitFor(() => /the certificate pki\/issue\/gw issued for api\.example\.com is unusable: tls\.key does not match the certificate in tls\.crt/.test(pkiIssuer.problem() ?? ''));
  assert.deepEqual(snapshots, [], 'a pair that does not match never reaches the store');
  pki.brokenKey = false;
  await waitFor(() => snapshots.length === 1);
  assert.equal(pkiIssuer.problem(), undefined);
});

test('renews at two thirds of the lifetime: not before, not after', async (t) => {
  // Fake clocks (Date and setTimeout) so a day-long certificate (what makeCa issues) can be walked through.
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.now() });
  const issuedAt = Date.now();
  const pki = new FakePki();
  const { issuer: pkiIssuer, snapshots } = issuer(pki);
  t.after(() => pkiIssuer.stop());
  pkiIssuer.want([request]);
  await settle(() => snapshots.length === 1);
  const cert = (snapshots[0]?.resources[0]?.spec as { stringData: Record<string, string> }).stringData['tls.crt'] as string;
  const lifetimeMs = (notAfterOf(cert) as number) - issuedAt;
  assert.ok(lifetimeMs > 23 * 3600_000, `a day-long certificate (${lifetimeMs} ms)`);

  t.mock.timers.tick(Math.floor(lifetimeMs * 0.65));
  await settle(() => pki.calls.length > 1);
  assert.equal(pki.calls.length, 1, 'not renewed at 65 % of the lifetime');
  t.mock.timers.tick(Math.floor(lifetimeMs * 0.01)); // 66 %: still before 2/3
  await settle(() => pki.calls.length > 1);
  assert.equal(pki.calls.length, 1, 'not renewed at 66 % of the lifetime');
  t.mock.timers.tick(Math.floor(lifetimeMs * 0.01)); // 67 %: just past 2/3
  await settle(() => snapshots.length === 2);
  assert.equal(pki.calls.length, 2, 'renewed by 67 % of the lifetime');
  assert.equal(snapshots.length, 2, 'the renewed certificate is published');
});

/** Lets the issuer's promises run (the fake clocks leave setImmediate alone) until `done`, or a while. */
async function settle(done: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
}
