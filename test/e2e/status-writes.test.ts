// Status writing per resource against a real Consul: one status Consul refuses (a key the controller's token may
// not write) is reported in /healthz and the log while every other status is written, and a resource whose
// value is 400 KB of garbage still gets a short, useful status (problems and messages capped); a transaction over
// Consul's size limits is split until its parts fit, and only a value over the value limit is left out.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectConsul } from '../../src/consul/client.ts';
import { consulStatusTarget } from '../../src/status/consul-target.ts';
import { waitFor } from '../support/components.ts';
import { aclToken, startConsul } from '../support/consul.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway } from '../support/gateway.ts';

const KV = { consulKv: { rootKey: 'portico', statusPrefix: 'portico-status' } };
const ROUTES = 'portico/gateway.networking.k8s.io/v1/HTTPRoute/default';
const STATUSES = 'portico-status/gateway.networking.k8s.io/HTTPRoute/default';

test('one status Consul refuses is reported while the others are written; a garbage value gets a short status', { timeout: 180_000 }, async (t) => {
  const consul = await startConsul(t, { acl: true });
  // The controller's least-privilege policy, and one status key it may only read (an operator's rule).
  const policy = await readFile(resolve(import.meta.dirname, '../../consul/portico-controller.hcl'), 'utf8');
  const token = await aclToken(consul, 'controller-one-refused', `${policy}\nkey "${STATUSES}/refused" { policy = "read" }\n`);
  const gw = await startGateway(t, { backends: ['a'], files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': upstream('a') }, controller: { ...KV, consul: { address: consul.api, token } } });
  const put = async (name: string, body: string) => assert.equal((await consul.fetch(`/v1/kv/${ROUTES}/${name}`, { method: 'PUT', body })).status, 200);
  const rule = (path: string) => `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]\n      backendRefs:\n${backend('a')}`;
  await put('refused', route('refused', rule('/refused')));
  await put('web', route('web', rule('/web')));
  // 50 unknown fields named with 8 KB of garbage each: 400 KB of problems, each quoting its field.
  const junk = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}${'x'.repeat(8 * 1024)}`, 1]));
  await put('garbage', JSON.stringify({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'garbage', namespace: 'default' }, spec: { ...junk, parentRefs: [{ name: 'gw' }] } }));
  await gw.until('/web', (r) => r.status === 200);
  await gw.until('/refused', (r) => r.status === 200);

  const status = async (name: string) => {
    const res = await consul.fetch(`/v1/kv/${STATUSES}/${name}?raw`);
    return res.status === 200 ? res.text() : undefined;
  };
  let garbage: string | undefined;
  await waitFor(async () => Boolean((await status('web')) && (garbage = await status('garbage'))), { what: 'the statuses of web and garbage written' });
  assert.ok(Buffer.byteLength(garbage ?? '') < 8 * 1024, `the garbage route's status is ${Buffer.byteLength(garbage ?? '')} bytes`);
  assert.match(garbage ?? '', /HTTPRoute default\/garbage: spec\["0x+… \(\d+ more characters\)/, 'it still says which resource and field are wrong');
  assert.match(garbage ?? '', /; and \d+ more/, 'and that there were more problems');
  assert.equal(await status('refused'), undefined);

  let degraded: string[] = [];
  await waitFor(async () => (degraded = ((await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/healthz`)).json()) as { degraded: string[] }).degraded).length > 0, {
    what: () => `the refused status in /healthz (shown: ${JSON.stringify(degraded)})`,
  });
  assert.match(degraded[0] ?? '', /^1 status\(es\) could not be written to http:\/\/127\.0\.0\.1:\d+ portico-status\/: HTTPRoute default\/refused: permission denied writing statuses under portico-status\/gateway\.networking\.k8s\.io\/HTTPRoute\/default\/refused /);
  const metrics = await (await fetch(`http://127.0.0.1:${gw.controller.adminPort}/metrics`)).text();
  assert.match(metrics, /^portico_degraded_components 1$/m);
});

test('a batch of statuses over Consul\'s transaction size is split until it fits; a value over its value limit is the one left out', { timeout: 120_000 }, async (t) => {
  // A small value limit (the default is 512 KB) so the test stays light; the request limit follows it.
  const consul = await startConsul(t, { args: ['-hcl', 'limits { kv_max_value_size = 65536 }'] });
  const connection = connectConsul({ address: consul.api });
  t.after(() => connection.close());
  const target = consulStatusTarget({ consul: connection, prefix: 'portico-status' });
  const put = new Map(Array.from({ length: 30 }, (_, i) => [`portico-status/s${i}`, `${i}: ${'v'.repeat(40 * 1024)}`]));
  put.set('portico-status/huge', 'h'.repeat(70 * 1024));
  const failed = await target.apply({ put, remove: [] });
  assert.deepEqual([...failed.keys()], ['portico-status/huge']);
  assert.match(failed.get('portico-status/huge')?.message ?? '', /Consul answered 413/);
  const stored = await consul.fetch('/v1/kv/portico-status/?keys');
  assert.equal(((await stored.json()) as string[]).length, 30, 'every other status landed');
});
