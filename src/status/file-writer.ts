// Statuses as files under the status folder (never in the user's files):
//   <statusDir>/<group|core>/<Kind>/<namespace>/<name>.yaml   (cluster-scoped kinds: no namespace folder)
// Each file is replaced atomically (temp file + rename).
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { StatusTarget } from './writer.ts';

export function fileStatusTarget(dir: string): StatusTarget {
  return {
    describe: () => dir,
    locate: (key) => statusPath(dir, key),
    apply: async ({ put, remove }) => {
      for (const [path, text] of put) {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(`${path}.tmp`, text);
        await rename(`${path}.tmp`, path);
      }
      for (const path of remove) await rm(path, { force: true });
    },
  };
}

export function statusPath(dir: string, key: string): string {
  const [group, kind, namespace, name] = key.split('/');
  return join(dir, group || 'core', kind ?? '', ...(namespace ? [namespace] : []), `${name}.yaml`);
}
