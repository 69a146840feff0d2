import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { issueCertificate, issueUriCertificate, makeCa } from '../../../test/support/tls.ts';
import { allows, ANONYMOUS, formatIdentity, identityFromCertificate, identityFromSpiffeId, identityOfToken, parseIdentity, parseTokens, spiffeId, TokensFileError } from './identity.ts';

test('identities parse from their path and print back the same', () => {
  for (const path of ['gateway/team-a/gw', 'gateway/default/edge.v2', 'service/extauth', 'service/ratelimit']) {
    const id = parseIdentity(path);
    assert.ok(id, path);
    assert.equal(formatIdentity(id), path);
  }
  for (const bad of ['', 'gateway', 'gateway/team-a', 'gateway/team-a/gw/x', 'gateway/Team-A/gw', 'gateway/-a/gw', 'service/echo', 'service/toString', 'service/__proto__', 'anonymous', 'team-a/gw']) {
    assert.equal(parseIdentity(bad), undefined, bad);
  }
});

test('each identity is allowed its own node key only; anonymous (no client authentication) any', () => {
  const gw = parseIdentity('gateway/team-a/gw')!;
  assert.equal(allows(gw, 'team-a/gw'), true);
  for (const key of ['team-b/gw', 'team-a/gw2', 'portico:extauth', 'portico:ratelimit', 'team-a/gw/', '']) assert.equal(allows(gw, key), false, key);
  const extauth = parseIdentity('service/extauth')!;
  assert.equal(allows(extauth, 'portico:extauth'), true);
  for (const key of ['portico:ratelimit', 'team-a/gw']) assert.equal(allows(extauth, key), false, key);
  const ratelimit = parseIdentity('service/ratelimit')!;
  assert.equal(allows(ratelimit, 'portico:ratelimit'), true);
  assert.equal(allows(ratelimit, 'portico:extauth'), false);
  assert.equal(allows(ANONYMOUS, 'team-a/gw'), true);
});

test('SPIFFE IDs: only the configured trust domain, only Portico paths', () => {
  const gw = parseIdentity('gateway/team-a/gw')!;
  assert.equal(spiffeId(gw, 'portico.local'), 'spiffe://portico.local/gateway/team-a/gw');
  assert.deepEqual(identityFromSpiffeId('spiffe://portico.local/gateway/team-a/gw', 'portico.local'), gw);
  assert.equal(identityFromSpiffeId('spiffe://other.example/gateway/team-a/gw', 'portico.local'), undefined);
  assert.equal(identityFromSpiffeId('spiffe://portico.local.evil/gateway/team-a/gw', 'portico.local'), undefined);
  assert.equal(identityFromSpiffeId('spiffe://portico.local/ns/default/dc/dc1/svc/web', 'portico.local'), undefined);
});

test('a certificate names its identity by one URI SAN; none, a foreign one or two different ones are refused', () => {
  const ca = makeCa();
  const der = (pem: string) => new X509Certificate(pem).raw;
  const gw = issueUriCertificate(ca, 'spiffe://portico.local/gateway/team-a/gw');
  assert.deepEqual(identityFromCertificate(der(gw.cert), 'portico.local'), { ok: true, identity: parseIdentity('gateway/team-a/gw') });

  const foreign = identityFromCertificate(der(gw.cert), 'example.org');
  assert.equal(foreign.ok, false);
  assert.match(!foreign.ok ? foreign.reason : '', /carries no identity spiffe:\/\/example\.org\/.*its URI SANs are spiffe:\/\/portico\.local\/gateway\/team-a\/gw/);

  const plain = issueCertificate(ca, 'envoy', 'extendedKeyUsage=clientAuth');
  const none = identityFromCertificate(der(plain.cert), 'portico.local');
  assert.match(!none.ok ? none.reason : '', /it has no URI SAN/);

  const dnsOnly = issueCertificate(ca, 'x', 'subjectAltName=DNS:gateway.team-a.gw,DNS:"URI:spiffe://portico.local/service/extauth"');
  assert.equal(identityFromCertificate(der(dnsOnly.cert), 'portico.local').ok, false, 'a DNS SAN that looks like a URI is not one');

  const two = issueCertificate(ca, 'x', 'subjectAltName=URI:spiffe://portico.local/gateway/team-a/gw,URI:spiffe://portico.local/service/extauth');
  assert.match(((r) => (!r.ok ? r.reason : ''))(identityFromCertificate(der(two.cert), 'portico.local')), /several identities \(gateway\/team-a\/gw, service\/extauth\)/);

  assert.equal(identityFromCertificate(Buffer.from('not der'), 'portico.local').ok, false);
});

test('tokens file: <identity> <token> lines; errors name the line, never a token', () => {
  const entries = parseTokens('# gateways\ngateway/team-a/gw  tok-a\n\ngateway/team-b/gw\ttok-b\nservice/extauth tok-x\nservice/extauth tok-x2 \r\n');
  assert.deepEqual(entries.map((e) => [formatIdentity(e.identity), e.token]), [
    ['gateway/team-a/gw', 'tok-a'],
    ['gateway/team-b/gw', 'tok-b'],
    ['service/extauth', 'tok-x'],
    ['service/extauth', 'tok-x2'],
  ]);
  assert.equal(formatIdentity(identityOfToken(entries, 'tok-b')!), 'gateway/team-b/gw');
  assert.equal(formatIdentity(identityOfToken(entries, 'tok-x2')!), 'service/extauth');
  for (const wrong of ['', 'tok', 'tok-a ', 'TOK-A']) assert.equal(identityOfToken(entries, wrong), undefined, wrong);

  const bad: [string, RegExp][] = [
    ['team-a/gw secret-1', /line 1: 'team-a\/gw' is not an identity/],
    ['gateway/a/gw', /line 1: expected '<identity> <token>'/],
    ['gateway/a/gw secret-1 secret-2', /line 1: expected/],
    ['gateway/a/gw secret-1\ngateway/b/gw secret-1', /line 2: the token of gateway\/b\/gw is also given to another line/],
    ['service/extauth s\u00e9cret-1', /line 1: the token of service\/extauth must be visible ASCII/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseTokens(text), (err: Error) => {
      assert.ok(err instanceof TokensFileError);
      assert.match(err.message, message);
      assert.doesNotMatch(err.message, /secret|s\u00e9cret/);
      return true;
    });
  }
});
