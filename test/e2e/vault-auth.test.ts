// AuthConfig Secrets held in Vault, end to end: a real OpenBao (set up by vault/setup.sh, the controller logging
// in with its AppRole), the controller, a real Envoy and Portico's ext-auth service. Basic auth checks the
// htpasswd entries of a Vault KV secret; API keys come from Vault KV secrets named by the AuthConfig or selected
// by label (the secret's custom_metadata). Rotations in Vault (new entries, a new key, labels set and removed)
// apply live, while the credentials nobody touched keep working; statuses name the Vault-held Secret, and no
// key, hash or password reaches a log, a status or a /debug page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extAuthSocket, startExtAuth } from '../support/extauth.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';
import type { HttpOptions } from '../support/http.ts';
import { captureLogs } from '../support/logs.ts';
import { assertNotShown, shownByController, startVault } from '../support/vault.ts';
import { waitFor } from '../support/components.ts';

// The same entries as the ext-auth e2e test (apr1, bcrypt): each user's password is `<user>-pw`.
const ALICE = 'alice:$apr1$abcdefgh$Zo4a.zRe7RtZNr9rQ8xtC1';
const BOB = 'bob:$2y$04$dZjReJH7S66bVQJurxR9qeW7Vg2S1mrtiHawURRcHQy4xEZvOag3K';
const CAROL = 'carol:{SHA}hsAaMBat8aKiQgxhKhAqvbXOPbw=';
const KEY_A = 'vault-key-a-5f2c09';
const KEY_B = 'vault-key-b-81d0e4';
const KEY_B_ROTATED = 'vault-key-b-rotated-c44e17';
const ORGANIZATION = 'org-7f3a91';

