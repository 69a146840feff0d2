// `portico get KIND [NAME]`: the resources the controller has seen and their statuses, as kubectl shows them
// where there is no cluster to ask. The statuses are read where the controller writes them: Consul KV under
// the status prefix (status/consul-target.ts) or a config folder's `.status/` (status/file-writer.ts), both
// laid out as `<group|core>/<Kind>/[<namespace>/]<name>` with the text of status/writer.ts renderStatus().
// Kinds are named as kubectl names them: plural, singular, short name, or `<plural>.<group>`, any case.
import { Command, Option } from 'commander';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { parse, stringify } from 'yaml';
import { readConfigFile, resolveConfig, type ConfigFile } from '../app/config.ts';
import { KINDS } from '../api/kinds.ts';
import { closest } from '../api/validate/suggest.ts';
import { connectConsul, type ConsulOptions } from '../consul/client.ts';
import { consulError } from '../consul/errors.ts';
import { kvRead } from '../consul/kv.ts';
import type { Condition } from '../status/conditions.ts';
import { ConfigError, ConsulError } from '../lib/errors.ts';
import { consulOptions, consulOverrides } from './consul-options.ts';

export interface GetKind {
  kind: string;
  group: string;
  /** The version `-o yaml` shows in apiVersion (the first the kind is served at). */
  version: string;
  /** What it may be called: plural, singular, short names, `<plural>.<group>`; lower case. */
  names: string[];
  /** The conditions the table shows, in order. */
  columns: string[];
}

/** kubectl's short names of the CRDs (Gateway API, Gloo). */
const SHORT_NAMES: Record<string, string[]> = { GatewayClass: ['gc'], Gateway: ['gtw'], ReferenceGrant: ['refgrant'], Upstream: ['us'], UpstreamGroup: ['ug'] };
/** Each kind's main conditions; the others show Accepted. */
const COLUMNS: Record<string, string[]> = {
  Gateway: ['Accepted', 'Programmed'],
  HTTPRoute: ['Accepted', 'ResolvedRefs'],
  GRPCRoute: ['Accepted', 'ResolvedRefs'],
  Upstream: ['Accepted', 'ResolvedRefs'],
  UpstreamGroup: ['Accepted', 'ResolvedRefs'],
};

function getKind(kind: string, group: string, version: string): GetKind {
  const singular = kind.toLowerCase();
  const plural = singular.endsWith('s') ? `${singular}es` : `${singular}s`;
  const qualified = group ? [`${plural}.${group}`, `${singular}.${group}`] : [];
  return { kind, group, version, names: [plural, singular, ...(SHORT_NAMES[kind] ?? []), ...qualified], columns: COLUMNS[kind] ?? ['Accepted'] };
}

/** Every kind with a status: the registry's, and core Secrets (from the secret sources). */
export const GET_KINDS: readonly GetKind[] = [...KINDS.map((d) => getKind(d.kind, d.group, d.versions[0] ?? 'v1')), getKind('Secret', '', 'v1')];

/** `httproutes,gtw` → their kinds; `all` → every kind. Unknown names throw, with the closest known name. */
export function resolveKinds(arg: string): GetKind[] {
  const out: GetKind[] = [];
  for (const word of arg.split(',').map((w) => w.trim()).filter(Boolean)) {
    if (word.toLowerCase() === 'all') return [...GET_KINDS];
    const found = GET_KINDS.find((k) => k.names.includes(word.toLowerCase()));
    if (!found) {
      const guess = closest(word, GET_KINDS.flatMap((k) => k.names));
      const known = GET_KINDS.map((k) => [k.names[0], ...(SHORT_NAMES[k.kind] ?? [])].join('/')).join(', ');
      throw new ConfigError(`unknown kind '${word}'${guess ? `; did you mean '${guess}'?` : ''} (kinds: ${known}; or all)`);
    }
    if (!out.includes(found)) out.push(found);
  }
  if (!out.length) throw new ConfigError('name a kind, e.g. portico get httproutes');
  return out;
}

