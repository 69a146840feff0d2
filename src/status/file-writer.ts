// Writes each resource's status to its own file under the status folder (never into the user's files):
//   <statusDir>/<group|core>/<Kind>/<namespace>/<name>.yaml   (cluster-scoped kinds: no namespace folder)
// Writes are coalesced (only the latest set matters), atomic (temp file + rename), and only for changes.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { Logger } from '../lib/logger.ts';
import { formatSource } from '../lib/errors.ts';
import type { StatusRecord } from './record.ts';

export class FileStatusWriter {
  readonly #dir: string;
  readonly #logger: Logger;
  /** Path → the record's JSON as last written: cheap to compare, so only changed records are rendered. */
  readonly #written = new Map<string, string>();
  #pending?: StatusRecord[];
  #running?: Promise<void>;

  constructor(opts: { dir: string; logger: Logger }) {
    this.#dir = opts.dir;
    this.#logger = opts.logger;
  }

  /** Queues the full set of statuses; resolves once it (or a newer set) is on disk. */
  write(records: StatusRecord[]): Promise<void> {
    this.#pending = records;
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#pending) {
      const records = this.#pending;
      this.#pending = undefined;
      await this.#sync(records).catch((err) => this.#logger.error({ err, dir: this.#dir }, 'writing status files failed'));
    }
  }

  async #sync(records: StatusRecord[]): Promise<void> {
    const wanted = new Map(records.map((r) => [statusPath(this.#dir, r.key), r]));
    for (const [path, record] of wanted) {
      const json = JSON.stringify(record);
      if (this.#written.get(path) === json) continue;
      await mkdir(dirname(path), { recursive: true });
      await writeFile(`${path}.tmp`, render(record));
      await rename(`${path}.tmp`, path);
      this.#written.set(path, json);
    }
    for (const path of this.#written.keys()) {
      if (wanted.has(path)) continue;
      await rm(path, { force: true });
      this.#written.delete(path);
    }
  }
}

export function statusPath(dir: string, key: string): string {
  const [group, kind, namespace, name] = key.split('/');
  return join(dir, group || 'core', kind ?? '', ...(namespace ? [namespace] : []), `${name}.yaml`);
}

function render(r: StatusRecord): string {
  const doc = { resource: r.id, source: formatSource(r.source), generation: r.generation, status: r.status };
  return `# Written by Portico from the resource at ${formatSource(r.source)}; edit that, not this file.\n${stringify(doc, { lineWidth: 0 })}`;
}
