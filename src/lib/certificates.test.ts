import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueCertificate, makeCa } from '../../test/support/tls.ts';
import { checkKeyPair } from './certificates.ts';

test('checkKeyPair: names from the SANs (else the CN); each fault names the file, never its content', () => {
  const ca = makeCa();
  const sans = issueCertificate(ca, 'ignored-cn', 'subjectAltName=DNS:a.example.com,DNS:*.b.example.com,IP:127.0.0.1');
  const cnOnly = issueCertificate(ca, 'cn.example.com', 'keyUsage=digitalSignature');
  assert.deepEqual(checkKeyPair(sans.cert, sans.key), { ok: true, names: ['a.example.com', '*.b.example.com'] });
  assert.deepEqual(checkKeyPair(cnOnly.cert, cnOnly.key), { ok: true, names: ['cn.example.com'] });
  const faults = [
    checkKeyPair(undefined, sans.key),
    checkKeyPair(sans.cert, ''),
    checkKeyPair('-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n', sans.key),
    checkKeyPair(sans.cert, 'secret-looking text'),
    checkKeyPair(sans.cert, cnOnly.key),
  ];
  assert.deepEqual(faults.map((f) => (f.ok ? 'ok' : `${f.field} ${f.message}`)), [
    'tls.crt is missing or empty',
    'tls.key is missing or empty',
    'tls.crt is not a PEM certificate',
    'tls.key is not a PEM private key (encrypted keys are not supported)',
    'tls.key does not match the certificate in tls.crt',
  ]);
});