/** One stored status: whose it is (from where it is stored) and what the controller wrote. */
export interface StoredStatus {
  group: string;
  kind: string;
  namespace?: string;
  name: string;
  /** The file or KV key it was read from. */
  location: string;
  source?: string;
  generation?: number;
  status: Record<string, unknown>;
}

/** `<group|core>/<Kind>/[<ns>/]<name>` and its text → a StoredStatus, or why not (a stray file or key). */
export function parseStored(path: string, text: string, location: string): StoredStatus | { skipped: string } {
  const parts = path.split('/');
  if (parts.length !== 3 && parts.length !== 4) return { skipped: `${location}: not laid out as <group>/<Kind>/[<namespace>/]<name>` };
  const [group = '', kind = '', ...rest] = parts;
  const name = rest.pop() as string;
  let doc: { source?: unknown; generation?: unknown; status?: unknown };
  try {
    doc = (parse(text) ?? {}) as typeof doc;
  } catch (err) {
    return { skipped: `${location}: not YAML: ${(err as Error).message.split('\n')[0]}` };
  }
  if (!doc.status || typeof doc.status !== 'object') return { skipped: `${location}: no status in it` };
  return {
    group: group === 'core' ? '' : group,
    kind,
    ...(rest[0] && { namespace: rest[0] }),
    name,
    location,
    ...(typeof doc.source === 'string' && { source: doc.source }),
    ...(typeof doc.generation === 'number' && { generation: doc.generation }),
    status: doc.status as Record<string, unknown>,
  };
}

/** Where the statuses are: a folder (the controller's status folder) or a Consul KV prefix. */
export type StatusLocation = { dir: string } | { consul: ConsulOptions; prefix: string };

/** From the flags given and the config file: a status folder wins, then Consul KV, then the file's directory source. */
export function statusLocation(given: (name: string) => string | undefined): StatusLocation {
  const dir = given('statusDir') ?? (given('configDir') && join(given('configDir') as string, '.status'));
  if (dir) return { dir: resolve(dir) };
  const file: ConfigFile = given('config') ? readConfigFile(given('config') as string) : {};
  const { consul, consulKv } = consulOverrides(given);
  const wantsConsul = consulKv !== undefined || consul?.address !== undefined || file.sources?.consulKv !== undefined;
  const directory = file.sources?.directory;
  if (!wantsConsul && !directory) {
    throw new ConfigError('where are the statuses? --config portico.yaml, --config-dir DIR (its .status/), --status-dir DIR, or --consul-address URL (Consul KV under --consul-status-prefix, default portico-status)');
  }
  // The controller's own defaults (statusPrefix `<rootKey>-status`, the consul block), flags on top.
  const config = resolveConfig(file, { consul, sources: wantsConsul ? { consulKv: consulKv ?? {} } : {} });
  if (config.sources.consulKv) return { consul: config.consul, prefix: config.sources.consulKv.statusPrefix };
  const d = config.sources.directory as NonNullable<typeof config.sources.directory>;
  return { dir: d.statusDir ?? join(d.path, '.status') };
}

export async function readStatuses(at: StatusLocation): Promise<{ statuses: StoredStatus[]; skipped: string[] }> {
  const read = 'dir' in at ? await readFolder(at.dir) : await readConsul(at.consul, at.prefix);
  const statuses: StoredStatus[] = [];
  const skipped: string[] = [];
  for (const [path, text, location] of read) {
    const s = parseStored(path, text, location);
    if ('skipped' in s) skipped.push(s.skipped);
    else statuses.push(s);
  }
  return { statuses, skipped };
}

