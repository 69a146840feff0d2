// Resources from a watched directory: every *.yaml / *.yml / *.json below it (any depth, multi-document).
// Files and folders whose names start with `.` are ignored (the default status folder is `.status`).
// A file that stops parsing mid-edit keeps its last good resources serving until it is fixed.
// Each folder gets its own (non-recursive) watcher (see folder-watchers.ts).
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ParseResult } from '../../api/parse.ts';
import { resourceKey, type Resource } from '../../api/resource.ts';
import type { Logger } from '../../lib/logger.ts';
import { FolderWatchers } from '../folder-watchers.ts';
import { isIgnored, isResourceFile, parseFile, scanTree } from './read.ts';
import type { SourceSnapshot } from '../../api/source.ts';

export interface FileProviderOptions {
  dir: string;
  logger: Logger;
  /** Coalesces bursts of file events (editors write in several steps). */
  settleMs?: number;
  /** A full rescan catches any event the OS watcher dropped. */
  rescanIntervalMs?: number;
}

interface FileState {
  mtimeMs: number;
  size: number;
  result: ParseResult;
  /** Resources served from this file: the last parse, or the last good one while the file is malformed. */
  serving: Resource[];
}

export class FileResourceProvider {
  readonly #opts: Required<FileProviderOptions>;
  readonly #files = new Map<string, FileState>();
  readonly #dirty = new Set<string>();
  readonly #watchers: FolderWatchers;
  #timer?: NodeJS.Timeout;
  #rescan?: NodeJS.Timeout;
  #onSnapshot: (snap: SourceSnapshot) => void = () => {};
  #busy: Promise<void> = Promise.resolve();
  #published = false;

  constructor(opts: FileProviderOptions) {
    this.#opts = { settleMs: 10, rescanIntervalMs: 30_000, ...opts };
    this.#watchers = new FolderWatchers(
      (dir, name) => this.#changed(relative(this.#opts.dir, dir), name),
      (dir, err) => this.#opts.logger.warn({ err, dir }, 'cannot watch folder; relying on periodic rescans'),
    );
  }

  /** Reads everything once, publishes, then watches. */
  async start(onSnapshot: (snap: SourceSnapshot) => void): Promise<void> {
    this.#onSnapshot = onSnapshot;
    await this.#rescanAll();
    this.#rescan = setInterval(() => this.#serial(() => this.#rescanAll()), this.#opts.rescanIntervalMs);
    this.#rescan.unref();
  }

  stop(): void {
    this.#watchers.close();
    clearTimeout(this.#timer);
    clearInterval(this.#rescan);
  }

  #changed(dir: string, name: string | null): void {
    this.#dirty.add(name === null ? '' : join(dir, name));
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#serial(() => this.#flush()), this.#opts.settleMs);
  }

  #serial(work: () => Promise<void>): void {
    this.#busy = this.#busy.then(work).catch((err) => this.#opts.logger.error({ err }, 'reading the config directory failed'));
  }

  async #flush(): Promise<void> {
    const names = [...this.#dirty];
    this.#dirty.clear();
    if (names.includes('') || names.some((n) => !isResourceFile(n) && !isIgnored(n))) {
      await this.#rescanAll(); // a folder changed (or the OS did not say what): look at everything
      return;
    }
    let changed = false;
    for (const name of names.filter((n) => !isIgnored(n))) changed = (await this.#refresh(name)) || changed;
    if (changed) this.#publish();
  }

  async #rescanAll(): Promise<void> {
    const tree = await scanTree(this.#opts.dir);
    this.#watchers.sync(tree.dirs.map((d) => join(this.#opts.dir, d)));
    const present = new Set(tree.files);
    let changed = false;
    for (const name of this.#files.keys()) {
      if (!present.has(name)) changed = (await this.#refresh(name)) || changed;
    }
    for (const name of present) changed = (await this.#refresh(name)) || changed;
    if (changed || !this.#published) this.#publish();
  }

  /** Re-reads one file if it changed; returns whether what it serves changed. */
  async #refresh(name: string): Promise<boolean> {
    const path = join(this.#opts.dir, name);
    const info = await stat(path).catch(() => undefined);
    const prev = this.#files.get(name);
    if (!info?.isFile()) return this.#files.delete(name);
    if (prev && prev.mtimeMs === info.mtimeMs && prev.size === info.size) return false;
    const result = await parseFile(path, info.size).catch(() => undefined);
    if (result === undefined) return this.#files.delete(name);
    this.#files.set(name, { mtimeMs: info.mtimeMs, size: info.size, result, serving: serving(result, prev) });
    return true;
  }

  #publish(): void {
    this.#published = true;
    const files = [...this.#files.values()];
    this.#onSnapshot({
      resources: files.flatMap((f) => f.serving),
      rejected: files.flatMap((f) => f.result.rejected),
    });
  }
}

/** While a file has a document that cannot even be identified (bad YAML), keep what it served before. */
function serving(result: ParseResult, prev: FileState | undefined): Resource[] {
  const malformed = result.rejected.some((r) => !r.id);
  if (!malformed || !prev) return result.resources;
  const fresh = new Set(result.resources.map(resourceKey));
  return [...result.resources, ...prev.serving.filter((r) => !fresh.has(resourceKey(r)))];
}
