// The golden harness itself, run as the suites run it (a child `node --test` on a golden test file over a temp
// folder): an orphaned output fails, and UPDATE_GOLDEN under CI fails without touching any expected file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from './components.ts';
import { orphanedOutputs, updateRequested } from './golden.ts';

const HARNESS = join(import.meta.dirname, 'golden.ts');

/** A folder with one case whose expected output is stale, and a golden test file that upper-cases its input. */
async function goldenFolder(t: import('node:test').TestContext): Promise<{ dir: string; testFile: string }> {
  const dir = await tempDir('golden', t);
  writeFileSync(join(dir, 'a.in.yaml'), 'x: 1\n');
  writeFileSync(join(dir, 'a.out.yaml'), 'stale\n');
  const testFile = join(dir, 'case.test.ts');
  writeFileSync(testFile, `import { goldenSuite } from ${JSON.stringify(HARNESS)};\ngoldenSuite(${JSON.stringify(dir)}, (input) => ({ seen: input }));\n`);
  return { dir, testFile };
}

function runGolden(testFile: string, env: Record<string, string>): { status: number | null; out: string } {
  const base = { ...process.env };
  delete base.CI;
  delete base.UPDATE_GOLDEN;
  delete base.NODE_TEST_CONTEXT; // a child run under node:test would otherwise report to this process, not exit 1
  const res = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', '--test', testFile], {
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: res.status, out: `${res.stdout}\n${res.stderr}` };
}

test('updateRequested: only UPDATE_GOLDEN=1, and never with CI set', () => {
  assert.equal(updateRequested({}), false);
  assert.equal(updateRequested({ UPDATE_GOLDEN: '1' }), true);
  assert.equal(updateRequested({ UPDATE_GOLDEN: '1', CI: '' }), true);
  assert.throws(() => updateRequested({ UPDATE_GOLDEN: '1', CI: 'true' }), /UPDATE_GOLDEN=1 is refused when CI is set/);
});

test('orphanedOutputs: an .out.yaml without its .in.yaml', () => {
  assert.deepEqual(orphanedOutputs(['a.in.yaml', 'a.out.yaml', 'b.out.yaml', 'c.in.yaml', 'notes.md']), ['b.out.yaml']);
});

test('UPDATE_GOLDEN=1 rewrites outside CI, and fails under CI leaving the expected file as it was', async (t) => {
  const { dir, testFile } = await goldenFolder(t);
  const refused = runGolden(testFile, { UPDATE_GOLDEN: '1', CI: 'true' });
  assert.equal(refused.status, 1, refused.out);
  assert.match(refused.out, /UPDATE_GOLDEN=1 is refused when CI is set/);
  assert.equal(readFileSync(join(dir, 'a.out.yaml'), 'utf8'), 'stale\n');

  const updated = runGolden(testFile, { UPDATE_GOLDEN: '1' });
  assert.equal(updated.status, 0, updated.out);
  assert.equal(readFileSync(join(dir, 'a.out.yaml'), 'utf8'), 'seen: |\n  x: 1\n');
  assert.equal(runGolden(testFile, {}).status, 0, 'the rewritten golden now matches');
});

test('an orphaned .out.yaml fails the golden suite', async (t) => {
  const { dir, testFile } = await goldenFolder(t);
  runGolden(testFile, { UPDATE_GOLDEN: '1' });
  writeFileSync(join(dir, 'gone.out.yaml'), 'left behind\n');
  const res = runGolden(testFile, {});
  assert.equal(res.status, 1, res.out);
  assert.match(res.out, /expected outputs without an input .*gone\.out\.yaml/);
});
