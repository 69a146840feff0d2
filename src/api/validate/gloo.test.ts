import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem } from '../../lib/errors.ts';
import { parseDocuments } from '../parse.ts';
import { protoDurationMs } from '../duration.ts';

/** Every problem of one document, as `portico validate` prints it. */
function problems(kind: 'Upstream' | 'UpstreamGroup', spec: string): string[] {
  const text = `apiVersion: gloo.solo.io/v1\nkind: ${kind}\nmetadata: { name: x }\nspec:\n${spec}\n`;
  return parseDocuments(text, { file: 'x.yaml' }).rejected.flatMap((r) => r.problems.map(formatProblem));
}

const HOSTS = '  static: { hosts: [{ addr: 10.0.0.1, port: 80 }] }\n';

test('durations are protobuf JSON seconds, at least 1ms', () => {
  assert.equal(protoDurationMs('5s'), 5000);
  assert.equal(protoDurationMs('0.25s'), 250);
  assert.equal(protoDurationMs('1.0009s'), 1001, 'fractions of a millisecond are rounded');
  assert.equal(protoDurationMs('250ms'), undefined);
  assert.deepEqual(problems('Upstream', `${HOSTS}  connectionConfig: { connectTimeout: 1m }`), [
    'x.yaml:6: Upstream default/x: spec.connectionConfig.connectTimeout: "1m" is not a valid duration (seconds with an "s", as protobuf JSON writes them: 5s, 0.25s)',
  ]);
  assert.deepEqual(problems('Upstream', `${HOSTS}  connectionConfig: { connectTimeout: 0.0001s }`), [
    'x.yaml:6: Upstream default/x: spec.connectionConfig.connectTimeout: must be at least 1ms',
  ]);
});

test('one load balancing policy; ring sizes in order; least request picks from 2 hosts or more', () => {
  assert.deepEqual(problems('Upstream', `${HOSTS}  loadBalancerConfig: { random: {}, leastRequest: { choiceCount: 1 } }`), [
    'x.yaml:6: Upstream default/x: spec.loadBalancerConfig.leastRequest.choiceCount: must be between 2 and 4294967295 (got 1)',
  ]);
  assert.deepEqual(problems('Upstream', `${HOSTS}  loadBalancerConfig: { random: {}, leastRequest: {} }`), [
    'x.yaml:6: Upstream default/x: spec.loadBalancerConfig.random: only one load balancing policy may be set (found leastRequest and random)',
  ]);
  assert.deepEqual(problems('Upstream', `${HOSTS}  loadBalancerConfig: { ringHash: { ringHashConfig: { minimumRingSize: 4096, maximumRingSize: 1024 } } }`), [
    'x.yaml:6: Upstream default/x: spec.loadBalancerConfig.ringHash.ringHashConfig.minimumRingSize: must not be greater than maximumRingSize (1024)',
  ]);
  assert.deepEqual(problems('Upstream', `${HOSTS}  loadBalancerConfig: { roundRobin: { slowStartConfig: {} } }`), [
    'x.yaml:6: Upstream default/x: spec.loadBalancerConfig.roundRobin.slowStartConfig: slowStartConfig is not supported by Portico yet',
  ]);
});

test('health checks need both thresholds and an HTTP checker with an absolute path', () => {
  assert.deepEqual(problems('Upstream', `${HOSTS}  healthChecks:\n    - { timeout: 1s, interval: 1s, healthyThreshold: 1, unhealthyThreshold: 1, httpHealthCheck: { path: healthz } }`), [
    "x.yaml:7: Upstream default/x: spec.healthChecks[0].httpHealthCheck.path: must be an absolute path starting with '/'",
  ]);
  assert.deepEqual(problems('Upstream', `${HOSTS}  healthChecks:\n    - { timeout: 1s, httpHealthCheck: { path: /h } }`), [
    'x.yaml:7: Upstream default/x: spec.healthChecks[0].interval: required field is missing',
    'x.yaml:7: Upstream default/x: spec.healthChecks[0].unhealthyThreshold: required field is missing',
    'x.yaml:7: Upstream default/x: spec.healthChecks[0].healthyThreshold: required field is missing',
  ]);
});

test('sslConfig: absolute certificate paths, a key with its certificate, SAN checks need a CA, files or a secretRef', () => {
  assert.deepEqual(problems('Upstream', `${HOSTS}  sslConfig: { sslFiles: { tlsCert: /c.crt } }`), [
    'x.yaml:6: Upstream default/x: spec.sslConfig.sslFiles.tlsKey: required when tlsCert is set (a client certificate needs its key)',
  ]);
  assert.deepEqual(problems('Upstream', `${HOSTS}  sslConfig: { verifySubjectAltName: [api] }`), [
    'x.yaml:6: Upstream default/x: spec.sslConfig.verifySubjectAltName: needs sslFiles.rootCa (or a secretRef whose Secret has ca.crt) to verify the certificate against',
  ]);
  assert.deepEqual(problems('Upstream', `${HOSTS}  sslConfig: { sds: {} }`), [
    'x.yaml:6: Upstream default/x: spec.sslConfig.sds: sds is not supported by Portico; use secretRef (Secrets from the folder or Vault, served by SDS) or sslFiles',
  ]);
  assert.deepEqual(problems('Upstream', `${HOSTS}  sslConfig: { secretRef: { name: client }, sslFiles: { rootCa: /ca.crt } }`), [
    'x.yaml:6: Upstream default/x: spec.sslConfig.secretRef: sslFiles and secretRef are alternatives (Gloo: one of them)',
  ]);
  assert.deepEqual(problems('Upstream', `${HOSTS}  sslConfig: { secretRef: { name: client }, verifySubjectAltName: [api] }`), []);
});

test('pasted key material is refused without being repeated in the message', () => {
  const key = '-----BEGIN PRIVATE KEY-----\\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\\n-----END PRIVATE KEY-----';
  const found = problems('Upstream', `${HOSTS}  sslConfig: { sslFiles: { tlsCert: /c.crt, tlsKey: "${key}" } }`);
  assert.equal(found.length, 1);
  assert.match(found[0] as string, /tlsKey: must be a file path on the Envoy host, not PEM content/);
  assert.doesNotMatch(found[0] as string, /MIGHAgEA/);
});

test('UpstreamGroup: Gloo weights default to 0, so some destination needs one', () => {
  assert.deepEqual(problems('UpstreamGroup', '  destinations:\n    - destination: { upstream: { name: a } }\n    - destination: { upstream: { name: b } }\n      weight: 0'), [
    'x.yaml:5: UpstreamGroup default/x: spec.destinations: at least one destination needs a weight above 0 (an unset weight is 0, as in Gloo)',
  ]);
  assert.deepEqual(problems('UpstreamGroup', '  destinations: []'), ['x.yaml:5: UpstreamGroup default/x: spec.destinations: must not be empty']);
  assert.deepEqual(problems('UpstreamGroup', '  destinations:\n    - destination: { upstream: { name: a } }\n      weight: 1'), []);
});
