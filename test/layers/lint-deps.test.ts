// The dependency rules (.dependency-cruiser.cjs, `make lint-deps`) refuse a forbidden import and name the rule:
// run on a small tree of our own whose lib/ imports app/ (type-only) and whose gatewayapi/ imports contracts/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');

function cruise(cwd: string) {
  const bin = join(ROOT, 'node_modules/.bin/depcruise');
  const r = spawnSync(bin, ['--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err', 'src'], { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('a forbidden import fails with the names of the rules it breaks; an allowed one passes', () => {
  const { status, out } = cruise(join(import.meta.dirname, 'testdata'));
  assert.notEqual(status, 0, out);
  assert.match(out, /lib-is-a-leaf: src\/lib\/leak\.ts → src\/app\/root\.ts/);
  assert.match(out, /only-cli-imports-app: src\/lib\/leak\.ts → src\/app\/root\.ts/);
  assert.doesNotMatch(out, /gatewayapi\/allowed\.ts/);
});
