import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goldenSuite } from '../../test/support/golden.ts';
import { parseDocuments } from '../api/parse.ts';
import type { Resource } from '../api/resource.ts';
import { watchesOf } from '../ir/endpoints.ts';
import { redactSecrets } from '../ir/redact.ts';
import { formatProblem } from '../lib/errors.ts';
import { readSecrets } from '../providers/secrets/file.ts';
import { translate } from './translate.ts';

const TESTDATA = join(import.meta.dirname, 'testdata');

// Input: resource documents, as a user writes them, and the TLS Secrets of testdata/secrets (throwaway
// certificates); output: the IR (private keys redacted), every status, and every problem (the parser's and
// the translator's) as `portico validate` prints them. A document annotated CREATE_INDEX stands for a Consul KV
// key created at that index (the source, not the document, sets creationIndex).
goldenSuite(TESTDATA, async (input, inputPath) => {
  const parsed = parseDocuments(input, { file: basename(inputPath) });
  const secrets = await readSecrets(join(TESTDATA, 'secrets'));
  const { ir, statuses, problems } = translate([...parsed.resources.map(asKvKey), ...secrets]);
  return { ir: redactSecrets(ir), statuses, problems: [...parsed.rejected.flatMap((r) => r.problems), ...problems].map(formatProblem) };
});

const CREATE_INDEX = 'test.portico.dev/consul-create-index';

function asKvKey(r: Resource): Resource {
  const index = r.metadata.annotations?.[CREATE_INDEX];
  return index === undefined ? r : { ...r, metadata: { ...r.metadata, creationIndex: Number(index) } };
}

function resourcesOf(name: string) {
  return parseDocuments(readFileSync(join(TESTDATA, name), 'utf8'), { file: name }).resources;
}

test('the output does not depend on the order of the resources', () => {
  for (const file of ['listeners-one-port.in.yaml', 'route-options.in.yaml']) {
    const resources = resourcesOf(file);
    assert.deepEqual(translate([...resources].reverse()), translate(resources), file);
  }
});

test('the controller name decides which GatewayClasses are ours', () => {
  const resources = resourcesOf('basic.in.yaml');
  const theirs = translate(resources, { controllerName: 'example.com/other-controller' });
  assert.deepEqual(theirs.ir.gateways.map((g) => g.key), ['default/theirs']);
  assert.deepEqual(theirs.statuses.map((s) => s.id), ['Gateway default/theirs', 'GatewayClass other', 'HTTPRoute default/web', 'Upstream default/echo']);
});

test('resources without a source (from a KV store, say) still get problems naming resource and field', () => {
  const resources = resourcesOf('bad-backend.in.yaml').map(({ source: _source, fieldLines: _lines, ...r }) => r);
  const [first] = translate(resources).problems;
  assert.equal(first && formatProblem(first), '<unknown source>: HTTPRoute default/web: spec.rules[1].backendRefs[0]: Upstream default/nope not found');
});

test('awsEc2 secretRef: the credentials never reach the IR, the statuses or the problems; the watch names the Secret only', async () => {
  const secrets = await readSecrets(join(TESTDATA, 'secrets'));
  const values = secrets.filter((s) => s.metadata.name.startsWith('aws')).flatMap((s) => Object.values(s.spec.stringData).map((v) => v?.trim() ?? '')).filter(Boolean);
  assert.ok(values.length >= 5, 'the test Secrets hold credentials');
  const out = JSON.stringify(translate([...resourcesOf('ec2-secret.in.yaml'), ...secrets]));
  for (const v of values) assert.ok(!out.includes(v), `a credential value leaked into the translator's output`);
  const [gw] = translate([...resourcesOf('ec2-secret.in.yaml'), ...secrets]).ir.gateways;
  assert.deepEqual([...watchesOf(gw ? [gw] : []).ec2.values()].map((w) => w.secretRef), [
    { namespace: 'fleet', name: 'aws' },
    { namespace: 'default', name: 'aws' },
  ]);
});
