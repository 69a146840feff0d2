// Parsing resource files (multi-document YAML, or JSON): every document becomes a Resource or a Rejected
// document with every problem found in it, each pointing at a file, a line and a field. Never throws on input.
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type YAMLError } from 'yaml';
import type { FieldProblem, SourceRef } from '../lib/errors.ts';
import { oversize, SIZE_CAPS } from '../lib/size-caps.ts';
import { lookupKind } from './kinds.ts';
import { fieldSource, identityRef, resourceId, type ObjectMeta, type Resource, type ResourceIdentity } from './resource.ts';
import { check, formatPath, isMapping, type Path, type Problem } from './validate/schema.ts';

export interface Rejected {
  /** How the document named itself, when it did (and its kind is known): lets the store keep its last good version. */
  id?: ResourceIdentity;
  source: SourceRef;
  problems: FieldProblem[];
}

export interface ParseResult {
  resources: Resource[];
  rejected: Rejected[];
}

/** A file or a Consul KV value: the text is refused whole when it is over the cap of its kind (lib/size-caps.ts). */
export function parseDocuments(text: string, source: SourceRef): ParseResult {
  const result: ParseResult = { resources: [], rejected: [] };
  const tooLarge = sourceTooLarge(Buffer.byteLength(text), source);
  if (tooLarge) return { ...result, rejected: [{ source, problems: [{ source, message: tooLarge }] }] };
  const lines = new LineCounter();
  for (const doc of parseAllDocuments(text, { lineCounter: lines })) {
    const parsed = parseDocument(doc, lines, source);
    if (parsed && 'problems' in parsed) result.rejected.push(parsed);
    else if (parsed) result.resources.push(parsed);
  }
  return result;
}

/** Why a source of `bytes` bytes is not read: over the cap of a KV value (source.key) or of a file. */
export function sourceTooLarge(bytes: number, source: SourceRef): string | undefined {
  return source.key !== undefined ? oversize('the Consul KV value', bytes, SIZE_CAPS.kvValueBytes) : oversize('the file', bytes, SIZE_CAPS.fileBytes);
}

/** One document: a Resource, a Rejected, or nothing for an empty document (e.g. after a trailing `---`). */
function parseDocument(doc: Document.Parsed, lines: LineCounter, source: SourceRef): Resource | Rejected | undefined {
  const start = doc.contents?.range?.[0] ?? doc.range[0];
  const docSource: SourceRef = { ...source, line: lines.linePos(start).line };
  const { value, error } = toJS(doc);
  if (doc.errors.length) {
    const id = identify(value);
    return { ...(id && { id }), source: docSource, problems: doc.errors.slice(0, SIZE_CAPS.problemsPerDocument).map((e) => syntaxProblem(e, source, id)) };
  }
  if (error) return { source: docSource, problems: [{ source: docSource, message: error }] };
  if (value === null || value === undefined) return undefined;
  const located = { source: docSource, fieldLines: indexLines(doc, lines) };
  const { id, problems } = validate(value);
  if (!problems.length && id) return toResource(value as Record<string, unknown>, id, located);
  const resource = id ? resourceId(identityRef(id)) : describeUnnamed(value);
  return {
    ...(id && { id }),
    source: docSource,
    problems: capped(problems).map((p) => ({
      source: fieldSource(located, formatPath(p.path)),
      ...(resource && { resource }),
      ...(p.path.length && { field: formatPath(p.path) }),
      message: p.message,
    })),
  };
}

/** The first problems of a document, and how many more there are. */
function capped(problems: Problem[]): Problem[] {
  const max = SIZE_CAPS.problemsPerDocument;
  if (problems.length <= max) return problems;
  return [...problems.slice(0, max), { path: [], message: `…and ${problems.length - max} more problems (only the first ${max} are listed)` }];
}

/**
 * The document as plain data. A document too broken to convert still reports its syntax errors; one that
 * converts with too many aliases (an alias bomb: each may expand to the whole tree before it) is refused.
 */
