// An Upstream's `sslConfig.secretRef`: a TLS Secret (from the secrets folder or Vault KV) whose tls.crt and
// tls.key become Envoy's client certificate by SDS and whose ca.crt the root CA the upstream is verified
// against. A reference that cannot be used fails closed: the Upstream's clusters are not served (requests to
// it get 503) rather than connecting without the client certificate or without verifying the upstream.
import { X509Certificate } from 'node:crypto';
import type { UpstreamSpec } from '../api/gloo-types.ts';
import { GLOO_GROUP, resourceKey, type Resource } from '../api/resource.ts';
import type { SecretIr } from '../ir/types.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import type { Because } from './status.ts';
import { usableSecret } from './tls.ts';

export type UpstreamSecret = { secret: SecretIr; trustedCa?: string } | { unresolved: Because };

/** Each Upstream with a secretRef → its certificate or why not (by resourceKey); problems are reported. */
export function upstreamSecrets(index: ResourceIndex, problems: FieldProblem[]): Map<string, UpstreamSecret> {
  const out = new Map<string, UpstreamSecret>();
  for (const u of index.upstreams) {
    const resolved = resolveSecretRef(u, index);
    if (!resolved) continue;
    out.set(resourceKey(u), resolved);
    if ('unresolved' in resolved) problems.push(problemAt(u, 'spec.sslConfig.secretRef', resolved.unresolved.message));
  }
  return out;
}

function resolveSecretRef(u: Resource<UpstreamSpec>, index: ResourceIndex): UpstreamSecret | undefined {
  const ref = u.spec.sslConfig?.secretRef;
  if (!ref) return undefined;
  const namespace = ref.namespace ?? u.metadata.namespace;
  const target = `Secret ${namespace}/${ref.name}`;
  const fail = (reason: string, message: string): UpstreamSecret => ({ unresolved: { reason, message: `${message}; the Upstream is not served` } });
  if (!index.permits({ group: GLOO_GROUP, kind: 'Upstream', namespace: u.metadata.namespace }, { group: '', kind: 'Secret', namespace, name: ref.name })) {
    return fail('RefNotPermitted', `${target} is in another namespace, and no ReferenceGrant there lets Upstreams of namespace ${u.metadata.namespace} refer to it`);
  }
  const secret = index.secret(namespace, ref.name);
  if (!secret) return fail('InvalidCertificateRef', `${target} not found (no secret source has ${namespace}/${ref.name})`);
  const usable = usableSecret(secret, target);
  if ('reason' in usable) return fail(usable.reason, usable.message);
  const trustedCa = secret.spec.stringData['ca.crt'];
  if (u.spec.sslConfig?.verifySubjectAltName?.length && !trustedCa) return fail('InvalidCertificateRef', `${target} has no ca.crt to verify verifySubjectAltName against`);
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
