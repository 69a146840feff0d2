// An Upstream's client certificate: `sslConfig.secretRef`, a TLS Secret (from the secrets folder or Vault KV),
// or one issued by Vault PKI (annotations portico.dev/vault-pki-*, see pki.ts). Its tls.crt and tls.key
// become Envoy's client certificate by SDS and its ca.crt the root CA the upstream is verified against
// (unless sslFiles.rootCa names one). A reference that cannot be used fails closed: the Upstream's clusters are not served (requests to
// it get 503) rather than connecting without the client certificate or without verifying the upstream.
import { X509Certificate } from 'node:crypto';
import { issuePath, type CertificateRequest } from '../api/certificate-request.ts';
import type { SecretSpec } from '../api/core-types.ts';
import type { UpstreamSpec } from '../api/gloo-types.ts';
import { GLOO_GROUP, resourceKey, type Resource } from '../api/resource.ts';
import type { SecretIr } from '../ir/types.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { notIssuedYet, PKI_OPTIONS, upstreamPkiRequest, type PkiAsk } from './pki.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import type { Because } from './status.ts';
import { usableSecret } from './tls.ts';

export type UpstreamSecret = { secret: SecretIr; trustedCa?: string } | { unresolved: Because };

export interface UpstreamCertificates {
  /** By the Upstream's resourceKey: its client certificate, or why it has none. */
  secrets: Map<string, UpstreamSecret>;
  /** What Upstreams ask Vault PKI for. */
  requests: CertificateRequest[];
}

/** Each Upstream with a secretRef or PKI annotations → its certificate or why not; problems are reported. */
export function upstreamCertificates(index: ResourceIndex, problems: FieldProblem[]): UpstreamCertificates {
  const out: UpstreamCertificates = { secrets: new Map(), requests: [] };
  for (const u of index.upstreams) {
    const pki = upstreamPkiRequest(u);
    if (pki.request) out.requests.push(pki.request);
    const [field, resolved] = pki.request || pki.problem ? ['metadata.annotations', resolvePki(u, pki, index)] : ['spec.sslConfig.secretRef', resolveSecretRef(u, index)];
    if (!resolved) continue;
    out.secrets.set(resourceKey(u), resolved);
    if ('unresolved' in resolved) problems.push(problemAt(u, field, resolved.unresolved.message));
  }
  return out;
}

function fail(reason: string, message: string): UpstreamSecret {
  return { unresolved: { reason, message: `${message}; the Upstream is not served` } };
}

function resolvePki(u: Resource<UpstreamSpec>, pki: PkiAsk, index: ResourceIndex): UpstreamSecret {
  if (!pki.request) return fail('UnsupportedValue', pki.problem ?? '');
  if (u.spec.sslConfig?.secretRef || u.spec.sslConfig?.sslFiles?.tlsCert) return fail('UnsupportedValue', `${PKI_OPTIONS.role} and sslConfig.secretRef or sslFiles.tlsCert are alternatives (one client certificate)`);
  const secret = index.secret(pki.request.namespace, pki.request.secretName);
  if (!secret) return fail('InvalidCertificateRef', notIssuedYet(pki.request));
  return usableClientSecret(u, secret, `certificate for ${pki.request.commonName} from Vault PKI (${issuePath(pki.request)})`);
}

function resolveSecretRef(u: Resource<UpstreamSpec>, index: ResourceIndex): UpstreamSecret | undefined {
  const ref = u.spec.sslConfig?.secretRef;
  if (!ref) return undefined;
  const namespace = ref.namespace ?? u.metadata.namespace;
  const target = `Secret ${namespace}/${ref.name}`;
  if (!index.permits({ group: GLOO_GROUP, kind: 'Upstream', namespace: u.metadata.namespace }, { group: '', kind: 'Secret', namespace, name: ref.name })) {
    return fail('RefNotPermitted', `${target} is in another namespace, and no ReferenceGrant there lets Upstreams of namespace ${u.metadata.namespace} refer to it`);
  }
  const secret = index.secret(namespace, ref.name);
  if (!secret) return fail('InvalidCertificateRef', `${target} not found (no secret source has ${namespace}/${ref.name})`);
  return usableClientSecret(u, secret, target);
}

/** The pair checks out, and there is a CA to verify the upstream against when SANs are to be checked. */
function usableClientSecret(u: Resource<UpstreamSpec>, secret: Resource<SecretSpec>, target: string): UpstreamSecret {
  const usable = usableSecret(secret, target);
  if ('reason' in usable) return fail(usable.reason, usable.message);
  const trustedCa = secret.spec.stringData['ca.crt'];
  if (u.spec.sslConfig?.verifySubjectAltName?.length && !trustedCa && !u.spec.sslConfig.sslFiles?.rootCa) return fail('InvalidCertificateRef', `${target} has no ca.crt to verify verifySubjectAltName against`);
  if (trustedCa && !isCertificate(trustedCa)) return fail('InvalidCertificateRef', `${target}: ca.crt is not a PEM certificate`);
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
