import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../test/support/components.ts';
import { captureLogs } from '../../test/support/logs.ts';
import { silentLogger } from '../lib/logger.ts';
import { TransitionClock } from './conditions.ts';
import { fileStatusTarget, statusPath } from './file-writer.ts';
import { StatusWriter } from './writer.ts';

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
  const writer = new StatusWriter({ target: fileStatusTarget(dir), logger: silentLogger });
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

test('status writer: writes only changes, removes stale statuses it found on load, retries a failed write', async () => {
  const held = new Map([['stale', 'old'], ['k/web', 'to be replaced']]);
  const batches: Array<{ put: string[]; remove: string[] }> = [];
  let failNext = false;
  const writer = new StatusWriter({
    target: {
      describe: () => 'fake',
      locate: (key) => key,
      load: async () => new Map(held),
      apply: async ({ put, remove }) => {
        if (failNext) {
          failNext = false;
          throw new Error('unreachable');
        }
        batches.push({ put: [...put.keys()], remove });
        for (const [k, v] of put) held.set(k, v);
        for (const k of remove) held.delete(k);
        return new Map();
      },
    },
    logger: silentLogger,
    retry: { initialMs: 5, maxMs: 5 },
  });
  const web = (gen: number) => ({ key: 'k/web', id: 'HTTPRoute default/web', generation: gen, status: {} });
  await writer.write([web(1)]);
  assert.deepEqual(batches, [{ put: ['k/web'], remove: ['stale'] }]);
  await writer.write([web(1)]);
  assert.equal(batches.length, 1, 'an unchanged set writes nothing');
  failNext = true;
  await writer.write([web(2)]);
  assert.match(writer.problem() ?? '', /writing statuses to fake failed: unreachable/);
  await waitFor(() => writer.problem() === undefined, { timeoutMs: 10_000, what: 'the retry to land' });
  assert.match(held.get('k/web') ?? '', /generation: 2/);
});

test('status writer: one status the target refuses is reported (never its content) while the others are written, and tried again', async () => {
  const held = new Map<string, string>();
  let refuse = true;
  const logs = captureLogs();
  const writer = new StatusWriter({
    target: {
      describe: () => 'fake',
      locate: (key) => key,
      apply: async ({ put }) => {
        const failed = new Map<string, Error>();
        for (const [k, v] of put) {
          if (refuse && k === 'k/bad') failed.set(k, new Error('value too large'));
          else held.set(k, v);
        }
        return failed;
      },
    },
    logger: logs.logger,
    retry: { initialMs: 5, maxMs: 5 },
  });
  const record = (name: string) => ({ key: `k/${name}`, id: `HTTPRoute default/${name}`, status: { secretish: `content of ${name}` } });
  await writer.write([record('a'), record('bad'), record('b')]);
  assert.deepEqual([...held.keys()].sort(), ['k/a', 'k/b']);
  assert.equal(writer.problem(), '1 status(es) could not be written to fake: HTTPRoute default/bad: value too large');
  const logged = logs.entries.find((e) => e.msg === 'a status could not be written; the others were');
  assert.deepEqual([logged?.resource, logged?.error], ['HTTPRoute default/bad', 'value too large']);
  assert.doesNotMatch(logs.text(), /content of bad/);
  refuse = false;
  await waitFor(() => held.has('k/bad'), { timeoutMs: 10_000, what: 'the retry to write it' });
  assert.equal(writer.problem(), undefined);
});

test('status files: a name too long for the file system fails that status only', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-status-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const target = fileStatusTarget(dir);
  const ok = statusPath(dir, 'g/HTTPRoute/default/web');
  const long = statusPath(dir, `g/HTTPRoute/default/${'n'.repeat(300)}`);
  const failed = await target.apply({ put: new Map([[long, 'x'], [ok, 'y']]), remove: [] });
  assert.deepEqual([...failed.keys()], [long]);
  assert.match(failed.get(long)?.message ?? '', /ENAMETOOLONG/);
  assert.equal(await readFile(ok, 'utf8'), 'y');
});
