import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Resource } from '../api/resource.ts';
import { silentLogger } from '../lib/logger.ts';
import type { SourceSnapshot } from '../api/source.ts';
import { ResourceStore, type StoreSnapshot } from '../store/store.ts';
import type { ConsulKvParts } from './consul-kv.ts';
import { resourceSources } from './sources.ts';
import type { VaultParts } from './vault.ts';

/** A source that publishes `resources` as soon as it starts. */
function fakeSource(resources: Resource[]) {
  return { start: (publish: (s: SourceSnapshot) => void) => publish({ resources, rejected: [] }), stop: () => {}, problem: () => undefined };
}

const route = (from: string): Resource => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'clash', namespace: 'default' },
  spec: { parentRefs: [{ name: 'gw' }], hostnames: [`${from}.example.com`], rules: [{ backendRefs: [{ name: 'svc', port: 80 }] }] },
});

test('the sources are listed in their documented precedence: secrets folder, Vault KV, directory, Consul KV, Vault PKI', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-sources-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const vault = { kv: fakeSource([]), pki: fakeSource([]) } as unknown as VaultParts;
  const consulKv = { provider: fakeSource([]) } as unknown as ConsulKvParts;
  assert.deepEqual(resourceSources({ configDir: dir, vault, consulKv, logger: silentLogger }).map((s) => s.name), ['secrets', 'vault', 'directory', 'consulKv', 'vaultPki']);
  assert.deepEqual(resourceSources({ consulKv, logger: silentLogger }).map((s) => s.name), ['consulKv']);
});

test('on a name clash the directory wins over Consul KV even when Consul KV publishes first', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portico-sources-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'route.yaml'), JSON.stringify(route('directory')));
  const consulKv = { provider: fakeSource([route('consulKv')]) } as unknown as ConsulKvParts;
  const sources = resourceSources({ configDir: dir, consulKv, logger: silentLogger });
  const store = new ResourceStore({ precedence: sources.map((s) => s.name) });
  const seen: StoreSnapshot[] = [];
  store.subscribe((s) => seen.push(s));
  for (const source of [...sources].reverse()) await source.start((snap) => store.update(source.name, snap));
  store.flush();
  t.after(async () => {
    await Promise.all(sources.map((s) => s.stop()));
    store.close();
  });
  assert.deepEqual(seen.at(-1)?.resources.map((r) => (r.spec as { hostnames: string[] }).hostnames), [['directory.example.com']]);
});
