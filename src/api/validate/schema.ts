// A small, data-driven schema language for the kinds Portico reads, and the walker that checks a document.
// Strict like `kubectl --validate=strict`: unknown fields, wrong types and out-of-range values are errors.
// Cross-field rules (the Gateway API's CEL rules) run only on objects whose own fields are all valid, as CEL
// does, so a rule may trust the shape of what it is given.
import { SIZE_CAPS } from '../../lib/size-caps.ts';
import { closest, didYouMean } from './suggest.ts';

export type Path = readonly (string | number)[];

/** A problem at a path inside the document (formatted by formatPath). */
export interface Problem {
  path: Path;
  message: string;
}

/** Reports a problem at a path relative to the value a rule checks. */
export type Report = (path: Path, message: string) => void;

// Rules receive a value that already passed its schema; `any` lets each rule name the spec type it checks.
export type Rule = (value: any, report: Report) => void;

interface Common {
  required?: boolean;
}

export interface StringSchema extends Common {
  type: 'string';
  enum?: readonly string[];
  pattern?: RegExp;
  /** What the pattern stands for, for the message: `"Foo" is not a valid <patternName>`. */
  patternName?: string;
  minLength?: number;
  maxLength?: number;
  /** A check the pattern cannot express; returns why the value is invalid. */
  check?: (value: string) => string | undefined;
}

export interface IntegerSchema extends Common {
  type: 'integer';
  min?: number;
  max?: number;
  enum?: readonly number[];
}

/** A JSON number, fractions allowed (Gloo's percentages are floats). */
export interface NumberSchema extends Common {
  type: 'number';
  min?: number;
  max?: number;
}

export interface BooleanSchema extends Common {
  type: 'boolean';
}

/** A closed object: every field not listed is an error. */
export interface ObjectSchema extends Common {
  type: 'object';
  fields: Readonly<Record<string, Schema>>;
  rules?: readonly Rule[];
}

/** An open map (labels, annotations): any key that passes `keys`. */
export interface MapSchema extends Common {
  type: 'map';
  keys: StringSchema;
  values: Schema;
}

export interface ArraySchema extends Common {
  type: 'array';
  items: Schema;
  minItems?: number;
  maxItems?: number;
  rules?: readonly Rule[];
}

/** A known field whose content Portico does not interpret (yet): any mapping is accepted. */
export interface OpaqueSchema extends Common {
  type: 'opaque';
}

/** A known field Portico does not support: setting it is a problem, with the reason. */
export interface UnsupportedSchema extends Common {
  type: 'unsupported';
  reason: string;
}

export type Schema =
  | StringSchema
  | IntegerSchema
  | NumberSchema
  | BooleanSchema
  | ObjectSchema
  | MapSchema
  | ArraySchema
  | OpaqueSchema
  | UnsupportedSchema;

// ── builders ────────────────────────────────────────────────────────────────────────────────────────

export const str = (opts: Omit<StringSchema, 'type'> = {}): StringSchema => ({ type: 'string', ...opts });
export const oneOf = (...values: string[]): StringSchema => str({ enum: values });
export const int = (min?: number, max?: number): IntegerSchema => ({ type: 'integer', min, max });
export const num = (min?: number, max?: number): NumberSchema => ({ type: 'number', min, max });
export const bool: BooleanSchema = { type: 'boolean' };
export const obj = (fields: Record<string, Schema>, ...rules: Rule[]): ObjectSchema => ({ type: 'object', fields, rules });
export const map = (keys: StringSchema, values: Schema): MapSchema => ({ type: 'map', keys, values });
export const opaque: OpaqueSchema = { type: 'opaque' };
export const unsupported = (reason: string): UnsupportedSchema => ({ type: 'unsupported', reason });
export const required = <S extends Schema>(schema: S): S => ({ ...schema, required: true });

export function list(items: Schema, limits: { min?: number; max?: number } = {}, ...rules: Rule[]): ArraySchema {
  return { type: 'array', items, minItems: limits.min, maxItems: limits.max, rules };
}

/** A list rule: the value of `field` must be unique across items (Kubernetes `listType=map`). */
export function uniqueBy(field: string, what: string): Rule {
  return (items: Record<string, unknown>[], report) => {
    const seen = new Map<unknown, number>();
    items.forEach((item, i) => {
      const key = item[field];
      if (key === undefined) return;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else report([i, field], `duplicate ${what} ${JSON.stringify(key)} (also at index ${first}): each ${what} must be unique`);
    });
  };
}

/** A list rule for Kubernetes `listType=set`: no value twice. */
export function distinct(what: string): Rule {
  return (items: unknown[], report) => {
    items.forEach((item, i) => {
      const first = items.indexOf(item);
      if (first < i) report([i], `duplicate ${what} ${JSON.stringify(item)} (also at index ${first})`);
    });
  };
}

// ── the walker ──────────────────────────────────────────────────────────────────────────────────────

/** Checks `value` against `schema`, appending every problem found; true when none was. */
export function check(schema: Schema, value: unknown, path: Path, out: Problem[]): boolean {
  const before = out.length;
  walk(schema, value, path, out);
  return out.length === before;
}

