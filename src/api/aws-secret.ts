// AWS credentials kept in a Secret, under Gloo's key names, for an awsEc2 Upstream's `secretRef`. The
// translator only checks that the keys are there (the IR carries the reference, never the values, since it is
// shown by /debug/ir and `portico translate`); the EC2 discovery reads the values when it starts polling.
import type { SecretSpec } from './core-types.ts';

export const AWS_SECRET_KEYS = {
  accessKeyId: 'aws_access_key_id',
  secretAccessKey: 'aws_secret_access_key',
  /** Optional: only temporary credentials have one. */
  sessionToken: 'aws_session_token',
} as const;

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * The credentials, or the first required key that is missing or blank. Values are trimmed: a file secret
 * written with `echo` ends with a newline that AWS would take as part of the key.
 */
export function awsCredentialsOf(secret: SecretSpec): { credentials: AwsCredentials } | { missing: string } {
  const value = (key: string) => secret.stringData[key]?.trim() || undefined;
  const accessKeyId = value(AWS_SECRET_KEYS.accessKeyId);
  if (!accessKeyId) return { missing: AWS_SECRET_KEYS.accessKeyId };
  const secretAccessKey = value(AWS_SECRET_KEYS.secretAccessKey);
  if (!secretAccessKey) return { missing: AWS_SECRET_KEYS.secretAccessKey };
  const sessionToken = value(AWS_SECRET_KEYS.sessionToken);
  return { credentials: { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) } };
}
