// Which Portico this is: the version of package.json and the commit it was built from. A release artifact
// (scripts/dist.sh) records both in build-info.json beside package.json at build time, since it has no
// checkout; a checkout asks git for its HEAD. Node's version is the one running now (the artifact bundles
// its own, but PORTICO_NODE can still choose another).
import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface BuildInfo {
  version: string;
  /** The commit's hash (12 digits; `-dirty` when built from uncommitted changes), or `unknown`. */
  commit: string;
  node: string;
}

/** The folder holding package.json (the checkout, or the unpacked artifact). */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let cached: BuildInfo | undefined;

/** This process's build info, read once. */
export function buildInfo(): BuildInfo {
  cached ??= readBuildInfo(ROOT);
  return cached;
}

/** What `portico version` prints: `portico 0.1.0 (commit 8a00ddc1d2e3, node v24.21.0)`. */
export function versionLine(info: BuildInfo = buildInfo()): string {
  return `portico ${info.version} (commit ${info.commit}, node ${info.node})`;
}

/** The build info of the Portico in `root`: its build-info.json when it is an artifact, else package.json and git. */
export function readBuildInfo(root: string): BuildInfo {
  const recorded = readJson(`${root}/build-info.json`);
  if (recorded) return { version: stringField(recorded, 'version'), commit: stringField(recorded, 'commit'), node: process.version };
  const pkg = readJson(`${root}/package.json`);
  return { version: pkg ? stringField(pkg, 'version') : 'unknown', commit: gitHead(root), node: process.version };
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function stringField(obj: Record<string, unknown>, key: string): string {
  const v = obj[key];
  return typeof v === 'string' && v !== '' ? v : 'unknown';
}

/**
 * HEAD of the checkout at `root`; `unknown` without git or outside a checkout of its own (a container image, or
 * sources unpacked inside some other repository, whose HEAD says nothing about them).
 */
function gitHead(root: string): string {
  try {
    const out = execFileSync('git', ['-C', root, 'rev-parse', '--show-toplevel', '--short=12', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 });
    const [top, head] = out.trim().split('\n');
    return top && head && realpathSync(top) === realpathSync(root) ? head : 'unknown';
  } catch {
    return 'unknown';
  }
}
