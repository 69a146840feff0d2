// Upstream sslConfig.secretRef: the Secret's pair becomes the client certificate by SDS (in the gateway's
// secrets), its ca.crt the trusted CA; a reference that cannot be used leaves the Upstream unserved (fail closed).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { gatewayWith, route, backend } from '../../test/support/fixtures.ts';
import { parseDocuments } from '../api/parse.ts';
import { readSecrets } from '../providers/secrets/file.ts';
import { translateIr } from '../xds/translator/translate.ts';
import { TYPE_URLS } from '../xds/resources.ts';
import { translate } from './translate.ts';

const secrets = await readSecrets(join(import.meta.dirname, 'testdata/secrets'));
const shop = secrets.find((s) => s.metadata.name === 'shop');
const withCa = shop && { ...shop, metadata: { namespace: 'default', name: 'client' }, spec: { ...shop.spec, stringData: { ...shop.spec.stringData, 'ca.crt': shop.spec.stringData['tls.crt'] } } };

const upstream = (name: string, ssl: string) => `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: ${name}, namespace: default }
spec:
  static: { hosts: [{ addr: 10.0.0.1, port: 8443 }] }
  sslConfig: ${ssl}
`;

const INPUT = [
  gatewayWith('    - { name: http, protocol: HTTP, port: 80 }'),
  upstream('mtls', '{ sni: api.internal, secretRef: { name: client }, verifySubjectAltName: [api.internal] }'),
  upstream('missing', '{ secretRef: { name: nope } }'),
  upstream('foreign', '{ secretRef: { name: foreign, namespace: other } }'),
  upstream('no-ca', '{ secretRef: { name: shop }, verifySubjectAltName: [api.internal] }'),
  route('web', ['mtls', 'missing', 'foreign', 'no-ca'].map((b) => `    - matches: [{ path: { value: /${b} } }]\n      backendRefs:\n${backend(b)}`).join('\n')),
].join('---\n');

test('Upstream secretRef: client certificate by SDS and the CA from the Secret; unusable references fail closed', () => {
  const out = translate([...parseDocuments(INPUT, { file: 'in.yaml' }).resources, ...secrets, ...(withCa ? [withCa] : [])]);
  const [gw] = out.ir.gateways;
  assert.deepEqual(gw?.clusters.map((c) => c.name), ['upstream/default/mtls'], 'only the Upstream whose secretRef resolves is served');
  const tls = gw?.clusters[0]?.tls;
  assert.equal(tls?.clientCertificate, 'secret/default/client');
  assert.equal(tls?.trustedCa, shop?.spec.stringData['tls.crt']);
  assert.deepEqual(gw?.secrets?.map((s) => s.name), ['secret/default/client']);

  const cluster = translateIr(out.ir).get('default/gw')?.[TYPE_URLS.cluster]?.[0]?.resource as { transport_socket: { typed_config: { common_tls_context: Record<string, unknown> } } };
  const common = cluster.transport_socket.typed_config.common_tls_context;
  assert.deepEqual(common.tls_certificate_sds_secret_configs, [{ name: 'secret/default/client', sds_config: { ads: {}, resource_api_version: 'V3' } }]);
  assert.deepEqual((common.validation_context as { trusted_ca: unknown }).trusted_ca, { inline_string: shop?.spec.stringData['tls.crt'] });

  const problems = out.problems.map((p) => `${p.resource}: ${p.message}`);
  assert.deepEqual(problems.filter((p) => p.startsWith('Upstream')), [
    'Upstream default/missing: Secret default/nope not found (no secret source has default/nope); the Upstream is not served',
    'Upstream default/foreign: Secret other/foreign is in another namespace and no ReferenceGrant there permits it (one from gloo.solo.io Upstream in default to core Secret would); the Upstream is not served',
    'Upstream default/no-ca: Secret default/shop has no ca.crt to verify verifySubjectAltName against; the Upstream is not served',
  ]);
  const missing = out.statuses.find((s) => s.id === 'Upstream default/missing')?.status.conditions as { type: string; status: string; reason: string }[];
  assert.deepEqual(missing.map((c) => [c.type, c.status, c.reason]), [['Accepted', 'True', 'Accepted'], ['ResolvedRefs', 'False', 'InvalidCertificateRef']]);
});

test('an Upstream asking Vault PKI for its client certificate: requested, not served until issued, then by SDS', () => {
  const input = [
    gatewayWith('    - { name: http, protocol: HTTP, port: 80 }'),
    `apiVersion: gloo.solo.io/v1
kind: Upstream
metadata:
  name: pki
  namespace: default
  annotations: { portico.dev/vault-pki-role: pki/portico-gateway, portico.dev/vault-pki-common-name: gateway.internal }
spec:
  static: { hosts: [{ addr: 10.0.0.1, port: 8443 }] }`,
    `apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: no-cn, namespace: default, annotations: { portico.dev/vault-pki-role: pki/portico-gateway } }
spec:
  static: { hosts: [{ addr: 10.0.0.1, port: 8443 }] }`,
    route('web', `    - backendRefs:\n${backend('pki')}`),
  ].join('\n---\n');
  const resources = parseDocuments(input, { file: 'in.yaml' }).resources;
  const before = translate(resources);
  const [request] = before.certificateRequests;
  assert.deepEqual([request?.commonName, request?.requestedBy], ['gateway.internal', ['Upstream default/pki']]);
  assert.deepEqual(before.ir.gateways[0]?.clusters, [], 'not served before its certificate is issued');
  assert.deepEqual(before.problems.map((p) => `${p.resource}: ${p.field}: ${p.message}`).filter((p) => p.startsWith('Upstream')), [
    `Upstream default/pki: metadata.annotations: certificate for gateway.internal from Vault PKI (pki/issue/portico-gateway) is not issued yet; the controller issues it when secrets.vault is configured (see its log and /healthz); the Upstream is not served`,
    'Upstream default/no-cn: metadata.annotations: portico.dev/vault-pki-common-name is required on an Upstream; the Upstream is not served',
  ]);

  const issued = withCa && { ...withCa, metadata: { namespace: 'default', name: request?.secretName ?? '' } };
  const after = translate([...resources, ...(issued ? [issued] : [])]);
  const [cluster] = after.ir.gateways[0]?.clusters ?? [];
  assert.equal(cluster?.tls?.clientCertificate, `secret/default/${request?.secretName}`);
  assert.equal(cluster?.tls?.trustedCa, withCa?.spec.stringData['ca.crt'], "the PKI's CA verifies the upstream");
  assert.deepEqual(after.ir.gateways[0]?.secrets?.map((s) => s.name), [`secret/default/${request?.secretName}`]);
});
