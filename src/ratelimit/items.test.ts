import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocuments } from '../api/parse.ts';
import { runPipeline, unservedLimits } from '../app/pipeline.ts';
import { RateLimitError } from '../lib/errors.ts';
import type { JsonObject } from '../contracts/service-config.ts';
import { SERVICE_NODE_KEYS } from '../contracts/service-config.ts';
import type { RateLimitSettings } from '../xds/translator/rate-limit.ts';
import { domainsOf } from './items.ts';

const input = readFileSync(join(import.meta.dirname, '../gatewayapi/testdata/rate-limits.in.yaml'), 'utf8');
const { resources } = parseDocuments(input, { file: 'rate-limits.in.yaml' });
const settings: RateLimitSettings = { address: '127.0.0.1:18081', domain: 'edge', denyOnFail: true, beforeAuth: false, timeoutMs: 100, rateLimitHeaders: false };

test('the service is streamed one item per domain: the tree, and its failure mode; it reads it back', () => {
  const items = runPipeline(resources, [], { rateLimit: settings }).services.get(SERVICE_NODE_KEYS.ratelimit) ?? [];
  assert.deepEqual(items.map((i) => i.name), ['edge']);
  const [domain] = domainsOf(new Map(items.map((i) => [i.name, i.config])));
  assert.equal(domain?.failureModeDeny, true);
  assert.deepEqual(domain?.descriptors.map((d) => `${d.key}=${d.value}`), [
    'portico.basic=RouteOption/default/cluster',
    'portico.basic=VirtualHostOption/default/basic',
    'portico.rlc=default/per-cluster',
    'portico.rlc=default/tree',
    'portico.rlc-set=default/set',
  ]);
  assert.deepEqual(runPipeline(resources, []).services.get(SERVICE_NODE_KEYS.ratelimit), [], 'nothing without the rateLimit settings');
});

test('a malformed item is refused (the client NACKs it and keeps the last good configuration)', () => {
  const bad = (config: JsonObject) => assert.throws(() => domainsOf(new Map([['edge', config]])), RateLimitError);
  bad({ descriptors: [] });
  bad({ domain: 'edge', descriptors: [{ key: 'k', rateLimit: { requestsPerUnit: 1, unit: 'fortnight' } }] });
  bad({ domain: 'edge', descriptors: [{ key: 'k', setDescriptors: [{ simpleDescriptors: [], rateLimit: { requestsPerUnit: 1, unit: 'second' } }] }] });
});

test('limits asked for with no rate-limit service configured: one problem, for the controller to report', () => {
  const { ir } = runPipeline(resources, []);
  assert.match(unservedLimits(ir, undefined)[0]?.message ?? '', /no rate-limit service is: set rateLimit\.address/);
  assert.deepEqual(unservedLimits(ir, settings), []);
});