/** [path below the folder, text, file] of every status file; dot-named entries are not statuses. */
async function readFolder(dir: string): Promise<[string, string, string][]> {
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`status folder '${dir}' cannot be read: ${code ?? (err as Error).message}${code === 'ENOENT' ? ' (the controller writes statuses to <config-dir>/.status, or --status-dir)' : ''}`);
  }
  const files = entries.filter((e) => e.endsWith('.yaml') && !e.split(sep).some((s) => s.startsWith('.')));
  return Promise.all(files.sort().map(async (f) => [f.split(sep).join('/').replace(/\.yaml$/, ''), await readFile(join(dir, f), 'utf8'), join(dir, f)] as [string, string, string]));
}

/** [key below the prefix, value, key] of every status in Consul; dot-named keys (the leader lock) are not statuses. */
async function readConsul(options: ConsulOptions, prefix: string): Promise<[string, string, string][]> {
  const connection = connectConsul(options);
  const action = { doing: `reading statuses under ${prefix}/`, needs: `key_prefix "${prefix}/" { policy = "read" }` };
  try {
    const answer = await kvRead(connection, { key: `${prefix}/`, recurse: true });
    // A token that may not read them gets no 403: Consul hides the keys, and only this says so.
    if (answer.filteredByAcls) throw new ConsulError('statuses are hidden by ACLs', { status: 403 });
    return answer.data
      .map((i) => [i.Key.slice(prefix.length + 1), i.Value ?? '', i.Key] as [string, string, string])
      .filter(([path]) => path && !path.endsWith('/') && !path.split('/').some((s) => s.startsWith('.')));
  } catch (err) {
    throw consulError(err, action, connection.describe());
  } finally {
    connection.close();
  }
}

export type OutputFormat = 'table' | 'wide' | 'yaml' | 'json';

/** The statuses `kinds`, `namespace` and `name` select, sorted by kind (in the order asked), namespace, name. */
export function select(statuses: readonly StoredStatus[], kinds: readonly GetKind[], namespace?: string, name?: string): StoredStatus[] {
  const order = (s: StoredStatus) => kinds.findIndex((k) => k.kind === s.kind && k.group === s.group);
  return statuses
    .filter((s) => order(s) >= 0 && (namespace === undefined || s.namespace === namespace) && (name === undefined || s.name === name))
    .sort((a, b) => order(a) - order(b) || (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name));
}

/** The statuses as kubectl would print them. */
export function render(selected: readonly StoredStatus[], kinds: readonly GetKind[], format: OutputFormat, single: boolean): string {
  if (format === 'yaml' || format === 'json') {
    const objects = selected.map((s) => asObject(s, kindOf(s, kinds)));
    const doc = single && objects.length === 1 ? objects[0] : { apiVersion: 'v1', kind: 'List', items: objects };
    return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0 });
  }
  const tables = kinds.flatMap((k) => {
    const rows = selected.filter((s) => s.kind === k.kind && s.group === k.group);
    return rows.length ? [table(rows, k, format === 'wide', kinds.length > 1)] : [];
  });
  return tables.join('\n');
}

function kindOf(s: StoredStatus, kinds: readonly GetKind[]): GetKind {
  return kinds.find((k) => k.kind === s.kind && k.group === s.group) ?? getKind(s.kind, s.group, 'v1');
}

function asObject(s: StoredStatus, k: GetKind): Record<string, unknown> {
  return {
    apiVersion: k.group ? `${k.group}/${k.version}` : k.version,
    kind: s.kind,
    metadata: { name: s.name, ...(s.namespace && { namespace: s.namespace }), ...(s.generation !== undefined && { generation: s.generation }) },
    ...(s.source && { source: s.source }),
    status: s.status,
  };
}

