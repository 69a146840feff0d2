// Validation of Gloo's AuthConfig and the `extauth` option: Gloo's shape, auth kinds Portico lacks named, step
// names and booleanExpr checked, every problem at its line and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSource } from '../lib/errors.ts';
import { parseDocuments } from './parse.ts';

function problems(kind: string, spec: string, group = 'enterprise.gloo.solo.io'): string[] {
  const text = `apiVersion: ${group}/v1\nkind: ${kind}\nmetadata: { name: a }\nspec:\n${spec}`;
  const found = parseDocuments(text, { file: 'a.yaml' }).rejected.flatMap((r) => r.problems);
  return found.map((p) => `${formatSource(p.source).replace('a.yaml:', '')} ${p.field}: ${p.message}`);
}

test("the walkthrough's AuthConfig and every supported step are valid", () => {
  assert.deepEqual(
    problems(
      'AuthConfig',
      `  configs:
  - basicAuth:
      apr: { users: { test: { salt: n28wuo5p, hashedPassword: NLFTUNkXaht0g/2GJjUM51 } } }
      realm: gloo
  - apiKeyAuth: { headerName: api-key, labelSelector: { team: infra }, headersFromMetadataEntry: { X-Organization: { name: organization, required: true } } }
  - jwt: { providers: { p: { issuer: i, audiences: [a], jwks: { local: { key: '{"keys":[]}' } }, claimsToHeaders: [{ claim: sub, header: x-sub }], clockSkewSeconds: 30 } } }
  - passThroughAuth: { grpc: { address: "auth.internal:9001", connectionTimeout: 1s } }
`,
    ),
    [],
  );
});

test('problems name the field: one kind per step, known kinds Portico lacks, bad JWKS, unknown step names', () => {
  assert.deepEqual(
    problems(
      'AuthConfig',
      `  configs:
  - oauth2: {}
  - basicAuth: { apr: { users: { test: { salt: "a b", hashedPassword: x } } } }
  - jwt: { providers: { p: { jwks: { local: { key: "-----BEGIN PUBLIC KEY-----" } } } } }
  - passThroughAuth: { http: { url: "ftp://x" } }
`,
    ),
    [
      '6 spec.configs[0].oauth2: oauth2 (OIDC) is not supported by Portico yet (basicAuth, apiKeyAuth, jwt and passThroughAuth are)',
      '7 spec.configs[1].basicAuth.apr.users.test.salt: "a b" is not a valid apr1 value (letters, digits, . and /)',
      '7 spec.configs[1].basicAuth.apr.users.test.hashedPassword: must be at least 22 characters long',
      '8 spec.configs[2].jwt.providers.p.jwks.local.key: must be a JWKS document in JSON ({"keys": [...]}); PEM keys are not supported',
      '9 spec.configs[3].passThroughAuth.http.url: must be an http:// or https:// URL',
    ],
  );
  assert.deepEqual(
    problems('AuthConfig', '  booleanExpr: "a && (b || c"\n  configs:\n  - { name: a, apiKeyAuth: { apiKeySecretRefs: [{ name: k }] } }\n  - { name: a, basicAuth: { htpasswd: { secretRef: { name: h } } } }\n'),
    ['8 spec.configs[1].name: duplicate step name "a"', '5 spec.booleanExpr: missing )'],
  );
  assert.deepEqual(problems('AuthConfig', '  booleanExpr: "a || b"\n  configs: [{ name: a, basicAuth: {} }]\n'), [
    '6 spec.configs[0].basicAuth: set apr.users or htpasswd.secretRef (nobody could log in)',
  ]);
  assert.deepEqual(problems('AuthConfig', '  booleanExpr: "a || b"\n  configs: [{ name: a, apiKeyAuth: { labelSelector: {} } }]\n'), [
    '5 spec.booleanExpr: names no step "b"; steps: a',
  ]);
});

test('extauth option: exactly one of configRef and disable', () => {
  const option = (o: string) => problems('RouteOption', `  options: { extauth: ${o} }\n`, 'gateway.solo.io');
  assert.deepEqual(option('{ configRef: { name: basic-auth, namespace: gloo-system } }'), []);
  assert.deepEqual(option('{ disable: true }'), []);
  assert.deepEqual(option('{ configRef: { name: a }, disable: true }'), ['5 spec.options.extauth: set exactly one of configRef and disable']);
});
