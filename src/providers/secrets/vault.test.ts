// The Vault KV v2 source against a fake Vault: what a poll costs (data read only when current_version moves),
// what it publishes, custom_metadata as labels, a bad rotation keeping the good pair, and an outage keeping everything.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { waitFor } from '../../../test/support/components.ts';
import { captureLogs } from '../../../test/support/logs.ts';
import { VaultError } from '../../lib/errors.ts';
import type { SourceSnapshot } from '../../api/source.ts';
import { readSecrets } from './file.ts';
import { VaultSecretProvider, type VaultReader } from './vault.ts';

const testdata = await readSecrets(join(import.meta.dirname, '../../gatewayapi/testdata/secrets'));
const shop = testdata.find((s) => s.metadata.name === 'shop')?.spec.stringData ?? {};
const wildcard = testdata.find((s) => s.metadata.name === 'wildcard')?.spec.stringData ?? {};

/** KV v2 in memory: path below the root → versions; counts the data reads. */
class FakeKv implements VaultReader {
  secrets = new Map<string, Record<string, unknown>[]>();
  /** custom_metadata by path: changing it makes no new version, as in Vault. */
  custom = new Map<string, Record<string, string>>();
  /** Paths whose current version is (soft-)deleted. */
  deleted = new Set<string>();
  dataReads: string[] = [];
  /** Lists of the root, one per poll (a failed one included): what `polls` waits on instead of a sleep. */
  rootLists = 0;
  down = false;
  describe = () => 'http://vault.test:8200';
  put(path: string, data: Record<string, unknown>) {
    this.secrets.set(path, [...(this.secrets.get(path) ?? []), data]);
  }
  async list(path: string): Promise<string[]> {
    if (path === 'secret/metadata/portico/') this.rootLists++;
    this.check(path);
    const below = path.replace(/^secret\/metadata\/portico\//, '');
    const keys = [...this.secrets.keys()].filter((k) => k.startsWith(below)).map((k) => k.slice(below.length).replace(/\/.*$/, '/'));
    return [...new Set(keys)];
  }
  async read<T>(path: string): Promise<T | undefined> {
    this.check(path);
    const [, kind, key] = /^secret\/(metadata|data)\/portico\/(.*)$/.exec(path) ?? [];
    const versions = this.secrets.get(key ?? '');
    if (!versions) return undefined;
    const deleted = this.deleted.has(key ?? '');
    if (kind === 'metadata') {
      const current = { deletion_time: deleted ? '2026-01-01T00:00:00Z' : '', destroyed: false };
      return { current_version: versions.length, custom_metadata: this.custom.get(key ?? '') ?? null, versions: { [versions.length]: current } } as T;
    }
    if (deleted) return undefined;
    this.dataReads.push(key ?? '');
    return { data: versions.at(-1) } as T;
  }
  check(path: string) {
    if (this.down) throw new VaultError(`listing ${path} at Vault http://vault.test:8200 failed: ECONNREFUSED`);
  }
}

/** Resolves once `n` more polls have run to their end: the poll after them has started. */
async function polls(kv: FakeKv, n: number): Promise<void> {
  const target = kv.rootLists + n + 1;
  await waitFor(() => kv.rootLists >= target, { timeoutMs: 10_000, intervalMs: 5, what: `${n} more polls` });
}

function start(kv: FakeKv, logs = captureLogs('info')) {
  const snapshots: SourceSnapshot[] = [];
  const source = new VaultSecretProvider({ client: kv, logger: logs.logger, intervalMs: 20, expiryWarningMs: 365 * 24 * 3600_000 });
  return { source, snapshots, started: source.start((s) => snapshots.push(s)) };
}

test('a poll reads data only for secrets whose version moved, and publishes only on change', async (t) => {
  const kv = new FakeKv();
  kv.put('default/shop', shop);
  kv.put('team-a/api-keys', { 'api-key': 'k1', htpasswd: 'user:$apr1$x' });
  kv.put('Bad_NS/x', { a: 'b' });
  const { source, snapshots, started } = start(kv);
  t.after(() => source.stop());
  await started;
  assert.equal(snapshots.length, 1);
  const [first] = snapshots;
  assert.deepEqual(first?.resources.map((r) => [r.metadata.namespace, r.metadata.name, (r.spec as { type: string }).type, r.source?.key]), [
    ['default', 'shop', 'kubernetes.io/tls', 'secret/data/portico/default/shop'],
    ['team-a', 'api-keys', 'Opaque', 'secret/data/portico/team-a/api-keys'],
  ]);
  assert.deepEqual(kv.dataReads.sort(), ['default/shop', 'team-a/api-keys']);

  await polls(kv, 3); // nothing moved
  assert.equal(snapshots.length, 1, 'nothing published when nothing moved');
  assert.equal(kv.dataReads.length, 2, 'no data read when no version moved');

  kv.put('team-a/api-keys', { 'api-key': 'k2' });
  await polls(kv, 2);
  assert.equal(snapshots.length, 2);
  assert.deepEqual(kv.dataReads.slice(2), ['team-a/api-keys'], 'only the secret that moved is read');
  assert.deepEqual(snapshots[1]?.resources.find((r) => r.metadata.name === 'api-keys')?.spec, { type: 'Opaque', stringData: { 'api-key': 'k2' } });

  kv.deleted.add('team-a/api-keys'); // `kv delete`: the current version is deleted, the metadata stays
  await polls(kv, 2);
  assert.deepEqual(snapshots.at(-1)?.resources.map((r) => r.metadata.name), ['shop'], 'a deleted current version withdraws the Secret');
});

test("custom_metadata is the Secret's labels: a label change is published with no data read", async (t) => {
  const kv = new FakeKv();
  kv.put('team-a/key-a', { 'api-key': 'k1' });
  kv.custom.set('team-a/key-a', { tier: 'gold', team: 'infra' });
  kv.put('team-a/key-b', { 'api-key': 'k2' });
  const { source, snapshots, started } = start(kv);
  t.after(() => source.stop());
  await started;
  const labels = () => snapshots.at(-1)?.resources.map((r) => [r.metadata.name, r.metadata.labels]);
  assert.deepEqual(labels(), [['key-a', { team: 'infra', tier: 'gold' }], ['key-b', undefined]]);

  kv.custom.set('team-a/key-b', { team: 'infra' }); // `kv metadata put -custom-metadata team=infra`
  kv.custom.delete('team-a/key-a');
  await polls(kv, 2);
  assert.equal(snapshots.length, 2, 'a label change alone is published');
  assert.deepEqual(labels(), [['key-a', undefined], ['key-b', { team: 'infra' }]]);
  assert.ok(!('labels' in (snapshots[1]?.resources[0]?.metadata ?? {})), 'labels removed, not left empty');
  assert.equal(kv.dataReads.length, 2, 'labels come with the metadata: no data read');

  kv.put('team-a/key-b', { 'api-key': 'k3' });
  await polls(kv, 2);
  assert.deepEqual(labels(), [['key-a', undefined], ['key-b', { team: 'infra' }]], 'a new version keeps the labels');
});

test('a version whose pair does not match keeps the good pair serving, reported for as long as it stands', async (t) => {
  const kv = new FakeKv();
  kv.put('default/shop', shop);
  const { source, snapshots, started } = start(kv);
  t.after(() => source.stop());
  await started;
  kv.put('default/shop', { 'tls.crt': shop['tls.crt'], 'tls.key': wildcard['tls.key'] });
  kv.custom.set('default/shop', { tier: 'edge' });
  await polls(kv, 2);
  const last = snapshots.at(-1);
  assert.deepEqual(last?.resources[0]?.metadata.labels, { tier: 'edge' }, 'the good pair serves under the new labels');
  assert.equal(last?.resources[0]?.spec && (last.resources[0].spec as { stringData: Record<string, string> }).stringData['tls.key'], shop['tls.key']);
  assert.equal(last?.rejected[0]?.problems[0]?.message, 'tls.key does not match the certificate in tls.crt; the previous certificate keeps serving');
  assert.deepEqual(last?.rejected[0]?.source, { key: 'secret/data/portico/default/shop#tls.key' });
});

test('Vault down: nothing withdrawn, the problem reported, expiring certificates warned about, then recovery', async (t) => {
  const kv = new FakeKv();
  kv.put('default/shop', shop);
  const logs = captureLogs('info');
  const { source, snapshots, started } = start(kv, logs);
  t.after(() => source.stop());
  await started;
  kv.down = true;
  await polls(kv, 1); // the failed poll, then the first retry (after about a second) starts
  assert.equal(snapshots.length, 1, 'nothing published: the store keeps the Secrets');
  assert.match(source.problem() ?? '', /^Vault KV source: listing secret\/metadata\/portico\/ at Vault http:\/\/vault\.test:8200 failed: ECONNREFUSED; the last secrets keep serving, retrying$/);
  assert.equal(logs.entries.filter((e) => String(e.msg).includes('the certificate of Secret default/shop')).length, 1, 'expiry warned once per outage');
  assert.ok(!logs.text().includes('PRIVATE KEY'));
  kv.down = false;
  await waitFor(() => source.problem() === undefined, { timeoutMs: 10_000, what: 'the problem to clear once Vault answers' });
});
