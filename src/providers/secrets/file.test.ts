import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCertificate, makeCa } from '../../../test/support/tls.ts';
import { silentLogger } from '../../lib/logger.ts';
import type { SourceSnapshot } from '../../api/source.ts';
import { FileSecretProvider, readSecrets, type SecretResource } from './file.ts';

async function until(get: () => SourceSnapshot | undefined, check: (s: SecretResource[]) => boolean, what: string): Promise<SecretResource[]> {
  for (let i = 0; i < 300; i++) {
    const s = get()?.resources as SecretResource[] | undefined;
    if (s && check(s)) return s;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const crtOf = (s: SecretResource[], name: string) => s.find((x) => x.metadata.name === name)?.spec.stringData['tls.crt'];

test('reads <namespace>/<name>/tls.crt + tls.key as TLS Secrets; a missing folder is empty', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-secrets-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.deepEqual(await readSecrets(join(dir, 'nope')), []);
  await mkdir(join(dir, 'default', 'web'), { recursive: true });
  await mkdir(join(dir, '.tmp', 'x'), { recursive: true });
  await writeFile(join(dir, 'default', 'web', 'tls.crt'), 'CERT');
  const [only, ...rest] = await readSecrets(dir);
  assert.deepEqual(rest, []);
  assert.deepEqual(only, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { namespace: 'default', name: 'web' },
    spec: { type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'CERT' } },
    source: { file: join(dir, 'default', 'web') },
  });
});

test('watches the folders (even one created later): a new Secret appears, a rotation is published, a half-written pair keeps the old one', async (t) => {
  const ca = makeCa();
  const [v1, v2, v3] = ['one', 'two', 'three'].map((n) => issueCertificate(ca, `${n}.example.com`, `subjectAltName=DNS:${n}.example.com`)) as [
    ReturnType<typeof issueCertificate>,
    ReturnType<typeof issueCertificate>,
    ReturnType<typeof issueCertificate>,
  ];
  const parent = await mkdtemp(join(tmpdir(), 'portico-secrets-'));
  t.after(() => rm(parent, { recursive: true, force: true }));
  const dir = join(parent, '.secrets'); // created after the provider starts
  const folder = join(dir, 'default', 'web');
  const put = async (pair: { cert?: string; key?: string }) => {
    if (pair.cert) await writeFile(join(folder, 'tls.crt'), pair.cert);
    if (pair.key) await writeFile(join(folder, 'tls.key'), pair.key);
  };
  let last: SourceSnapshot | undefined;
  const provider = new FileSecretProvider({ dir, logger: silentLogger, settleMs: 20, rescanIntervalMs: 60_000 });
  await provider.start((s) => (last = s));
  t.after(() => provider.stop());
  await until(() => last, (s) => s.length === 0, 'the initial (empty) read');
  await mkdir(folder, { recursive: true });
  await put(v1);
  await until(() => last, (s) => crtOf(s, 'web') === v1.cert, 'the folder created after start');

  await put(v2);
  await until(() => last, (s) => crtOf(s, 'web') === v2.cert, 'the rotation to v2');

  // Only the certificate is rewritten: it does not match the key, so v2 keeps serving and the pair is reported…
  await put({ cert: v3.cert });
  for (let i = 0; i < 300 && !last?.rejected.length; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(crtOf(last?.resources as SecretResource[], 'web'), v2.cert);
  const [rejected] = last?.rejected ?? [];
  assert.equal(rejected?.problems[0]?.message, 'tls.key does not match the certificate in tls.crt; the previous certificate keeps serving');
  assert.equal(rejected?.source.file, join(folder, 'tls.key'));
  assert.doesNotMatch(JSON.stringify(last?.rejected), /BEGIN/, 'no PEM in what is reported');
  // …until the key follows.
  await put({ key: v3.key });
  const rotated = await until(() => last, (s) => crtOf(s, 'web') === v3.cert, 'the rotation to v3');
  assert.equal(rotated.length, 1);
  assert.deepEqual(last?.rejected, []);

  await mkdir(join(dir, 'other', 'api'), { recursive: true });
  await writeFile(join(dir, 'other', 'api', 'tls.crt'), v1.cert);
  await until(() => last, (s) => crtOf(s, 'api') === v1.cert, 'a Secret in a new namespace folder');
});

test('every file of a secret folder is a key; without tls.crt/tls.key the Secret is Opaque', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-secrets-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'default', 'keys'), { recursive: true });
  await writeFile(join(dir, 'default', 'keys', 'api-key'), 'k-123');
  await writeFile(join(dir, 'default', 'keys', 'htpasswd'), 'user:{SHA}x');
  await writeFile(join(dir, 'default', 'keys', '.editor-swap'), 'ignored');
  const [secret] = await readSecrets(dir);
  assert.deepEqual(secret?.spec, { type: 'Opaque', stringData: { 'api-key': 'k-123', htpasswd: 'user:{SHA}x' } });
});

test('labels come from .labels (a YAML mapping); anything else there is rejected, and the Secret has none', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-secrets-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, labels] of [['good', 'team: infra\ntier: 1\n'], ['bad', '- not a mapping\n']]) {
    await mkdir(join(dir, 'default', name as string), { recursive: true });
    await writeFile(join(dir, 'default', name as string, 'api-key'), `key-${name}`);
    await writeFile(join(dir, 'default', name as string, '.labels'), labels as string);
  }
  const rejected: Parameters<typeof readSecrets>[1] = [];
  const secrets = await readSecrets(dir, rejected);
  assert.deepEqual(secrets.map((s) => [s.metadata.name, s.metadata.labels, Object.keys(s.spec.stringData)]), [
    ['bad', undefined, ['api-key']],
    ['good', { team: 'infra', tier: '1' }, ['api-key']],
  ]);
  assert.deepEqual(rejected.map((r) => [r.id?.name, r.problems[0]?.field]), [['bad', 'metadata.labels']]);
});
