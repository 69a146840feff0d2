import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureRe2, re2Addon } from '../../lib/re2.ts';
import { re2Problem } from './regex.ts';

test('regexes are measured with RE2 as Envoy compiles them (needs scripts/setup.sh re2)', () => {
  assert.ok(re2Addon(), 'the RE2 addon is installed');
  // Program sizes Envoy 1.40 itself reports for these (its error names the size).
  assert.deepEqual(measureRe2('/v[0-9]{1,200}/.*'), { programSize: 408 });
  assert.deepEqual(measureRe2('\\pL{1,20}'), { programSize: 163 });
  assert.deepEqual(measureRe2('/v[0-9]{1,46}/.*'), { programSize: 100 });
  assert.equal(re2Problem('/v[0-9]{1,46}/.*'), undefined, 'exactly the limit is accepted');
  assert.match(re2Problem('/v[0-9]{1,200}/.*') ?? '', /^RE2 program size 408 is above Envoy's limit of 100 \(re2\.max_program_size\.error_level\)/);
  assert.match(re2Problem('/v[0-9]{1,48}/.*') ?? '', /program size 104/);
  // A literal prefix of an anchored regex is matched outside the program: a long one still fits.
  assert.equal(re2Problem(`^/${'a'.repeat(500)}/*`), undefined);
  assert.equal(re2Problem('(a'), 'invalid RE2 regular expression: missing ): (a');
  assert.equal(re2Problem('a(?=b)'), 'lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported by RE2');
  assert.equal(re2Problem('(?P<id>[0-9]+)[[:alpha:]]'), undefined);
});

test('without the addon: a syntax check in JavaScript, and no program size (said at start by the controller and validate)', () => {
  const script = `import('${new URL('./regex.ts', import.meta.url).href}').then((m) => console.log(JSON.stringify(['a(?=b)', '(?P<x>a)[[:alpha:]]', '/v[0-9]{1,200}/.*'].map(m.re2Problem))))`;
  const out = execFileSync(process.execPath, ['--disable-warning=ExperimentalWarning', '-e', script], { env: { ...process.env, PORTICO_RE2_ADDON: '/nonexistent/re2-measure.node' }, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), ['lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported by RE2', null, null]);
});
