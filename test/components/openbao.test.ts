// Smoke test: the OpenBao (`bao`) scripts/setup.sh built runs as a dev server (in-memory, unsealed,
// KV v2 mounted at secret/) on a random loopback port, and writes and reads a secret over the Vault
// HTTP API that Portico uses (the same API as HashiCorp Vault's).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireBinary, startProcess, tempDir } from '../support/components.ts';
import { freePortWithNext } from '../support/vault.ts';

test('openbao: dev server on a random port, KV v2 write/read at secret/', { timeout: 60_000 }, async (t) => {
  const bao = requireBinary('bao');
  const dir = await tempDir('openbao-smoke', t);
  const port = await freePortWithNext();
  const token = `portico-smoke-${process.pid}`;
  const api = `http://127.0.0.1:${port}`;
  const proc = await startProcess(
    bao,
    // -dev-no-store-token: leave the user's ~/.vault-token alone.
    ['server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${token}`, '-dev-no-store-token', '-log-level=warn'],
    {
      cwd: dir,
      // HOME in the temp dir: nothing of the dev server lands in the real home.
      env: { HOME: dir, BAO_ADDR: api, VAULT_ADDR: api },
      timeoutMs: 45_000,
      // 200 = initialized, unsealed and active.
      readyWhen: async () => (await fetch(`${api}/v1/sys/health`)).status === 200,
    },
  );
  t.after(() => proc.stop());

  const health = (await (await fetch(`${api}/v1/sys/health`)).json()) as { initialized: boolean; sealed: boolean; version: string };
  assert.equal(health.initialized, true);
  assert.equal(health.sealed, false);
  assert.match(health.version, /^2\.\d+\.\d+/);

  const headers = { 'X-Vault-Token': token, 'Content-Type': 'application/json' };
  const write = await fetch(`${api}/v1/secret/data/portico/smoke`, { method: 'POST', headers, body: JSON.stringify({ data: { user: 'portico', password: 's3cret' } }) });
  assert.equal(write.status, 200, await write.clone().text());
  const written = (await write.json()) as { data: { version: number } };
  assert.equal(written.data.version, 1);

  const read = await fetch(`${api}/v1/secret/data/portico/smoke`, { headers });
  assert.equal(read.status, 200);
  const secret = (await read.json()) as { data: { data: Record<string, string>; metadata: { version: number } } };
  assert.deepEqual(secret.data.data, { user: 'portico', password: 's3cret' });
  assert.equal(secret.data.metadata.version, 1);

  const denied = await fetch(`${api}/v1/secret/data/portico/smoke`, { headers: { 'X-Vault-Token': 'wrong' } });
  assert.equal(denied.status, 403, 'a wrong token is refused');
  proc.assertRunning();
});
