import { test } from 'node:test';
import assert from 'node:assert/strict';
import { awsCredentialsOf } from './aws-secret.ts';

const secret = (stringData: Record<string, string>) => ({ type: 'Opaque', stringData });

test('AWS credentials from a Secret: Gloo key names, values trimmed, session token optional, the first missing key named', () => {
  assert.deepEqual(awsCredentialsOf(secret({ aws_access_key_id: 'AKID\n', aws_secret_access_key: ' s3cret\n' })), { credentials: { accessKeyId: 'AKID', secretAccessKey: 's3cret' } });
  assert.deepEqual(awsCredentialsOf(secret({ aws_access_key_id: 'AKID', aws_secret_access_key: 's', aws_session_token: 'tok\n' })), {
    credentials: { accessKeyId: 'AKID', secretAccessKey: 's', sessionToken: 'tok' },
  });
  assert.deepEqual(awsCredentialsOf(secret({})), { missing: 'aws_access_key_id' });
  assert.deepEqual(awsCredentialsOf(secret({ aws_access_key_id: 'AKID', aws_secret_access_key: '\n' })), { missing: 'aws_secret_access_key' });
});
