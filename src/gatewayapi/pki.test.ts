// Listeners asking Vault PKI for their certificate: the translator names the request, reports the listener
// unresolved until the issuer's Secret is there, then serves it like any Secret; bad options refuse the listener.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SecretSpec } from '../api/core-types.ts';
import { parseDocuments } from '../api/parse.ts';
import type { Resource } from '../api/resource.ts';
import { gatewayWith } from '../../test/support/fixtures.ts';
import { readSecrets } from '../providers/secrets/file.ts';
import type { StatusEntry } from './status.ts';
import { translate } from './translate.ts';

const gateway = (listeners: string) => gatewayWith(listeners.trimEnd());

const PKI = `    - name: shop
      port: 443
      protocol: HTTPS
      hostname: shop.example.com
      tls: { options: { portico.dev/vault-pki-role: pki/portico-gateway, portico.dev/vault-pki-ttl: 30s, portico.dev/vault-pki-alt-names: 'www.shop.example.com, shop.internal' } }
    - name: shop-8443
      port: 8443
      protocol: HTTPS
      hostname: shop.example.com
      tls: { options: { portico.dev/vault-pki-role: pki/portico-gateway, portico.dev/vault-pki-ttl: 30s, portico.dev/vault-pki-alt-names: 'shop.internal,www.shop.example.com' } }
`;

const shopPair = (await readSecrets(join(import.meta.dirname, 'testdata/secrets'))).find((s) => s.metadata.name === 'shop') as Resource<SecretSpec>;

function listenerCondition(statuses: StatusEntry[], listener: string, type: string) {
  const gw = statuses.find((s) => s.id === 'Gateway default/gw');
  const listeners = (gw?.status.listeners ?? []) as { name: string; conditions: { type: string; status: string; reason: string; message: string }[] }[];
  return listeners.find((l) => l.name === listener)?.conditions.find((c) => c.type === type);
}

test('a listener asking Vault PKI: one request per distinct certificate, unresolved until issued, then served', () => {
  const resources = parseDocuments(gateway(PKI), { file: 'gw.yaml' }).resources;
  const before = translate(resources);
  assert.equal(before.certificateRequests.length, 1, 'two listeners asking for the same certificate share it');
  const [request] = before.certificateRequests;
  assert.ok(request);
  assert.deepEqual({ ...request, secretName: request.secretName.replace(/[0-9a-f]{10}$/, 'HASH') }, {
    namespace: 'default',
    secretName: 'vault-pki:shop.example.com:HASH',
    mount: 'pki',
    role: 'portico-gateway',
    commonName: 'shop.example.com',
    altNames: ['shop.internal', 'www.shop.example.com'],
    ttlSeconds: 30,
    requestedBy: ['Gateway default/gw listener shop', 'Gateway default/gw listener shop-8443'],
  });
  assert.deepEqual(before.ir.gateways, [], 'nothing to serve before the certificate is issued');
  const refs = listenerCondition(before.statuses, 'shop', 'ResolvedRefs');
  assert.equal(refs?.reason, 'InvalidCertificateRef');
  assert.match(refs?.message ?? '', /^certificate for shop\.example\.com from Vault PKI \(pki\/issue\/portico-gateway\) is not issued yet/);

  const issued = { ...shopPair, metadata: { namespace: 'default', name: request.secretName } };
  const after = translate([...resources, issued]);
  assert.deepEqual(after.ir.gateways[0]?.secrets?.map((s) => s.name), [`secret/default/${request.secretName}`]);
  assert.equal(listenerCondition(after.statuses, 'shop', 'Programmed')?.status, 'True');
  assert.deepEqual(after.certificateRequests, before.certificateRequests, 'the request stands while its certificate serves');

  const broken = translate([...resources, { ...issued, spec: { ...issued.spec, stringData: { ...issued.spec.stringData, 'tls.key': undefined } } }]);
  assert.match(listenerCondition(broken.statuses, 'shop', 'ResolvedRefs')?.message ?? '', /from Vault PKI \(pki\/issue\/portico-gateway\): tls\.key is missing/);
});

test('bad Vault PKI options refuse the listener and say which option and why', () => {
  const listeners = `    - name: a
      port: 443
      protocol: HTTPS
      tls: { options: { portico.dev/vault-pki-role: portico-gateway, portico.dev/vault-pki-ttl: 1 hour } }
    - name: b
      port: 444
      protocol: HTTPS
      tls: { certificateRefs: [{ name: x }], options: { portico.dev/vault-pki-ttl: 30s } }
`;
  const out = translate(parseDocuments(gateway(listeners), { file: 'gw.yaml' }).resources);
  assert.deepEqual(out.certificateRequests, []);
  const a = listenerCondition(out.statuses, 'a', 'Accepted');
  assert.equal(a?.reason, 'UnsupportedValue');
  assert.equal(
    a?.message,
    'portico.dev/vault-pki-role: "portico-gateway" must be <PKI mount>/<role>, e.g. pki/portico-gateway; portico.dev/vault-pki-common-name is required when the listener has no hostname; portico.dev/vault-pki-ttl: "1 hour" is not a duration of at least 1s (e.g. 30s, 24h)',
  );
  assert.equal(listenerCondition(out.statuses, 'b', 'Accepted')?.message, 'portico.dev/vault-pki-ttl needs portico.dev/vault-pki-role');
});