function walk(schema: Schema, value: unknown, path: Path, out: Problem[]): void {
  switch (schema.type) {
    case 'string':
      return checkString(schema, value, path, out);
    case 'integer':
      return checkInteger(schema, value, path, out);
    case 'number':
      return checkNumber(schema, value, path, out);
    case 'boolean':
      if (typeof value !== 'boolean') out.push(typeProblem('a boolean', value, path));
      return;
    case 'object':
      return checkObject(schema, value, path, out);
    case 'map':
      return checkMap(schema, value, path, out);
    case 'array':
      return checkArray(schema, value, path, out);
    case 'opaque':
      if (!isMapping(value)) out.push(typeProblem('a mapping', value, path));
      return;
    case 'unsupported':
      out.push({ path, message: schema.reason });
      return;
  }
}

function checkString(schema: StringSchema, value: unknown, path: Path, out: Problem[]): void {
  if (typeof value !== 'string') return void out.push(typeProblem('a string', value, path));
  const shown = quote(value);
  let message: string | undefined;
  if (schema.enum && !schema.enum.includes(value)) {
    message = `must be one of ${schema.enum.join(', ')} (got ${shown})${didYouMean(value, schema.enum)}`;
  } else if (schema.minLength !== undefined && value.length < schema.minLength) {
    message = schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters long`;
  } else if (value.length > (schema.maxLength ?? SIZE_CAPS.stringChars)) {
    message = `must be at most ${schema.maxLength ?? SIZE_CAPS.stringChars} characters long (got ${value.length})`;
  } else if (schema.pattern && !schema.pattern.test(value)) {
    message = `${shown} is not a valid ${schema.patternName ?? `value (must match ${schema.pattern.source})`}`;
  } else {
    message = schema.check?.(value);
  }
  if (message) out.push({ path, message });
}

function checkInteger(schema: IntegerSchema, value: unknown, path: Path, out: Problem[]): void {
  if (typeof value !== 'number' || !Number.isInteger(value)) return void out.push(typeProblem('an integer', value, path));
  if (schema.enum && !schema.enum.includes(value)) {
    out.push({ path, message: `must be one of ${schema.enum.join(', ')} (got ${value})` });
  } else {
    checkRange(schema, value, path, out);
  }
}

function checkNumber(schema: NumberSchema, value: unknown, path: Path, out: Problem[]): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) return void out.push(typeProblem('a number', value, path));
  checkRange(schema, value, path, out);
}

function checkRange({ min, max }: { min?: number; max?: number }, value: number, path: Path, out: Problem[]): void {
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    const range = max === undefined ? `at least ${min}` : min === undefined ? `at most ${max}` : `between ${min} and ${max}`;
    out.push({ path, message: `must be ${range} (got ${value})` });
  }
}

function checkObject(schema: ObjectSchema, value: unknown, path: Path, out: Problem[]): void {
  if (!isMapping(value)) return void out.push(typeProblem('a mapping', value, path));
  const before = out.length;
  const known = Object.keys(schema.fields);
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(schema.fields, key)) out.push({ path: [...path, key], message: unknownField(key, known) });
  }
  for (const [key, field] of Object.entries(schema.fields)) {
    const v = value[key];
    // YAML `key:` with nothing after it is null, which Kubernetes treats as absent.
    if (v === undefined || v === null) {
      if (field.required) out.push({ path: [...path, key], message: 'required field is missing' });
    } else {
      walk(field, v, [...path, key], out);
    }
  }
  if (out.length === before) runRules(schema.rules, value, path, out);
}

function checkMap(schema: MapSchema, value: unknown, path: Path, out: Problem[]): void {
  if (!isMapping(value)) return void out.push(typeProblem('a mapping', value, path));
  const entries = Object.keys(value).length;
  if (entries > SIZE_CAPS.mapEntries) return void out.push({ path, message: `must have at most ${SIZE_CAPS.mapEntries} entries (got ${entries})` });
  for (const [key, v] of Object.entries(value)) {
    const before = out.length;
    checkString(schema.keys, key, [...path, key], out);
    if (out.length === before) walk(schema.values, v, [...path, key], out);
  }
}

function checkArray(schema: ArraySchema, value: unknown, path: Path, out: Problem[]): void {
  if (!Array.isArray(value)) return void out.push(typeProblem('a list', value, path));
  const before = out.length;
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    out.push({ path, message: schema.minItems === 1 ? 'must not be empty' : `must have at least ${schema.minItems} items` });
  }
  const maxItems = schema.maxItems ?? SIZE_CAPS.listItems;
  if (value.length > maxItems) {
    // Nothing past the cap is looked at: a million bad items must not make a million problems.
    return void out.push({ path, message: `must have at most ${maxItems} items (got ${value.length})` });
  }
  value.forEach((item, i) => walk(schema.items, item, [...path, i], out));
  if (out.length === before) runRules(schema.rules, value, path, out);
}

function runRules(rules: readonly Rule[] | undefined, value: unknown, path: Path, out: Problem[]): void {
  for (const rule of rules ?? []) rule(value, (rel, message) => out.push({ path: [...path, ...rel], message }));
}

function unknownField(key: string, known: readonly string[]): string {
  const guess = closest(key, known);
  if (guess !== undefined) return `unknown field; did you mean ${JSON.stringify(guess)}?`;
  return known.length ? `unknown field; known fields here: ${known.join(', ')}` : 'unknown field; nothing may be set here';
}

function typeProblem(expected: string, value: unknown, path: Path): Problem {
  return { path, message: `expected ${expected}, got ${describe(value)}` };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `a string (${quote(value)})`;
  return `a ${typeof value} (${String(value)})`;
}

/** A value as a message quotes it: JSON, cut short so that a huge value still makes a short problem. */
export function quote(value: string, max = 80): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `spec.rules[0].matches[0].path.type`; keys that are not plain words are quoted: `labels["app.io/name"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
