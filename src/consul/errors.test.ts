import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consulError, tlsProblem } from './errors.ts';

/** An error as Node's TLS layer throws it: an OpenSSL code and text. */
const tlsError = (code: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code, ...extra });

test('TLS mismatches with Consul in plain words, with the setting to check; other failures are not TLS', () => {
  assert.match(tlsProblem(tlsError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain')) ?? '', /^certificate signed by an unknown authority \(check consul\.tls\.caFile/);
  assert.match(tlsProblem(tlsError('ERR_TLS_CERT_ALTNAME_INVALID', 'Hostname/IP does not match', { reason: "IP: 10.0.0.1 is not in the cert's list: 127.0.0.1" })) ?? '', /^the certificate is not for this address: IP: 10\.0\.0\.1 is not in the cert's list.*consul\.tls\.serverName/);
  assert.equal(tlsProblem(tlsError('CERT_HAS_EXPIRED', 'certificate has expired')), 'the certificate has expired');
  assert.match(tlsProblem(tlsError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ssl3_read_bytes:tlsv13 alert certificate required')) ?? '', /client certificate .*consul\.tls\.certFile and keyFile/);
  assert.match(tlsProblem(tlsError('EPROTO', 'write EPROTO ...:tls_validate_record_header:wrong version number')) ?? '', /^the port answers plain HTTP, not TLS/);
  const plainToTls = Object.assign(new Error('bad request'), { response: { statusCode: 400, body: Buffer.from('Client sent an HTTP request to an HTTPS server.\n') } });
  assert.match(tlsProblem(plainToTls) ?? '', /^the port wants TLS and refused plain HTTP/);
  assert.equal(tlsProblem(tlsError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:8500')), undefined);
  assert.equal(tlsProblem(Object.assign(new Error('bad request'), { response: { statusCode: 400, body: 'Invalid wait time' } })), undefined);
  const e = consulError(tlsError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'), { doing: 'reading portico/', needs: '' }, 'https://127.0.0.1:8501');
  assert.equal(e.code, 'PORTICO_CONSUL');
  assert.match(e.message, /^TLS mismatch with Consul at https:\/\/127\.0\.0\.1:8501 \(reading portico\/\): certificate signed by an unknown authority/);
});
