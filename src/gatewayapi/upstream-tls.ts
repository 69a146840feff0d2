// An Upstream's client certificate: `sslConfig.secretRef`, a TLS Secret (from the secrets folder or Vault KV),
// or one issued by Vault PKI (annotations portico.dev/vault-pki-*, see pki.ts). Its tls.crt and tls.key
// become Envoy's client certificate by SDS and its ca.crt the root CA the upstream is verified against
// (unless sslFiles.rootCa names one). A reference that cannot be used fails closed: the Upstream's clusters
// are not served (requests to it get 503) rather than connecting without the client certificate or without
// verifying the upstream.
import { X509Certificate } from 'node:crypto';
import { issuePath, type CertificateRequest } from '../api/certificate-request.ts';
import type { SecretSpec } from '../api/core-types.ts';
import type { UpstreamSpec } from '../api/gloo-types.ts';
import type { Resource } from '../api/resource.ts';
import type { SecretIr } from '../ir/types.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { notIssuedYet, PKI_OPTIONS, upstreamPkiRequest, type PkiAsk } from './pki.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import type { Because } from './status.ts';
import { usableSecret } from './tls.ts';

export type UpstreamSecret = { secret: SecretIr; trustedCa?: string } | { unresolved: Because; field: string };

/** The Upstream's client certificate (secretRef or Vault PKI), or why it cannot have one; undefined: none asked for. */
export function upstreamClientCertificate(u: Resource<UpstreamSpec>, index: ResourceIndex): UpstreamSecret | undefined {
  const pki = upstreamPkiRequest(u, index.pkiRolePermitted);
  return pki.request || pki.problem || pki.refused ? resolvePki(u, pki, index) : resolveSecretRef(u, index);
}

/** What the Upstream asks Vault PKI for (its annotations), if anything and if its namespace may. */
export function upstreamCertificateRequest(u: Resource<UpstreamSpec>, index: ResourceIndex): CertificateRequest | undefined {
  return upstreamPkiRequest(u, index.pkiRolePermitted).request;
}

/** Why the Upstream's client certificate cannot be used, as a problem on the field at fault. */
export function clientCertificateProblems(u: Resource<UpstreamSpec>, index: ResourceIndex): FieldProblem[] {
  const client = upstreamClientCertificate(u, index);
  return client && 'unresolved' in client ? [problemAt(u, client.field, client.unresolved.message)] : [];
}

function fail(reason: string, message: string, field = 'spec.sslConfig.secretRef'): UpstreamSecret {
  return { unresolved: { reason, message: `${message}; the Upstream is not served` }, field };
}

function resolvePki(u: Resource<UpstreamSpec>, pki: PkiAsk, index: ResourceIndex): UpstreamSecret {
  const at = 'metadata.annotations';
  if (pki.refused) return fail(pki.refused.reason, pki.refused.message, at);
  if (!pki.request) return fail('UnsupportedValue', pki.problem ?? '', at);
  if (u.spec.sslConfig?.secretRef || u.spec.sslConfig?.sslFiles?.tlsCert) return fail('UnsupportedValue', `${PKI_OPTIONS.role} and sslConfig.secretRef or sslFiles.tlsCert are alternatives (one client certificate)`, at);
  const secret = index.secret(pki.request.namespace, pki.request.secretName);
  if (!secret) return fail('InvalidCertificateRef', notIssuedYet(pki.request), at);
  return usableClientSecret(u, secret, `certificate for ${pki.request.commonName} from Vault PKI (${issuePath(pki.request)})`, at);
}

function resolveSecretRef(u: Resource<UpstreamSpec>, index: ResourceIndex): UpstreamSecret | undefined {
  const ref = u.spec.sslConfig?.secretRef;
  if (!ref) return undefined;
  const namespace = ref.namespace ?? u.metadata.namespace;
  const target = `Secret ${namespace}/${ref.name}`;
  const refused = index.refusal(u, { group: '', kind: 'Secret', namespace, name: ref.name });
  if (refused) return fail(refused.reason, refused.message);
  const secret = index.secret(namespace, ref.name);
  if (!secret) return fail('InvalidCertificateRef', `${target} not found (no secret source has ${namespace}/${ref.name})`);
  return usableClientSecret(u, secret, target, 'spec.sslConfig.secretRef');
}

/** The pair checks out, and there is a CA to verify the upstream against when SANs are to be checked. */
function usableClientSecret(u: Resource<UpstreamSpec>, secret: Resource<SecretSpec>, target: string, field: string): UpstreamSecret {
  const usable = usableSecret(secret, target);
  if ('reason' in usable) return fail(usable.reason, usable.message, field);
  const trustedCa = secret.spec.stringData['ca.crt'];
  if (u.spec.sslConfig?.verifySubjectAltName?.length && !trustedCa && !u.spec.sslConfig.sslFiles?.rootCa) return fail('InvalidCertificateRef', `${target} has no ca.crt to verify verifySubjectAltName against`, field);
  if (trustedCa && !isCertificate(trustedCa)) return fail('InvalidCertificateRef', `${target}: ca.crt is not a PEM certificate`, field);
  return { secret: usable.secret, ...(trustedCa && { trustedCa }) };
}

function isCertificate(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}