const basic = (user: string, password = `${user}-pw`): HttpOptions => ({ headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
const apiKey = (key: string): HttpOptions => ({ headers: { 'x-api-key': key } });

/** Each AuthConfig guards the path of its name, through a RouteOption of that name (the walkthrough's ExtensionRef). */
const AUTH_CONFIGS: Record<string, string> = {
  htpasswd: '{ basicAuth: { realm: vault, htpasswd: { secretRef: { name: users } } } }',
  byname: '{ apiKeyAuth: { headerName: x-api-key, apiKeySecretRefs: [{ name: key-b }] } }',
  bylabel: '{ apiKeyAuth: { headerName: x-api-key, labelSelector: { team: infra }, headersFromMetadataEntry: { x-organization: { name: organization } } } }',
  // key-a holds an API key, not htpasswd entries: a reference the status names.
  broken: '{ basicAuth: { realm: vault, htpasswd: { secretRef: { name: key-a } } } }',
};

const resources = Object.entries(AUTH_CONFIGS).flatMap(([name, step]) => [
  `apiVersion: enterprise.gloo.solo.io/v1\nkind: AuthConfig\nmetadata: { name: ${name}, namespace: default }\nspec: { configs: [${step}] }\n`,
  `apiVersion: gateway.solo.io/v1\nkind: RouteOption\nmetadata: { name: ${name}, namespace: default }\nspec: { options: { extauth: { configRef: { name: ${name} } } } }\n`,
]);

const rules = Object.keys(AUTH_CONFIGS)
  .map((name) => `    - matches: [{ path: { type: PathPrefix, value: /${name} } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.solo.io, kind: RouteOption, name: ${name} } }]
      backendRefs:
${backend('echo')}`)
  .join('\n');

type Conditions = { type: string; status: string; message: string }[];

async function resolvedRefs(gw: GatewayEnv, name: string, status: 'True' | 'False'): Promise<string> {
  let last: Conditions[number] | undefined;
  await waitFor(async () => {
    const conditions = ((await gw.status(`enterprise.gloo.solo.io/AuthConfig/default/${name}`))?.status as { conditions?: Conditions } | undefined)?.conditions;
    last = conditions?.find((c) => c.type === 'ResolvedRefs');
    return last?.status === status;
  }, { what: () => `ResolvedRefs=${status} on AuthConfig default/${name} (last: ${JSON.stringify(last)})` });
  return last?.message ?? '';
}

test('AuthConfig Secrets from Vault KV: htpasswd, API keys by name and by label, rotated live, never shown', { timeout: 150_000 }, async (t) => {
  const vault = await startVault(t);
  await vault.kvPut('portico/default/users', { htpasswd: [ALICE, CAROL].join('\n') });
  await vault.kvPut('portico/default/key-a', { 'api-key': KEY_A, organization: ORGANIZATION });
  await vault.kvLabels('portico/default/key-a', { team: 'infra' });
  await vault.kvPut('portico/default/key-b', { 'api-key': KEY_B });

  const socket = await extAuthSocket(t);
  const logs = captureLogs();
  const serviceLogs = captureLogs();
  const gw = await startGateway(t, {
    files: { 'gateway.yaml': GATEWAY, 'upstream.yaml': upstream('echo'), 'route.yaml': route('auth', rules), 'auth.yaml': resources.join('---\n') },
    controller: {
      extAuthAddress: socket,
      logger: logs.logger,
      vault: { address: vault.address, auth: { method: 'appRole', roleIdFile: vault.files.roleId, secretIdFile: vault.files.secretId }, kv: { intervalMs: 300 } },
    },
  });
  await startExtAuth(t, socket, gw.controller.xdsPort, serviceLogs.logger);
  const status = async (path: string, o: HttpOptions = {}) => (await gw.get(path, o)).status;

  await t.test('basic auth against the htpasswd entries of a Vault KV secret', async () => {
    await gw.until('/htpasswd', (r) => r.status === 200, basic('carol'));
    assert.equal(await status('/htpasswd', basic('alice')), 200);
    assert.equal(await status('/htpasswd', basic('alice', 'wrong')), 401);
    assert.equal(await status('/htpasswd', basic('bob')), 401, 'bob is not in the entries yet');
    assert.equal(await status('/htpasswd'), 401);
  });

  await t.test('an API key from the Vault KV secret the AuthConfig names', async () => {
    await gw.until('/byname', (r) => r.status === 200, apiKey(KEY_B));
    assert.equal(await status('/byname', apiKey(KEY_A)), 401, 'key-a is not named');
  });

  await t.test("API keys selected by label: the secret's custom_metadata; its other entries go upstream as headers", async () => {
    const ok = await gw.until('/bylabel', (r) => r.status === 200, apiKey(KEY_A));
    assert.equal(ok.json?.headers?.['x-organization'], ORGANIZATION);
    assert.equal(await status('/bylabel', apiKey(KEY_B)), 401, 'key-b has no label');
  });

  await t.test('rotations in Vault apply live; the credentials not rotated keep working throughout', async () => {
    let running = true;
    const seen = new Map<string, number>();
    const count = (what: string, s: number) => seen.set(`${what} ${s}`, (seen.get(`${what} ${s}`) ?? 0) + 1);
    const load = (async () => {
      while (running) {
        count('carol', await status('/htpasswd', basic('carol')).catch(() => 0));
        count('key-a', await status('/bylabel', apiKey(KEY_A)).catch(() => 0));
      }
    })();
    const timings: string[] = [];
    const timed = async (what: string, change: () => Promise<void>, applied: () => Promise<unknown>) => {
      const start = performance.now();
      await change();
      await applied();
      timings.push(`${what} ${Math.round(performance.now() - start)} ms`);
    };
    try {
      await timed('htpasswd entries', () => vault.kvPut('portico/default/users', { htpasswd: [BOB, CAROL].join('\n') }), () => gw.until('/htpasswd', (r) => r.status === 200, basic('bob')));
      assert.equal(await status('/htpasswd', basic('alice')), 401, 'alice left the entries');
      await timed('API key', () => vault.kvPut('portico/default/key-b', { 'api-key': KEY_B_ROTATED }), () => gw.until('/byname', (r) => r.status === 200, apiKey(KEY_B_ROTATED)));
      assert.equal(await status('/byname', apiKey(KEY_B)), 401, 'the old key no longer opens');
      await timed('label set', () => vault.kvLabels('portico/default/key-b', { team: 'infra' }), () => gw.until('/bylabel', (r) => r.status === 200, apiKey(KEY_B_ROTATED)));
    } finally {
      running = false; // also when a step fails: the load must not outlive the test
      await load;
    }
    assert.deepEqual([...seen.keys()].sort(), ['carol 200', 'key-a 200'], `answers seen: ${JSON.stringify([...seen])}`);
    await timed('label removed', () => vault.kvLabels('portico/default/key-a', {}), () => gw.until('/bylabel', (r) => r.status === 401, apiKey(KEY_A)));
    t.diagnostic(`written in Vault → applied (poll 300 ms): ${timings.join(', ')}; ${[...seen.values()].reduce((a, b) => a + b, 0)} requests with untouched credentials meanwhile, none failed`);
  });

  await t.test('the AuthConfig status names the Vault-held Secret and the missing entry, not the values', async () => {
    assert.match(await resolvedRefs(gw, 'broken', 'False'), /basicAuth\.htpasswd\.key: Secret default\/key-a has no entry htpasswd/);
    for (const name of ['htpasswd', 'byname', 'bylabel']) assert.equal(await resolvedRefs(gw, name, 'True'), 'every Secret resolved');
  });

  await t.test('no key, hash or password in the logs (controller and ext-auth service), the statuses or /debug', async () => {
    const shown = await shownByController(gw, [logs, serviceLogs]);
    assert.match(shown['/debug/statuses'] ?? '', /Secret default\/key-a has no entry htpasswd/, 'statuses show the reference');
    const hashes = Object.fromEntries([ALICE, BOB, CAROL].map((entry) => [`the hash of ${entry.split(':')[0]}`, entry.slice(entry.indexOf(':') + 1)]));
    const passwords = Object.fromEntries(['alice', 'bob', 'carol'].map((u) => [`the password of ${u}`, `${u}-pw`]));
    assertNotShown(shown, { 'key-a': KEY_A, 'key-b': KEY_B, 'key-b (rotated)': KEY_B_ROTATED, "key-a's organization entry": ORGANIZATION, ...hashes, ...passwords });
  });
});
