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

/** A refusal as the consul client throws it: a ResponseError carrying Consul's HTTP answer (decoded body). */
const answered = (statusCode: number, body: unknown) => Object.assign(new Error(statusCode === 409 ? 'conflict' : 'forbidden'), { response: { statusCode, body } });
const WRITE = { doing: 'writing statuses under portico-status/gateway.networking.k8s.io/HTTPRoute/default/web', needs: 'key_prefix "portico-status/" { policy = "write" }' };

test('a refusal names the ACL rule the token lacks: a 403, or a transaction refused with 409 "Permission denied"', () => {
  // What Consul 1.22 answers to /v1/txn with a set the token may not make (checked against a real agent).
  const txn = answered(409, { Results: null, Errors: [{ OpIndex: 1, What: 'Permission denied: token with AccessorID \'e9e5a55e-c55d-21b2-8468-3d8d18d1b9ce\' lacks permission \'key:write\' on "portico-status/x"' }] });
  const e = consulError(txn, WRITE, 'http://127.0.0.1:8500');
  assert.equal(e.status, 409);
  assert.equal(e.message, 'permission denied writing statuses under portico-status/gateway.networking.k8s.io/HTTPRoute/default/web at http://127.0.0.1:8500 (Consul: lacks permission \'key:write\' on "portico-status/x"); the token needs key_prefix "portico-status/" { policy = "write" }');
  assert.doesNotMatch(e.message, /AccessorID/);
  // A 403 with Consul's text body (session create without session write).
  const session = answered(403, 'Permission denied: token with AccessorID \'5e55\' lacks permission \'session:write\' on "node-1"');
  assert.match(consulError(session, { doing: 'creating a leader-election session', needs: 'session_prefix "" { policy = "write" }' }, 'x').message, /^permission denied creating a leader-election session at x \(Consul: lacks permission 'session:write' on "node-1"\); the token needs session_prefix "" \{ policy = "write" \}$/);
  // A transaction refused for another reason (the leader lock is gone) says so, not "permission denied".
  const lost = answered(409, { Errors: [{ OpIndex: 0, What: 'failed to check session, key "portico-status/.leader" doesn\'t exist' }] });
  assert.equal(consulError(lost, WRITE, 'x').message, `${WRITE.doing} at x failed: Consul refused the transaction: failed to check session, key "portico-status/.leader" doesn't exist`);
});
