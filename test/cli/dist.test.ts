// The release artifact as a user gets it: scripts/dist.sh (what `make dist` runs) builds it into one temp dir,
// it is unpacked into another and run from there with no node on PATH, an empty Portico cache and no PORTICO_*
// settings: its own Node, its own RE2 addon, its own dependencies. Built once for the whole file (~20 s).
import assert from 'node:assert/strict';
import { execFile, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readBuildInfo } from '../../src/lib/version.ts';
import { freePorts, startProcess, tempDir } from '../support/components.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NODE_VERSION = /^NODE_VERSION=(\S+)$/m.exec(readFileSync(join(ROOT, 'scripts', 'versions.env'), 'utf8'))?.[1];
const NAME = `portico-${VERSION}-linux-x64`;
const RE2_MISSING = /RE2 addon is not installed/;

/** This environment without PORTICO_* settings (the cache stays: dist.sh takes Node and the addon from it). */
function buildEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PORTICO_') || k === 'PORTICO_CACHE'));
}

/**
 * A PATH holding only what the launcher needs (bash for its shebang, dirname, readlink): no node at all, where
 * PATH=/usr/bin:/bin may still have an old system one.
 */
async function pathWithoutNode(dir: string): Promise<string> {
  await mkdir(dir);
  for (const tool of ['bash', 'dirname', 'readlink']) {
    const found = ['/usr/bin', '/bin'].map((d) => join(d, tool)).find((p) => spawnSync(p, ['--version']).status === 0);
    assert.ok(found, `${tool} is in neither /usr/bin nor /bin`);
    await symlink(found, join(dir, tool));
  }
  return dir;
}

describe('release artifact (make dist)', () => {
  // Removed once the whole suite is done (an `after` inside `before` would run as soon as `before` ends).
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  const temp = async (prefix: string) => {
    const dir = await tempDir(prefix);
    dirs.push(dir);
    return dir;
  };
  let out: string;
  let home: string;
  let artifact: string;
  let env: Record<string, string | undefined>;
  let buildSeconds: number;

  before(async () => {
    out = await temp('dist-out');
    const started = Date.now();
    await promisify(execFile)(join(ROOT, 'scripts', 'dist.sh'), [out], { cwd: ROOT, env: buildEnv(), maxBuffer: 16 << 20, timeout: 240_000 });
    buildSeconds = (Date.now() - started) / 1000;
    const unpacked = await temp('dist-unpacked');
    await promisify(execFile)('tar', ['-xzf', join(out, `${NAME}.tar.gz`), '-C', unpacked]);
    artifact = join(unpacked, NAME);
    home = await temp('dist-home');
    // Every variable of this process unset, then only these: no node, no cache, no checkout to fall back on.
    env = {
      ...Object.fromEntries(Object.keys(process.env).map((k) => [k, undefined])),
      PATH: await pathWithoutNode(join(home, 'bin')),
      HOME: home,
      PORTICO_CACHE: join(home, 'empty-cache'),
    };
  });

  const portico = (args: string[]): SpawnSyncReturns<string> => {
    const res = spawnSync(join(artifact, 'bin', 'portico'), args, { cwd: home, env: env as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 60_000 });
    if (res.error) throw res.error;
    return res;
  };
  const show = (res: SpawnSyncReturns<string>) => `exit ${res.status}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`;

  it('is one versioned tarball with its checksum beside it', async () => {
    assert.deepEqual((await readdir(out)).sort(), [`${NAME}.tar.gz`, `${NAME}.tar.gz.sha256`]);
    const digest = createHash('sha256').update(await readFile(join(out, `${NAME}.tar.gz`))).digest('hex');
    assert.equal(await readFile(join(out, `${NAME}.tar.gz.sha256`), 'utf8'), `${digest}  ${NAME}.tar.gz\n`);
    assert.ok(buildSeconds < 120, `make dist took ${buildSeconds} s`);
  });

  it('says its version, the commit it was built from and its bundled Node', () => {
    const { commit } = readBuildInfo(artifact);
    const head = readBuildInfo(ROOT).commit;
    assert.match(commit, new RegExp(`^${head}(-dirty)?$`), 'the commit of the checkout it was built from');
    const line = `portico ${VERSION} (commit ${commit}, node v${NODE_VERSION})\n`;
    for (const args of [['version'], ['--version']]) {
      const res = portico(args);
      assert.equal(res.status, 0, show(res));
      assert.equal(res.stdout, line);
    }
  });

  it('validates the quickstart with its own RE2 addon', () => {
    const res = portico(['validate', '-f', join(artifact, 'examples', 'quickstart')]);
    assert.equal(res.status, 0, show(res));
    assert.match(res.stdout + res.stderr, /0 problem\(s\)/, show(res));
    assert.doesNotMatch(res.stderr, RE2_MISSING, show(res));
  });

  it('runs the controller, which logs its version and serves portico_build_info', async (t) => {
    const [xdsPort, adminPort] = await freePorts(2);
    const controller = await startProcess(
      join(artifact, 'bin', 'portico'),
      ['controller', '--config-dir', join(artifact, 'examples', 'quickstart'), '--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', `127.0.0.1:${adminPort}`, '--log-format', 'json'],
      { name: 'artifact controller', cwd: home, env, timeoutMs: 60_000, readyWhen: async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok },
    );
    t.after(() => controller.stop());
    const { commit } = readBuildInfo(artifact);
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    assert.ok(metrics.split('\n').includes(`portico_build_info{version="${VERSION}",commit="${commit}",node="v${NODE_VERSION}"} 1`), metrics);
    assert.match(controller.output(), new RegExp(`"version":"${VERSION}","commit":"${commit}".*"msg":"portico ${VERSION} starting"`));
    assert.doesNotMatch(controller.output(), RE2_MISSING);
  });
});
