// Golden-file harness: every `<dir>/<case>.in.yaml` is run through `run` and compared with
// `<case>.out.yaml` (`run` may return a promise). With UPDATE_GOLDEN=1 the expected files are (re)written instead.
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';

export function goldenSuite(dir: string, run: (input: string, inputPath: string) => unknown): void {
  const update = process.env.UPDATE_GOLDEN === '1';
  const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).sort();
  assert.ok(cases.length > 0, `no golden cases in ${dir}`);
  for (const file of cases) {
    const name = file.slice(0, -'.in.yaml'.length);
    test(`golden ${name}`, async () => {
      const inPath = join(dir, file);
      const outPath = join(dir, `${name}.out.yaml`);
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
