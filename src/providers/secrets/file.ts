// Secrets from a folder: every file in `<dir>/<namespace>/<name>/` is one key of the Secret
// `<namespace>/<name>` (the file name is the key, its content the value), except `.labels`, a YAML mapping of
// the Secret's labels (API keys are selected by label). With `tls.crt` and `tls.key` (PEM)
// it is a TLS Secret, which Gateway listeners name in `tls.certificateRefs`; otherwise an Opaque one. The folder is watched, so
// rewriting the files rotates the certificate; Envoy then gets only the new SDS Secret.
// Writing a certificate and its key takes two writes: a pair that does not match (half written) keeps the
// previous pair serving until both files agree, and is reported meanwhile. PEM contents are never logged.
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import type { SecretSpec } from '../../api/core-types.ts';
import type { Rejected } from '../../api/parse.ts';
import type { Logger } from '../../lib/logger.ts';
import { hashOf } from '../../lib/stable.ts';
import { FolderWatchers } from '../folder-watchers.ts';
import type { SourceSnapshot } from '../../api/source.ts';
import { keepGoodPair, secretKey, secretResource, withLabels, type SecretResource } from './secret.ts';

export type { SecretResource } from './secret.ts';

export interface FileSecretProviderOptions {
  dir: string;
  logger: Logger;
  /** Coalesces the writes of one rotation (certificate, then key). */
  settleMs?: number;
  /** A full rescan catches any event the OS watcher dropped. */
  rescanIntervalMs?: number;
}

/** Reads every Secret below `dir` once (empty when `dir` does not exist); a bad `.labels` file lands in `rejected`. */
export async function readSecrets(dir: string, rejected: Rejected[] = []): Promise<SecretResource[]> {
  const out: SecretResource[] = [];
  for (const namespace of await subfolders(dir)) {
    for (const name of await subfolders(join(dir, namespace))) out.push(await readSecret(dir, namespace, name, rejected));
  }
  return out;
}

export class FileSecretProvider {
  readonly #opts: Required<FileSecretProviderOptions>;
  // Not there (yet) is fine: the periodic rescan picks a folder up.
  readonly #watchers = new FolderWatchers(() => this.#schedule());
  /** What each Secret serves, by `namespace/name`: the last read, or the last matching pair. */
  #serving = new Map<string, SecretResource>();
  #published?: string;
  #timer?: NodeJS.Timeout;
  #rescan?: NodeJS.Timeout;
  #busy: Promise<void> = Promise.resolve();
  #onSnapshot: (snap: SourceSnapshot) => void = () => {};

  constructor(opts: FileSecretProviderOptions) {
    this.#opts = { settleMs: 50, rescanIntervalMs: 30_000, ...opts };
  }

  /** Reads everything once, publishes, then watches. */
  async start(onSnapshot: (snap: SourceSnapshot) => void): Promise<void> {
    this.#onSnapshot = onSnapshot;
    // Through #busy, so that a watcher event during this first scan waits for it.
    this.#busy = this.#scan();
    await this.#busy;
    this.#rescan = setInterval(() => this.#schedule(), this.#opts.rescanIntervalMs);
    this.#rescan.unref();
  }

  stop(): void {
    this.#watchers.close();
    clearTimeout(this.#timer);
    clearInterval(this.#rescan);
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#busy = this.#busy.then(() => this.#scan()).catch((err) => this.#opts.logger.error({ err, dir: this.#opts.dir }, 'reading the secrets folder failed'));
    }, this.#opts.settleMs);
  }

  async #scan(): Promise<void> {
    const rejected: Rejected[] = [];
    const secrets = await readSecrets(this.#opts.dir, rejected);
    await this.#syncWatchers(secrets);
    const next = new Map(secrets.map((s) => [secretKey(s), keepGoodPair(s, this.#serving.get(secretKey(s)), (key) => ({ file: join(s.source?.file ?? '', key) }), rejected)]));
    this.#serving = next;
    const resources = [...next.values()];
    const hash = hashOf([resources.map((r) => [r.metadata, r.spec]), rejected]);
    if (hash === this.#published) return;
    this.#published = hash;
    this.#opts.logger.info({ secrets: [...next.keys()] }, 'secrets loaded');
    this.#onSnapshot({ resources, rejected });
  }

  /** One watcher per folder (the root, each namespace, each secret), as Linux has no reliable recursive watch. */
  async #syncWatchers(secrets: SecretResource[]): Promise<void> {
    const namespaces = new Set(secrets.map((s) => join(this.#opts.dir, s.metadata.namespace)));
    for (const ns of await subfolders(this.#opts.dir)) namespaces.add(join(this.#opts.dir, ns));
    // Until the folder exists, its parent's events say when it appears.
    const root = (await stat(this.#opts.dir).catch(() => undefined))?.isDirectory() ? this.#opts.dir : dirname(this.#opts.dir);
    this.#watchers.sync([root, ...namespaces, ...secrets.map((s) => s.source?.file ?? '')]);
  }
}

async function readSecret(dir: string, namespace: string, name: string, rejected: Rejected[]): Promise<SecretResource> {
  const folder = join(dir, namespace, name);
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  const keys = entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort();
  // A file removed between the listing and the read is simply not there this time.
  const values = await Promise.all(keys.map((k) => readFile(join(folder, k), 'utf8').catch(() => undefined)));
  const stringData: SecretSpec['stringData'] = {};
  keys.forEach((k, i) => values[i] !== undefined && (stringData[k] = values[i]));
  const secret = secretResource(namespace, name, stringData, { file: folder });
  const labelsFile = join(folder, LABELS_FILE);
  const labels = await readLabels(labelsFile);
  if (labels === null) {
    const problem = { source: { file: labelsFile }, resource: `Secret ${namespace}/${name}`, field: 'metadata.labels', message: `${LABELS_FILE} must be a YAML mapping of label names to values; the Secret has no labels until it is` };
    rejected.push({ id: { apiVersion: 'v1', kind: 'Secret', namespace, name }, source: { file: labelsFile }, problems: [problem] });
  }
  return labels ? withLabels(secret, labels) : secret;
}

const LABELS_FILE = '.labels';

/** The labels in `.labels` (a YAML mapping of strings): undefined without the file, null when it is not such a mapping. */
async function readLabels(path: string): Promise<Record<string, string> | undefined | null> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const value: unknown = parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  } catch {
    return null;
  }
}

/** Folder names below `dir`, sorted, without dot-names (editors' and tools' temporary folders). */
async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
}
