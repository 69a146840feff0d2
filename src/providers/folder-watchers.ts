// One fs.watch per folder, kept in step with the set of folders a provider cares about. Linux has no
// reliable recursive watcher (Node's loses events once a file is replaced by rename, which is how editors
// save), so the file-based providers watch each folder on its own and rescan periodically as a backstop.
import { watch, type FSWatcher } from 'node:fs';

/** Called with the folder and the entry that changed (null when the OS did not say, or on a watcher error). */
export type FolderChange = (dir: string, name: string | null) => void;

export class FolderWatchers {
  readonly #watchers = new Map<string, FSWatcher>();
  readonly #onChange: FolderChange;
  readonly #cannotWatch: (dir: string, err: unknown) => void;

  /** `cannotWatch` hears of a folder that could not be watched (gone, or not there yet); the rescan covers it. */
  constructor(onChange: FolderChange, cannotWatch: (dir: string, err: unknown) => void = () => {}) {
    this.#onChange = onChange;
    this.#cannotWatch = cannotWatch;
  }

  /** Watches exactly `dirs` (absolute paths): new ones are added, ones no longer wanted are closed. */
  sync(dirs: Iterable<string>): void {
    const wanted = new Set(dirs);
    for (const [dir, w] of this.#watchers) {
      if (wanted.has(dir)) continue;
      w.close();
      this.#watchers.delete(dir);
    }
    for (const dir of wanted) {
      if (this.#watchers.has(dir)) continue;
      try {
        const w = watch(dir, (_event, name) => this.#onChange(dir, name === null ? null : name.toString()));
        w.on('error', () => this.#onChange(dir, null));
        this.#watchers.set(dir, w);
      } catch (err) {
        this.#cannotWatch(dir, err);
      }
    }
  }

  close(): void {
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }
}
