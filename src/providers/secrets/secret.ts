// What every secret source shares: the Secret resource a set of keys makes (TLS when it holds tls.crt or
// tls.key, else Opaque) with its labels, and keeping the last good certificate pair serving while a new one
// does not check out (a rotation half written, or a bad one). Values are never logged or put in messages.
import { OPAQUE_SECRET_TYPE, TLS_SECRET_TYPE, type SecretSpec } from '../../api/core-types.ts';
import type { Rejected } from '../../api/parse.ts';
import { resourceId, type Resource } from '../../api/resource.ts';
import { checkKeyPair } from '../../lib/certificates.ts';
import type { SourceRef } from '../../lib/errors.ts';

export type SecretResource = Resource<SecretSpec>;

export function secretResource(namespace: string, name: string, stringData: SecretSpec['stringData'], source: SourceRef): SecretResource {
  const tls = 'tls.crt' in stringData || 'tls.key' in stringData;
  return { apiVersion: 'v1', kind: 'Secret', metadata: { namespace, name }, spec: { type: tls ? TLS_SECRET_TYPE : OPAQUE_SECRET_TYPE, stringData }, source };
}

/** The Secret with these labels (none: no `labels` at all), which AuthConfigs select API keys by. */
export function withLabels(s: SecretResource, labels: Record<string, string> | undefined): SecretResource {
  const metadata = { ...s.metadata };
  delete metadata.labels;
  return { ...s, metadata: labels && Object.keys(labels).length ? { ...metadata, labels } : metadata };
}

export function secretKey(s: SecretResource): string {
  return `${s.metadata.namespace}/${s.metadata.name}`;
}

/**
 * A pair that does not check out, where a good one served before, keeps the good one's values serving (the
 * labels and source stay the new read's) and is reported
 * as rejected (`where` says where the bad key lives): the Secret's status and the log say why. A Secret that
 * was never good is passed on as it is, so the listener using it says why.
 */
export function keepGoodPair(secret: SecretResource, previous: SecretResource | undefined, where: (key: string) => SourceRef, rejected: Rejected[]): SecretResource {
  if (secret.spec.type !== TLS_SECRET_TYPE || !previous) return secret;
  const check = checkKeyPair(secret.spec.stringData['tls.crt'], secret.spec.stringData['tls.key']);
  if (check.ok) return secret;
  const before = previous.spec.stringData;
  if (!checkKeyPair(before['tls.crt'], before['tls.key']).ok) return secret;
  const source = where(check.field);
  const { namespace, name } = secret.metadata;
  rejected.push({
    id: { apiVersion: secret.apiVersion, kind: secret.kind, namespace, name },
    source,
    problems: [{ source, resource: resourceId(secret), message: `${check.field} ${check.message}; the previous certificate keeps serving` }],
  });
  return { ...secret, spec: previous.spec };
}
