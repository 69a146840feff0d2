// Validation of Gloo's RateLimitConfig and the rate-limit options: Gloo's field names, units, one member per
// action, the style rules, and every problem at its line and field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSource } from '../lib/errors.ts';
import { parseDocuments } from './parse.ts';

/** `line field: message` for each problem of one document. */
function problems(apiVersion: string, kind: string, spec: string): string[] {
  const text = `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: { name: rl }\nspec:\n${spec}`;
  const found = parseDocuments(text, { file: 'r.yaml' }).rejected.flatMap((r) => r.problems);
  return found.map((p) => `${formatSource(p.source).replace('r.yaml:', '')} ${p.field}: ${p.message}`);
}
const config = (spec: string) => problems('ratelimit.solo.io/v1alpha1', 'RateLimitConfig', spec);

test("the walkthrough's RateLimitConfig is valid", () => {
  assert.deepEqual(config(`  raw:
    descriptors: [{ key: generic_key, value: counter, rateLimit: { requestsPerUnit: 1, unit: MINUTE } }]
    rateLimits: [{ actions: [{ genericKey: { descriptorValue: counter } }] }]
`), []);
});

test('units, required fields and typos', () => {
  assert.deepEqual(config(`  raw:
    descriptors: [{ key: generic_key, rateLimit: { requestsPerUnit: 1, unit: WEEK } }]
    rateLimits: [{ actions: [{ genericKy: { descriptorValue: x } }] }]
`), [
    '6 spec.raw.descriptors[0].rateLimit.unit: must be one of SECOND, MINUTE, HOUR, DAY (got "WEEK")',
    '7 spec.raw.rateLimits[0].actions[0].genericKy: unknown field; did you mean "genericKey"?',
  ]);
  assert.deepEqual(config('  raw: { descriptors: [] }\n'), ['5 spec.raw.rateLimits: required field is missing']);
});

test('set-style actions need setDescriptors; a header matcher matches one way', () => {
  assert.deepEqual(config(`  raw:
    descriptors: [{ key: generic_key, value: x, rateLimit: { requestsPerUnit: 1, unit: SECOND } }]
    rateLimits:
      - setActions: [{ remoteAddress: {} }]
      - actions: [{ headerValueMatch: { descriptorValue: m, headers: [{ name: x-a, exactMatch: a, prefixMatch: b }] } }]
`), [
    '9 spec.raw.rateLimits[1].actions[0].headerValueMatch.headers[0].prefixMatch: at most one way of matching may be set (got exactMatch, prefixMatch)',
  ]);
  assert.deepEqual(config(`  raw:
    descriptors: [{ key: generic_key, value: x, rateLimit: { requestsPerUnit: 1, unit: SECOND } }]
    rateLimits: [{ setActions: [{ remoteAddress: {} }] }]
`), ['7 spec.raw.rateLimits[0].setActions: set-style actions need setDescriptors to match']);
});

test('rateLimitConfigs and ratelimitBasic on the options', () => {
  const option = (options: string) => problems('gateway.solo.io/v1', 'RouteOption', `  options:\n${options}`);
  assert.deepEqual(option('    rateLimitConfigs: { refs: [{ name: rl }] }\n    ratelimitBasic: { anonymousLimits: { requestsPerUnit: 5, unit: MINUTE } }\n'), []);
  assert.deepEqual(option('    ratelimitBasic: {}\n'), ['6 spec.options.ratelimitBasic: set anonymousLimits, authorizedLimits or both']);
  assert.deepEqual(option('    rateLimitConfigs: { refs: [] }\n'), ['6 spec.options.rateLimitConfigs.refs: must not be empty']);
});
