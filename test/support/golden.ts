// Golden-file harness: every `<dir>/<case>.in.yaml` is run through `run` and compared with
// `<case>.out.yaml` (`run` may return a promise). With UPDATE_GOLDEN=1 the expected files are (re)written instead,
// except under CI: there a stray UPDATE_GOLDEN would turn every comparison into a silent rewrite, so it fails.
// An `.out.yaml` whose `.in.yaml` is gone fails too: it would otherwise sit there, compared with nothing.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';

const IN = '.in.yaml';
const OUT = '.out.yaml';

/** Whether to rewrite the expected files; refused (thrown) when CI is set, so a pipeline never rewrites them. */
export function updateRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.UPDATE_GOLDEN !== '1') return false;
  if (env.CI) {
    throw new Error(`UPDATE_GOLDEN=1 is refused when CI is set (CI=${env.CI}): goldens are compared in CI, never rewritten`);
  }
  return true;
}

/** The `.out.yaml` files of `files` that no `.in.yaml` produces. */
export function orphanedOutputs(files: readonly string[]): string[] {
  const inputs = new Set(files.filter((f) => f.endsWith(IN)).map((f) => f.slice(0, -IN.length)));
  return files.filter((f) => f.endsWith(OUT) && !inputs.has(f.slice(0, -OUT.length))).sort();
}

export function goldenSuite(dir: string, run: (input: string, inputPath: string) => unknown): void {
  const files = readdirSync(dir);
  const cases = files.filter((f) => f.endsWith(IN)).sort();
  assert.ok(cases.length > 0, `no golden cases in ${dir}`);
  test(`golden ${dir}: no orphaned ${OUT}`, () => {
    const orphans = orphanedOutputs(files);
    assert.deepEqual(orphans, [], `expected outputs without an input in ${dir} (delete them, or restore their ${IN}): ${orphans.join(', ')}`);
  });
  for (const file of cases) {
    const name = file.slice(0, -IN.length);
    test(`golden ${name}`, async () => {
      const update = updateRequested(process.env);
      const inPath = join(dir, file);
      const outPath = join(dir, `${name}${OUT}`);
      const actual = stringify(await run(readFileSync(inPath, 'utf8'), inPath), { lineWidth: 0, aliasDuplicateObjects: false });
      if (update) {
        writeFileSync(outPath, actual);
        return;
      }
      assert.ok(existsSync(outPath), `${outPath} is missing: run with UPDATE_GOLDEN=1 to create it`);
      assert.equal(actual, readFileSync(outPath, 'utf8'), `${name}: output differs from ${outPath} (UPDATE_GOLDEN=1 rewrites it)`);
    });
  }
}
