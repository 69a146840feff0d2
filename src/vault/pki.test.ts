// The PKI issuer against a fake Vault: what it issues and publishes, what it drops, and that a failing or
// broken issuance never replaces what serves (and says why, without the key).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CertificateRequest } from '../api/certificate-request.ts';
import { VaultError } from '../lib/errors.ts';
import type { SourceSnapshot } from '../providers/resources/source.ts';
import { waitFor } from '../../test/support/components.ts';
import { captureLogs } from '../../test/support/logs.ts';
import { issueCertificate, makeCa } from '../../test/support/tls.ts';
import { PkiIssuer, type VaultWriter } from './pki.ts';

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
  await sleep(200);
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
  await sleep(100);
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
