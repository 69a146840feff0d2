// Statuses as files under the status folder (never in the user's files):
//   <statusDir>/<group|core>/<Kind>/<namespace>/<name>.yaml   (cluster-scoped kinds: no namespace folder)
// Each file is replaced atomically (temp file + rename), each on its own: one that cannot be written (a name
// too long for the file system) is reported and the others are written.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { StatusTarget } from './writer.ts';

export function fileStatusTarget(dir: string): StatusTarget {
  return {
    describe: () => dir,
    locate: (key) => statusPath(dir, key),
    apply: async ({ put, remove }) => {
      const failed = new Map<string, Error>();
      const attempt = async (path: string, io: () => Promise<unknown>) => {
        try {
          await io();
        } catch (err) {
          // Node's message names the call and the path (never the content).
          failed.set(path, err as Error);
        }
      };
      for (const [path, text] of put) {
        await attempt(path, async () => {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(`${path}.tmp`, text);
          await rename(`${path}.tmp`, path);
        });
      }
      for (const path of remove) await attempt(path, () => rm(path, { force: true }));
      return failed;
    },
  };
}

export function statusPath(dir: string, key: string): string {
  const [group, kind, namespace, name] = key.split('/');
  return join(dir, group || 'core', kind ?? '', ...(namespace ? [namespace] : []), `${name}.yaml`);
}
