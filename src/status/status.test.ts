import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../lib/logger.ts';
import { TransitionClock } from './conditions.ts';
import { FileStatusWriter, statusPath } from './file-writer.ts';

test('lastTransitionTime moves only when a condition status changes', () => {
  const clock = new TransitionClock();
  const s1 = clock.stamp('k', { parents: [{ conditions: [{ type: 'Accepted', status: 'True' }] }] }, 't1');
  const s2 = clock.stamp('k', { parents: [{ conditions: [{ type: 'Accepted', status: 'True', message: 'new words' }] }] }, 't2');
  const s3 = clock.stamp('k', { parents: [{ conditions: [{ type: 'Accepted', status: 'False' }] }] }, 't3');
  const at = (s: { parents: { conditions: object[] }[] }) => (s.parents[0]?.conditions[0] as { lastTransitionTime?: string }).lastTransitionTime;
  assert.deepEqual([at(s1), at(s2), at(s3)], ['t1', 't1', 't3']);
});

test('status files: one per resource, rewritten on change, removed when the resource goes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const writer = new FileStatusWriter({ dir, logger: silentLogger });
  const route = { key: 'gateway.networking.k8s.io/HTTPRoute/default/web', id: 'HTTPRoute default/web', source: { file: 'r.yaml', line: 3 }, generation: 2, status: { parents: [] } };
  const klass = { key: 'gateway.networking.k8s.io/GatewayClass//portico', id: 'GatewayClass portico', status: { conditions: [] } };
  await writer.write([route, klass]);
  assert.equal(statusPath(dir, klass.key), join(dir, 'gateway.networking.k8s.io', 'GatewayClass', 'portico.yaml'));
  const text = await readFile(statusPath(dir, route.key), 'utf8');
  assert.match(text, /r\.yaml:3/);
  assert.match(text, /generation: 2/);
  await writer.write([klass]);
  assert.deepEqual(await readdir(join(dir, 'gateway.networking.k8s.io', 'HTTPRoute', 'default')), []);
});
