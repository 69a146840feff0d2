// Regular expressions in routes are compiled by Envoy with RE2, and refused when RE2's program for them is larger
// than re2.max_program_size.error_level (100 by default). Both are measured with RE2 itself (lib/re2.ts), as
// Envoy would. Without the RE2 addon, the fallback is a syntax check in JavaScript that cannot measure the
// program size: RE2 has no lookaround and no backreferences (JS compiles them, Envoy would NACK), while RE2 has
// inline flags `(?i)`, `(?P<name>…)` groups and POSIX classes `[[:alpha:]]` (which JS lacks or reads
// differently). So the pattern is scanned for RE2's rules, then rewritten into its JS equivalent and compiled.
import { ENVOY_MAX_PROGRAM_SIZE, measureRe2 } from '../../lib/re2.ts';

const POSIX_CLASSES = ['alnum', 'alpha', 'ascii', 'blank', 'cntrl', 'digit', 'graph', 'lower', 'print', 'punct', 'space', 'upper', 'word', 'xdigit'];
const RE2_MAX_REPEAT = 1000;

/** Why Envoy would refuse `pattern` as an RE2 regex, or undefined when it would accept it. */
export function re2Problem(pattern: string): string | undefined {
  const measured = measureRe2(pattern);
  if (measured === undefined) return jsFallbackProblem(pattern);
  if ('error' in measured) return re2RuleProblem(pattern) ?? `invalid RE2 regular expression: ${measured.error.slice(0, 200)}`;
  if (measured.programSize <= ENVOY_MAX_PROGRAM_SIZE) return undefined;
  return `RE2 program size ${measured.programSize} is above Envoy's limit of ${ENVOY_MAX_PROGRAM_SIZE} (re2.max_program_size.error_level): simplify the pattern (each repetition of a bounded {m,n} and each literal character adds to it)`;
}

/** The RE2 rule a pattern breaks, said in plain words (RE2's own message for these is terse), if the scan knows it. */
function re2RuleProblem(pattern: string): string | undefined {
  const scan = scanRe2(pattern);
  return typeof scan === 'string' ? undefined : scan.problem;
}

function jsFallbackProblem(pattern: string): string | undefined {
  const scan = scanRe2(pattern);
  if (typeof scan !== 'string') return scan.problem;
  try {
    new RegExp(scan);
    return undefined;
  } catch (err) {
    return `invalid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: \/.*\/\w*: /, '')}`;
  }
}

/** Walks the pattern once: returns the JS-compilable equivalent, or the first RE2 rule it breaks. */
function scanRe2(pattern: string): string | { problem: string } {
  let js = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    const rest = pattern.slice(i);
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && /[1-9]/.test(next)) return { problem: `backreference \\${next} is not supported by RE2` };
      if (next === 'k' && pattern[i + 2] === '<') return { problem: 'named backreference \\k<…> is not supported by RE2' };
      js += next === 'z' || next === 'A' ? (next === 'z' ? '$' : '^') : `\\${next}`;
      i++;
    } else if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(rest);
      if (posix) {
        if (!POSIX_CLASSES.includes(posix[2] as string)) return { problem: `unknown POSIX class [:${posix[2]}:]` };
        js += 'a'; // any single member keeps the class well-formed for the JS compile
        i += posix[0].length - 1;
      } else {
        if (ch === ']' && !/\[\^?$/.test(js)) inClass = false;
        js += ch;
      }
    } else if (ch === '[') {
      inClass = true;
      js += ch;
    } else if (rest.startsWith('(?')) {
      const group = groupSyntax(rest);
      if ('problem' in group) return group;
      js += group.js;
      i += group.length - 1;
    } else {
      const repeat = /^\{(\d+)(,(\d*))?\}/.exec(rest);
      if (repeat && Math.max(Number(repeat[1]), Number(repeat[3] || 0)) > RE2_MAX_REPEAT) {
        return { problem: `repeat count ${repeat[0]} is above RE2's limit of ${RE2_MAX_REPEAT}` };
      }
      js += ch;
    }
  }
  return js;
}

/** `(?…` openers: RE2 has non-capturing groups, named groups and flags, but no lookaround. */
function groupSyntax(rest: string): { js: string; length: number } | { problem: string } {
  if (/^\(\?(=|!|<=|<!)/.test(rest)) return { problem: 'lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported by RE2' };
  const named = /^\(\?P?<([A-Za-z_]\w*)>/.exec(rest);
  if (named) return { js: `(?<${named[1]}>`, length: named[0].length };
  const flags = /^\(\?(-?[imsU]+(-[imsU]*)?)(\)|:)/.exec(rest);
  if (flags) return { js: flags[3] === ')' ? '' : '(?:', length: flags[0].length };
  if (rest.startsWith('(?:')) return { js: '(?:', length: 3 };
  return { problem: `unsupported group syntax ${JSON.stringify(rest.slice(0, 4))}` };
}
