// An awsEc2 Upstream's `secretRef`, checked the way other references are: permitted (a ReferenceGrant for
// another namespace), present, and holding the keys AWS credentials need. Only the reference goes on: the
// values stay in the store, and the EC2 discovery reads them there when it polls.
import { awsCredentialsOf } from '../api/aws-secret.ts';
import type { UpstreamSpec } from '../api/gloo-types.ts';
import type { Resource } from '../api/resource.ts';
import type { SecretRefIr } from '../ir/types.ts';
import type { ResourceIndex } from './resources.ts';
import type { Because } from './status.ts';

export const SECRET_REF_FIELD = 'spec.awsEc2.secretRef';

/** Absent: no secretRef (the standard chain); else the usable reference, or why it cannot be used. */
export function ec2SecretRef(u: Resource<UpstreamSpec>, index: ResourceIndex): { ref: SecretRefIr } | { problem: Because } | undefined {
  const ref = u.spec.awsEc2?.secretRef;
  if (!ref) return undefined;
  const namespace = ref.namespace ?? u.metadata.namespace;
  const target = `Secret ${namespace}/${ref.name}`;
  const refused = index.refusal(u, { group: '', kind: 'Secret', namespace, name: ref.name });
  if (refused) return { problem: { ...refused, message: `${refused.message}; no EC2 instances are discovered` } };
  const secret = index.secret(namespace, ref.name);
  if (!secret) return { problem: { reason: 'InvalidSecretRef', message: `${target} not found (no secret source has ${namespace}/${ref.name}); no EC2 instances are discovered` } };
  const read = awsCredentialsOf(secret.spec);
  if ('missing' in read) return { problem: { reason: 'InvalidSecretRef', message: `${target} has no key ${read.missing} (or it is empty): AWS credentials need aws_access_key_id and aws_secret_access_key; no EC2 instances are discovered` } };
  return { ref: { namespace, name: ref.name } };
}