/** NAME NAMESPACE <conditions…> GENERATION (wide: and SOURCE, MESSAGE), aligned like kubectl's. */
function table(rows: readonly StoredStatus[], k: GetKind, wide: boolean, qualified: boolean): string {
  const header = ['NAME', 'NAMESPACE', ...k.columns.map((c) => c.toUpperCase()), 'GENERATION', ...(wide ? ['SOURCE', 'MESSAGE'] : [])];
  const body = rows.map((s) => [
    qualified ? `${k.names[1]}/${s.name}` : s.name,
    s.namespace ?? '-',
    ...k.columns.map((c) => cell(conditionsOf(s, c))),
    s.generation === undefined ? '-' : String(s.generation),
    ...(wide ? [s.source ?? '-', firstProblem(s, k) ?? '-'] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  return [header, ...body].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join('').trimEnd()).join('\n') + '\n';
}

/** A condition of a resource: its own (`status.conditions`), or each parent's for routes (`status.parents[]`). */
function conditionsOf(s: StoredStatus, type: string): Condition[] {
  const parents = s.status.parents as { conditions?: Condition[] }[] | undefined;
  const lists = parents ? parents.map((p) => p.conditions ?? []) : [(s.status.conditions as Condition[] | undefined) ?? []];
  return lists.flatMap((l) => l.filter((c) => c.type === type));
}

/** False when any parent says False, True when all say True; `-` when none has the condition. */
function cell(conditions: Condition[]): string {
  if (!conditions.length) return '-';
  if (conditions.some((c) => c.status === 'False')) return 'False';
  return conditions.every((c) => c.status === 'True') ? 'True' : 'Unknown';
}

/** `Reason: message` of the first main condition that is not True. */
function firstProblem(s: StoredStatus, k: GetKind): string | undefined {
  for (const type of k.columns) {
    const c = conditionsOf(s, type).find((x) => x.status !== 'True');
    if (c) return `${c.reason ?? c.status}: ${c.message ?? ''}`.trim();
  }
  return undefined;
}

export function getCommand(): Command {
  const cmd = new Command('get')
    .description("show resources and their statuses from where the controller writes them: Consul KV, or a config folder's .status/ (like kubectl get)")
    .argument('<kind>', 'kind as kubectl names it: httproutes, gateways (gtw), upstreams (us), …; comma-separated, or all')
    .argument('[name]', 'only the resource of this name')
    .addOption(new Option('-n, --namespace <ns>', 'only this namespace (default: all namespaces)').env('PORTICO_NAMESPACE'))
    .addOption(new Option('-o, --output <format>', 'table (default), wide (with the source and the first problem), yaml or json (every condition with its reason and message)').choices(['wide', 'yaml', 'json']).env('PORTICO_OUTPUT'))
    .addOption(new Option('--config <file>', "the controller's config file (portico.yaml): its Consul KV status prefix and connection, or its directory's status folder").env('PORTICO_CONFIG'))
    .addOption(new Option('--config-dir <dir>', 'read <dir>/.status/, the status folder of a controller on that folder').env('PORTICO_CONFIG_DIR'))
    .addOption(new Option('--status-dir <dir>', 'read this status folder').env('PORTICO_STATUS_DIR'));
  for (const o of consulOptions()) cmd.addOption(o);
  return cmd.action(async (kindArg: string, name: string | undefined, opts: { namespace?: string; output?: OutputFormat }, command: Command) => {
    const given = (flag: string) => (['cli', 'env'].includes(command.getOptionValueSource(flag) ?? '') ? (command.getOptionValue(flag) as string) : undefined);
    const kinds = resolveKinds(kindArg);
    const { statuses, skipped } = await readStatuses(statusLocation(given));
    for (const s of skipped) process.stderr.write(`portico: skipped ${s}\n`);
    const selected = select(statuses, kinds, opts.namespace, name);
    const where = opts.namespace ? ` in namespace ${opts.namespace}` : '';
    if (name && !selected.length) throw new ConfigError(`${kinds.map((k) => k.kind).join(', ')} "${name}" not found${where}`);
    const format = opts.output ?? 'table';
    if (!selected.length && (format === 'table' || format === 'wide')) {
      process.stderr.write(`No resources found${where}.\n`);
      return;
    }
    process.stdout.write(render(selected, kinds, format, name !== undefined));
  });
}
