// The generated validation corpus: every value of every family (values.ts) in every field of that type
// (fields.ts), plus inputs that only make sense whole (an alias bomb, an oversized file). Each case is one
// YAML file: the resource under test first, what it needs after it. Deterministic: the same cases, ids and
// ports on every run.
import { stringify } from 'yaml';
import { SIZE_CAPS } from '../../../src/lib/size-caps.ts';
import { httpRoute, type Doc } from './build.ts';
import { FIELD_ROWS } from './fields.ts';

export type Expectation = 'valid' | 'invalid' | 'edge';

export interface CorpusCase {
  id: string;
  kind: string;
  field: string;
  expect: Expectation;
  /** The value tried, shortened for messages. */
  shown: string;
  /** The file's content. */
  text: string;
}

/** The first port the cases that bring their own Gateway listen on (one each). */
const FIRST_PORT = 20_000;

export function generateCorpus(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  const add = (kind: string, field: string, expect: Expectation, value: unknown, text: (id: string, port: number) => string) => {
    const n = cases.length;
    const id = `c${n}`;
    cases.push({ id, kind, field, expect, shown: show(value), text: text(id, FIRST_PORT + n) });
  };
  for (const row of FIELD_ROWS) {
    for (const expect of ['valid', 'invalid', 'edge'] as const) {
      for (const value of row.values[expect] ?? []) add(row.kind, row.field, expect, value, (id, port) => yamlOf(row.build(value, id, port)));
    }
  }
  add('HTTPRoute', '(document) YAML aliases', 'valid', `${SIZE_CAPS.yamlAliases} aliases`, (id) => aliasDocument(id, 10));
  add('HTTPRoute', '(document) YAML aliases', 'invalid', 'an alias bomb', (id) => aliasDocument(id, 200));
  add('HTTPRoute', '(file) size', 'invalid', `a file over ${SIZE_CAPS.fileBytes} bytes`, (id) => `${yamlOf([httpRoute(id)])}# ${'x'.repeat(SIZE_CAPS.fileBytes)}\n`);
  return cases;
}

export function yamlOf(docs: Doc[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
}

/** An HTTPRoute whose annotations all repeat one anchored value through `aliases` aliases. */
function aliasDocument(id: string, aliases: number): string {
  const refs = Array.from({ length: aliases }, (_, i) => `    a${i}: *v`).join('\n');
  return `${yamlOf([httpRoute(id)]).replace(`  name: ${id}\n`, `  name: ${id}\n  annotations:\n    anchor: &v repeated\n${refs}\n`)}`;
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…(${text.length} chars)` : text;
}