function toJS(doc: Document): { value?: unknown; error?: string } {
  try {
    return { value: doc.toJS({ maxAliasCount: SIZE_CAPS.yamlAliases }) };
  } catch (err) {
    if (doc.errors.length) return {};
    const aliases = /alias/i.test((err as Error).message);
    return { error: aliases ? `the YAML document uses too many aliases (at most ${SIZE_CAPS.yamlAliases} alias expansions are allowed): write the repeated parts out` : `the YAML document cannot be read: ${(err as Error).message}` };
  }
}

interface Validated {
  id?: ResourceIdentity;
  problems: Problem[];
}

function validate(value: unknown): Validated {
  if (!isMapping(value)) {
    return { problems: [{ path: [], message: 'a resource must be a mapping with apiVersion, kind, metadata and spec' }] };
  }
  const { apiVersion, kind } = value;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    // The schema of the kind cannot be chosen; report what is missing and stop there.
    const missing = (['apiVersion', 'kind'] as const).filter((f) => typeof value[f] !== 'string');
    return { problems: missing.map((f) => ({ path: [f], message: value[f] === undefined ? 'required field is missing' : 'must be a string' })) };
  }
  const found = lookupKind(apiVersion, kind);
  if (!('def' in found)) return { problems: [{ path: [found.field], message: found.message }] };
  const problems: Problem[] = [];
  check(found.def.schema, value, [], problems);
  return { id: identify(value), problems };
}

/** apiVersion, kind, name and namespace (defaulted by scope), when the document has them and its kind is known. */
function identify(value: unknown): ResourceIdentity | undefined {
  if (!isMapping(value) || typeof value.apiVersion !== 'string' || typeof value.kind !== 'string') return undefined;
  const found = lookupKind(value.apiVersion, value.kind);
  const meta = value.metadata;
  if (!('def' in found) || !isMapping(meta) || typeof meta.name !== 'string') return undefined;
  const ns = typeof meta.namespace === 'string' ? meta.namespace : 'default';
  return { apiVersion: value.apiVersion, kind: value.kind, name: meta.name, namespace: found.def.namespaced ? ns : '' };
}

/** For problems in a document that does not name itself: its kind, if it has one. */
function describeUnnamed(value: unknown): string | undefined {
  return isMapping(value) && typeof value.kind === 'string' ? value.kind : undefined;
}

function toResource(value: Record<string, unknown>, id: ResourceIdentity, located: Pick<Resource, 'source' | 'fieldLines'>): Resource {
  const { labels, annotations, generation, creationTimestamp } = value.metadata as Partial<ObjectMeta>;
  return {
    apiVersion: id.apiVersion,
    kind: id.kind,
    metadata: {
      name: id.name,
      namespace: id.namespace,
      ...(labels !== undefined && { labels }),
      ...(annotations !== undefined && { annotations }),
      ...(generation !== undefined && { generation }),
      ...(creationTimestamp !== undefined && { creationTimestamp }),
    },
    spec: value.spec ?? {},
    ...located,
  };
}

function syntaxProblem(err: YAMLError, source: SourceRef, id: ResourceIdentity | undefined): FieldProblem {
  const pos = err.linePos?.[0];
  // yaml appends " at line L, column C:" and a code excerpt; the position goes into the source instead.
  const message = err.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
  return {
    source: pos ? { ...source, line: pos.line, column: pos.col } : source,
    ...(id && { resource: resourceId(identityRef(id)) }),
    message: `YAML syntax error: ${message}`,
  };
}

/** The line of every key and list item, by field path, for problems found now or later. */
function indexLines(doc: Document.Parsed, lines: LineCounter): Record<string, number> {
  const out: Record<string, number> = {};
  const visit = (node: unknown, path: Path): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isScalar(pair.key) || (typeof pair.key.value !== 'string' && typeof pair.key.value !== 'number')) continue;
        visitAt(pair.key.range?.[0], pair.value, [...path, String(pair.key.value)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visitAt((item as { range?: [number] } | null)?.range?.[0], item, [...path, i]));
    }
  };
  const visitAt = (offset: number | undefined, node: unknown, path: Path): void => {
    if (offset !== undefined) out[formatPath(path)] = lines.linePos(offset).line;
    visit(node, path);
  };
  visit(doc.contents, []);
  return out;
}
