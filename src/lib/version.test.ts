import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { controllerMetrics } from '../app/metrics.ts';
import { rateLimitMetrics } from '../ratelimit/metrics.ts';
import { buildInfo, readBuildInfo, versionLine } from './version.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function temp(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-version-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { encoding: 'utf8' }).trim();

describe('build info', () => {
  it('is what a release artifact recorded at build time, with the Node running now', async (t) => {
    const dir = await temp(t);
    await writeFile(join(dir, 'package.json'), '{"version": "9.9.9"}');
    await writeFile(join(dir, 'build-info.json'), '{"version": "1.2.3", "commit": "0123456789ab-dirty"}');
    assert.deepEqual(readBuildInfo(dir), { version: '1.2.3', commit: '0123456789ab-dirty', node: process.version });
  });

  it("is package.json's version and the checkout's HEAD in a checkout", async (t) => {
    const dir = await temp(t);
    await writeFile(join(dir, 'package.json'), '{"version": "0.4.0"}');
    git(dir, 'init', '-q');
    git(dir, 'add', 'package.json');
    git(dir, 'commit', '-q', '-m', 'first');
    const head = git(dir, 'rev-parse', 'HEAD');
    const info = readBuildInfo(dir);
    assert.equal(info.version, '0.4.0');
    assert.equal(info.commit.length, 12);
    assert.ok(head.startsWith(info.commit), `${info.commit} is not a prefix of HEAD ${head}`);
  });

  it('has no commit for sources unpacked inside another repository, nor outside any', async (t) => {
    const dir = await temp(t);
    git(dir, 'init', '-q');
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'first');
    const inner = join(dir, 'vendor', 'portico');
    await mkdir(inner, { recursive: true });
    await writeFile(join(inner, 'package.json'), '{"version": "0.4.0"}');
    assert.deepEqual(readBuildInfo(inner), { version: '0.4.0', commit: 'unknown', node: process.version });
    const bare = await temp(t);
    assert.deepEqual(readBuildInfo(bare), { version: 'unknown', commit: 'unknown', node: process.version });
  });

  it("is this checkout's for this process, and `portico version` says it on one line", async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(buildInfo().version, pkg.version);
    assert.equal(versionLine({ version: '1.2.3', commit: '0123456789ab', node: 'v24.21.0' }), 'portico 1.2.3 (commit 0123456789ab, node v24.21.0)');
  });
});

describe('portico_build_info', () => {
  const expected = () => {
    const { version, commit, node } = buildInfo();
    return `portico_build_info{version="${version}",commit="${commit}",node="${node}"} 1`;
  };

  it("is in the controller's metrics", async () => {
    const metrics = controllerMetrics({ degraded: () => [], ready: () => true, proxies: () => 0, configVersion: () => 1, problems: () => 0, certificates: () => [] });
    assert.ok((await metrics()).body.split('\n').includes(expected()));
  });

  it("is in the rate-limit service's metrics", async () => {
    const metrics = rateLimitMetrics({
      stats: { decisions: 0, overLimit: 0, shadowOverLimit: 0, cacheHits: 0 },
      failedOpen: () => 0,
      failedClosed: () => 0,
      redisErrors: () => 0,
      redisUp: () => true,
    });
    assert.ok((await metrics()).body.split('\n').includes(expected()));
  });
});
