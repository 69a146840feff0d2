import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../lib/logger.ts';
import { FileResourceProvider } from './file.ts';
import type { SourceSnapshot } from '../../api/source.ts';

const doc = (name: string, path = '/') =>
  `apiVersion: gloo.solo.io/v1\nkind: Upstream\nmetadata: {name: ${name}, namespace: default}\nspec:\n  static:\n    hosts: [{addr: 127.0.0.1, port: ${path.length + 1000}}]\n`;

async function until(get: () => SourceSnapshot | undefined, check: (s: SourceSnapshot) => boolean, what: string): Promise<SourceSnapshot> {
  for (let i = 0; i < 200; i++) {
    const s = get();
    if (s && check(s)) return s;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(get()?.resources.map((r) => r.metadata.name))}`);
}

test('watches nested folders, follows rename-replace saves, ignores dot-names, keeps malformed files serving', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-file-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'a', 'b'), { recursive: true });
  await writeFile(join(dir, 'a', 'b', 'one.yaml'), `${doc('one')}---\n${doc('two')}`);
  await writeFile(join(dir, '.hidden.yaml'), doc('hidden'));
  let last: SourceSnapshot | undefined;
  const provider = new FileResourceProvider({ dir, logger: silentLogger, rescanIntervalMs: 60_000 });
  await provider.start((s) => (last = s));
  t.after(() => provider.stop());
  const names = (s: SourceSnapshot) => s.resources.map((r) => r.metadata.name).sort().join(',');
  await until(() => last, (s) => names(s) === 'one,two', 'the initial scan');

  const save = async (file: string, text: string) => {
    await writeFile(join(dir, '.tmp'), text);
    await rename(join(dir, '.tmp'), join(dir, file));
  };
  for (let i = 0; i < 3; i++) {
    await save('a/b/one.yaml', doc(`one-v${i}`));
    await until(() => last, (s) => names(s) === `one-v${i}`, `rename-replace save ${i}`);
  }
  await mkdir(join(dir, 'new'));
  await writeFile(join(dir, 'new', 'three.yaml'), doc('three'));
  await until(() => last, (s) => names(s) === 'one-v2,three', 'a file in a new folder');

  await save('new/three.yaml', 'kind: [unclosed\n');
  const broken = await until(() => last, (s) => s.rejected.length > 0, 'the malformed file to be reported');
  assert.equal(names(broken), 'one-v2,three', 'the malformed file keeps serving what it served');
  await rm(join(dir, 'new'), { recursive: true });
  await until(() => last, (s) => names(s) === 'one-v2' && s.rejected.length === 0, 'the deleted folder to drop out');
});

test('a file over the size cap is reported without being read, naming the file and the limit', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-file-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'ok.yaml'), doc('ok'));
  await writeFile(join(dir, 'huge.yaml'), `${doc('huge')}# ${'x'.repeat(4 * 1024 * 1024)}\n`);
  let last: SourceSnapshot | undefined;
  const provider = new FileResourceProvider({ dir, logger: silentLogger, rescanIntervalMs: 60_000 });
  await provider.start((s) => (last = s));
  t.after(() => provider.stop());
  const snap = await until(() => last, (s) => s.rejected.length > 0, 'the huge file to be reported');
  assert.deepEqual(snap.resources.map((r) => r.metadata.name), ['ok']);
  assert.equal(snap.rejected[0]?.source.file, join(dir, 'huge.yaml'));
  assert.match(snap.rejected[0]?.problems[0]?.message ?? '', /^the file is 4194\d+ bytes; at most 4194304 bytes \(4 MiB\) are read$/);
});
