// The Vault client (src/vault) against a real OpenBao dev server set up by vault/setup.sh: each auth method,
// token renewal and replacement, the namespace header, HTTPS with a client certificate, and errors that name
// Vault, the path and the capability.
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { silentLogger } from '../../src/lib/logger.ts';
import { VaultError } from '../../src/lib/errors.ts';
import { VaultClient } from '../../src/vault/client.ts';
import { tempDir, waitFor } from '../support/components.ts';
import { captureLogs } from '../support/logs.ts';
import { makeCertificates, writeCertificates } from '../support/tls.ts';
import { startVault, type VaultServer } from '../support/vault.ts';

/** A raw Vault API call as root (the test's own set-up, not the client under test). */
async function root(vault: VaultServer, method: string, path: string, body?: unknown, token = vault.rootToken): Promise<Record<string, any>> {
  const res = await fetch(`${vault.address}/v1/${path}`, { method, headers: { 'X-Vault-Token': token }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

async function childToken(vault: VaultServer, opts: Record<string, unknown> = {}): Promise<string> {
  return (await root(vault, 'POST', 'auth/token/create', { policies: ['portico-controller'], ...opts })).auth.client_token as string;
}

test('vault client', { timeout: 90_000 }, async (t) => {
  const vault = await startVault(t);
  const dir = await tempDir('vault-client', t);
  await vault.kvPut('portico/default/api', { key: 'v1' });
  const clients: VaultClient[] = [];
  const client = (opts: ConstructorParameters<typeof VaultClient>[0], logger = silentLogger) => {
    const c = new VaultClient({ address: vault.address, ...opts }, logger);
    clients.push(c);
    return c;
  };
  t.after(() => clients.forEach((c) => c.stop()));

  await t.test('AppRole login from the files setup.sh wrote; read, list, 404 is empty', async () => {
    const c = client({ auth: { method: 'appRole', roleIdFile: vault.files.roleId, secretIdFile: vault.files.secretId } });
    assert.deepEqual((await c.read<{ data: Record<string, string> }>('secret/data/portico/default/api'))?.data, { key: 'v1' });
    assert.deepEqual(await c.list('secret/metadata/portico/'), ['default/']);
    assert.equal(await c.read('secret/data/portico/default/nothing'), undefined);
    assert.deepEqual(await c.list('secret/metadata/portico/nowhere/'), []);
  });

  await t.test('the policy is least privilege: a refusal names Vault, the path and the capability', async () => {
    const c = client({ auth: { method: 'token', token: await childToken(vault) } });
    const err = await c.read('secret/data/elsewhere/x').catch((e: unknown) => e);
    assert.ok(err instanceof VaultError);
    assert.equal(err.code, 'PORTICO_VAULT');
    assert.equal(err.message, `permission denied reading secret/data/elsewhere/x at Vault ${vault.address}; the token needs "read" on path "secret/data/elsewhere/x" (see vault/portico-controller.hcl), or it expired`);
    await assert.rejects(c.write('pki/root/generate/internal', { common_name: 'evil' }), /permission denied writing pki\/root\/generate\/internal/);
  });

  await t.test('VAULT_TOKEN is the default; a token file is read again when its token is revoked', async () => {
    const before = process.env.VAULT_TOKEN;
    process.env.VAULT_TOKEN = await childToken(vault);
    t.after(() => (before === undefined ? delete process.env.VAULT_TOKEN : (process.env.VAULT_TOKEN = before)));
    assert.ok(await client({}).read('secret/data/portico/default/api'));

    const file = join(dir, 'token');
    const first = await childToken(vault);
    await writeFile(file, `${first}\n`);
    const c = client({ auth: { method: 'tokenFile', file } });
    assert.ok(await c.read('secret/data/portico/default/api'));
    await root(vault, 'POST', 'auth/token/revoke', { token: first });
    await writeFile(file, await childToken(vault));
    assert.ok(await c.read('secret/data/portico/default/api'), 'the 403 made it read the file again');
  });

  await t.test("Vault Agent's sink file: a rewritten token is picked up without a refusal", async () => {
    const file = join(dir, 'sink');
    const first = await childToken(vault);
    await writeFile(file, first);
    const logs = captureLogs('info');
    const c = client({ auth: { method: 'agentSink', file } }, logs.logger);
    assert.ok(await c.read('secret/data/portico/default/api'));
    await writeFile(file, await childToken(vault));
    // The sink is checked every second: wait for the client to say it took the new token, however long that takes.
    await waitFor(() => logs.entries.some((e) => e.msg === 'Vault: new token from the Agent sink file'), { timeoutMs: 15_000, what: 'the new token taken from the sink' });
    // The old token gone and the file too: only a token taken from the file when it changed can still work.
    await root(vault, 'POST', 'auth/token/revoke', { token: first });
    await rm(file);
    assert.ok(await c.read('secret/data/portico/default/api'));
  });

  await t.test('a short-lived AppRole token is renewed, and replaced by a new login at its max TTL', async () => {
    await root(vault, 'POST', 'auth/approle/role/short', { token_policies: ['portico-controller'], token_ttl: '3s', token_max_ttl: '6s' });
    const roleId = (await root(vault, 'GET', 'auth/approle/role/short/role-id')).data.role_id as string;
    const secretId = (await root(vault, 'POST', 'auth/approle/role/short/secret-id')).data.secret_id as string;
    await writeFile(join(dir, 'short-role'), roleId);
    await writeFile(join(dir, 'short-secret'), secretId);
    const logs = captureLogs();
    const c = new VaultClient({ address: vault.address, auth: { method: 'appRole', roleIdFile: join(dir, 'short-role'), secretIdFile: join(dir, 'short-secret') } }, logs.logger);
    clients.push(c);
    const failures: string[] = [];
    for (const end = Date.now() + 9000; Date.now() < end; await sleep(250)) {
      await c.read('secret/data/portico/default/api').catch((e: Error) => failures.push(e.message));
    }
    assert.deepEqual(failures, [], 'every read during 1.5 max TTLs succeeded');
    const said = (re: RegExp) => logs.entries.filter((e) => re.test(String(e.msg))).length;
    assert.ok(said(/Vault: token renewed/) >= 1, 'renewed before its TTL ran out');
    assert.ok(said(/Vault: the token reached its max TTL; getting a fresh token/) >= 1, 'a fresh login at the max TTL');
    assert.ok(said(/logged in with AppRole/) >= 2);
  });

  await t.test('X-Vault-Namespace: secrets of an OpenBao namespace', async () => {
    await root(vault, 'POST', 'sys/namespaces/team-a', {});
    const ns = await fetch(`${vault.address}/v1/sys/mounts/secret`, { method: 'POST', headers: { 'X-Vault-Token': vault.rootToken, 'X-Vault-Namespace': 'team-a' }, body: JSON.stringify({ type: 'kv', options: { version: '2' } }) });
    assert.ok(ns.ok, await ns.text());
    const put = await fetch(`${vault.address}/v1/secret/data/portico/default/api`, { method: 'POST', headers: { 'X-Vault-Token': vault.rootToken, 'X-Vault-Namespace': 'team-a' }, body: JSON.stringify({ data: { key: 'team-a' } }) });
    assert.ok(put.ok, await put.text());
    const c = client({ namespace: 'team-a', auth: { method: 'token', token: vault.rootToken } });
    assert.deepEqual((await c.read<{ data: Record<string, string> }>('secret/data/portico/default/api'))?.data, { key: 'team-a' });
    assert.match(c.describe(), /namespace team-a/);
  });

  await t.test('Vault down: the error names the address; nothing secret in it', async () => {
    const c = client({ address: 'http://127.0.0.1:1', auth: { method: 'token', token: 'hvs.not-shown' } });
    const err = (await c.read('secret/data/portico/x').catch((e: unknown) => e)) as VaultError;
    // The first request looks the token up (its TTL): that is what fails.
    assert.equal(err.message, 'looking up the token via auth/token/lookup-self at Vault http://127.0.0.1:1 failed: ECONNREFUSED');
    assert.equal(err.cause, undefined, 'the axios error (with the token header) is not kept');
    assert.doesNotMatch(JSON.stringify(err), /not-shown/);
  });
});

test('vault client over HTTPS: the CA and a client certificate from files', { timeout: 60_000 }, async (t) => {
  const certs = makeCertificates();
  const vault = await startVault(t, { tls: certs, setup: false });
  const dir = await tempDir('vault-tls', t);
  const files = writeCertificates(certs, dir);
  const auth = { method: 'token', token: vault.rootToken } as const;
  const mutual = new VaultClient({ address: vault.address, auth, tls: { caFile: files.ca, certFile: files.clientCert, keyFile: files.clientKey } }, silentLogger);
  t.after(() => mutual.stop());
  assert.equal((await mutual.read<{ id: string }>('auth/token/lookup-self'))?.id, vault.rootToken);

  const noClientCert = new VaultClient({ address: vault.address, auth, tls: { caFile: files.ca } }, silentLogger);
  t.after(() => noClientCert.stop());
  await assert.rejects(noClientCert.read('auth/token/lookup-self'), (e: Error) => e instanceof VaultError && e.message.startsWith(`looking up the token via auth/token/lookup-self at Vault ${vault.address} failed: `));
  // VAULT_SKIP_VERIFY does not turn the check of Vault's certificate off behind the configuration's back.
  process.env.VAULT_SKIP_VERIFY = '1';
  t.after(() => delete process.env.VAULT_SKIP_VERIFY);
  const unknownCa = new VaultClient({ address: vault.address, auth, tls: { certFile: files.clientCert, keyFile: files.clientKey } }, silentLogger);
  t.after(() => unknownCa.stop());
  await assert.rejects(unknownCa.read('auth/token/lookup-self'), /failed: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
  assert.throws(() => new VaultClient({ address: vault.address, tls: { certFile: files.clientCert } }, silentLogger), /Vault TLS: certFile and keyFile go together/);
  assert.throws(() => new VaultClient({ address: vault.address, tls: { caFile: join(dir, 'nope.pem') } }, silentLogger), /Vault TLS CA file '.*nope\.pem' cannot be read: ENOENT/);
});
