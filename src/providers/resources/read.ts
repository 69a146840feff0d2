// Reading resource files: which files count, and parsing a file or a whole folder once.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parseDocuments, sourceTooLarge, type ParseResult } from '../../api/parse.ts';
import type { SourceSnapshot } from '../../api/source.ts';

/** Resource files and the folders below `dir` (relative to it, sorted; `''` is `dir` itself); dot-names are skipped. */
export async function scanTree(dir: string): Promise<{ files: string[]; dirs: string[] }> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const rel = (e: { parentPath: string; name: string }) => relative(dir, join(e.parentPath, e.name));
  return {
    files: entries.filter((e) => e.isFile()).map(rel).filter((n) => isResourceFile(n) && !isIgnored(n)).sort(),
    dirs: ['', ...entries.filter((e) => e.isDirectory()).map(rel).filter((n) => !isIgnored(n)).sort()],
  };
}

export async function listResourceFiles(dir: string): Promise<string[]> {
  return (await scanTree(dir)).files;
}

export function isResourceFile(name: string): boolean {
  return /\.(ya?ml|json)$/i.test(name);
}

export function isIgnored(name: string): boolean {
  return name.split(sep).some((part) => part.startsWith('.'));
}

/** Parses one file, or every resource file below a folder. */
export async function readResources(path: string): Promise<SourceSnapshot & { files: number }> {
  const files = (await stat(path)).isDirectory() ? (await listResourceFiles(path)).map((f) => join(path, f)) : [path];
  const out: SourceSnapshot & { files: number } = { resources: [], rejected: [], files: files.length };
  for (const file of files) {
    const result = await parseFile(file, (await stat(file)).size);
    out.resources.push(...result.resources);
    out.rejected.push(...result.rejected);
  }
  return out;
}

/** Parses one file of `size` bytes (from its stat); a file over the cap is reported without being read. */
export async function parseFile(file: string, size: number): Promise<ParseResult> {
  const tooLarge = sourceTooLarge(size, { file });
  if (tooLarge) return { resources: [], rejected: [{ source: { file }, problems: [{ source: { file }, message: tooLarge }] }] };
  return parseDocuments(await readFile(file, 'utf8'), { file });
}
