import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../lib/errors.ts';
import { parseConfigFile, resolveConfig } from './config.ts';
import { vaultOptionsFrom } from './vault.ts';

const FULL = `
xdsAddress: 0.0.0.0:18000
sources:
  directory: { path: resources }
  consulKv: { rootKey: team/portico }
consul:
  address: https://consul.example:8501
  datacenter: dc2
  tokenFile: secrets/consul-token
  tls: { caFile: ca.pem }
leaderElection: { ttlSeconds: 20 }
discovery:
  consul: { waitSeconds: 60 }
  ec2: { endpoint: 'http://127.0.0.1:5000' }
extAuth: { address: unix:/run/portico/extauth.sock }
`;

test('portico.yaml: every section read, paths relative to the file, defaults filled, flags on top', () => {
  const file = parseConfigFile(FULL, '/etc/portico/portico.yaml');
  const c = resolveConfig(file, { xdsAddress: '127.0.0.1:0', consul: { datacenter: 'dc3' } });
  assert.equal(c.xdsAddress, '127.0.0.1:0', 'a flag beats the file');
  assert.deepEqual(c.sources, { directory: { path: '/etc/portico/resources', statusDir: undefined, secretsDir: undefined }, consulKv: { rootKey: 'team/portico', statusPrefix: 'team/portico-status' } });
  assert.equal(c.consul.datacenter, 'dc3');
  assert.equal(c.consul.address, 'https://consul.example:8501');
  assert.equal(c.consul.tokenFile, '/etc/portico/secrets/consul-token');
  assert.equal(c.consul.tls?.caFile, '/etc/portico/ca.pem');
  assert.deepEqual(c.leaderElection, { ttlSeconds: 20, lockDelaySeconds: 15 });
  assert.deepEqual(c.discovery, { consul: { waitSeconds: 60 }, ec2: { endpoint: 'http://127.0.0.1:5000' } });
  assert.deepEqual(c.extAuth, { address: 'unix:/run/portico/extauth.sock' });
  assert.deepEqual(resolveConfig({}, { sources: { consulKv: {} } }).sources.consulKv, { rootKey: 'portico', statusPrefix: 'portico-status' });
});

test('portico.yaml: errors name the file, the line and the field', () => {
  const fails = (text: string, re: RegExp) => assert.throws(() => parseConfigFile(text, 'p.yaml'), (e: unknown) => e instanceof ConfigError && re.test(e.message));
  fails('consul:\n  adress: x\n', /^p\.yaml:2: consul\.adress: .*address/);
  fails('leaderElection:\n  ttlSeconds: 15\n', /^p\.yaml:2: leaderElection\.ttlSeconds: .*20/);
  fails('sources:\n  consulKv: { rootKey: /portico/ }\n', /^p\.yaml:2: sources\.consulKv\.rootKey: must be a KV path/);
  fails('sources: [\n', /^p\.yaml:\d+: YAML syntax error/);
  fails('discovery: { consul: 3 }\n', /discovery\.consul/);
  fails('extAuth:\n  address: extauth.sock\n', /^p\.yaml:2: extAuth\.address: "extauth\.sock" is not a valid service address/);
  assert.throws(() => resolveConfig({ sources: { consulKv: {} } }, { extAuth: { address: 'localhost' } }), /extAuth\.address \(--ext-auth-address\): expected/);
  assert.throws(() => resolveConfig({}, {}), /no resource source/);
  assert.throws(() => resolveConfig({ sources: { consulKv: { rootKey: 'p', statusPrefix: 'p/status' } } }, {}), /statusPrefix 'p\/status' must lie outside rootKey 'p\/'/);
  assert.throws(() => resolveConfig({ sources: { consulKv: { rootKey: 'p' } }, leaderElection: { key: 'p/.leader' } }, {}), /leaderElection\.key 'p\/\.leader' must lie outside rootKey 'p\/'.*default is 'p-status\/\.leader'/);
  assert.throws(() => resolveConfig({ sources: { consulKv: { rootKey: 'p' } }, leaderElection: { key: 'p/locks/leader' } }, {}), /leaderElection\.key 'p\/locks\/leader' must lie outside/);
  assert.equal(resolveConfig({ sources: { consulKv: { rootKey: 'p' } }, leaderElection: { key: 'p-locks/leader' } }, {}).leaderElection.key, 'p-locks/leader', 'a key beside the root is fine');
});

test('portico.yaml rateLimit: Gloo-named settings with defaults; the flag gives the address; errors located', () => {
  const dir = { sources: { directory: { path: '/r' } } };
  const file = parseConfigFile('rateLimit:\n  domain: edge\n  denyOnFail: true\n  requestTimeout: 0.25s\n  enableXRatelimitHeaders: true\n', 'p.yaml');
  assert.deepEqual(resolveConfig({ ...file, ...dir }, { rateLimit: { address: 'unix:/run/rl.sock' } }).rateLimit, {
    address: 'unix:/run/rl.sock',
    domain: 'edge',
    denyOnFail: true,
    beforeAuth: false,
    timeoutMs: 250,
    rateLimitHeaders: true,
  });
  assert.deepEqual(resolveConfig({ ...dir, rateLimit: { address: '127.0.0.1:18081' } }, {}).rateLimit, {
    address: '127.0.0.1:18081', domain: 'portico', denyOnFail: false, beforeAuth: false, timeoutMs: 100, rateLimitHeaders: false,
  });
  assert.equal(resolveConfig(dir, {}).rateLimit, undefined, 'off unless configured');
  assert.throws(() => resolveConfig({ ...file, ...dir }, {}), /rateLimit needs an address/);
  assert.throws(() => resolveConfig({ ...dir, rateLimit: { address: 'nowhere' } }, {}), /rateLimit\.address: expected HOST:PORT/);
  assert.throws(() => parseConfigFile('rateLimit:\n  requestTimeout: 100ms\n', 'p.yaml'), /p\.yaml:2: rateLimit\.requestTimeout/);
});

test('portico.yaml secrets.vault: paths relative to the file, one auth method, flags on top', () => {
  const file = parseConfigFile(
    'sources: { directory: { path: conf } }\nsecrets:\n  vault:\n    address: https://vault.example:8200\n    appRole: { roleIdFile: role-id, secretIdFile: secret-id }\n    tls: { caFile: ca.pem }\n    kv: { mount: kv, intervalSeconds: 5 }\n',
    '/etc/portico/portico.yaml',
  );
  const c = resolveConfig(file, { secrets: { vault: { namespace: 'team-a' } } });
  assert.deepEqual(vaultOptionsFrom(c.secrets?.vault ?? {}), {
    address: 'https://vault.example:8200',
    namespace: 'team-a',
    auth: { method: 'appRole', roleIdFile: '/etc/portico/role-id', secretIdFile: '/etc/portico/secret-id' },
    tls: { caFile: '/etc/portico/ca.pem', certFile: undefined, keyFile: undefined },
    kv: { mount: 'kv', intervalMs: 5000 },
  });
  assert.throws(() => vaultOptionsFrom({ tokenFile: 't', appRole: { roleIdFile: 'r', secretIdFile: 's' } }), /secrets\.vault: one auth method at a time, but tokenFile and appRole are set/);
  assert.throws(() => parseConfigFile('secrets:\n  vault:\n    address: vault:8200\n', 'p.yaml'), /^ConfigError: p\.yaml:3: secrets\.vault\.address: must be an http:\/\/ or https:\/\/ URL/);
  assert.throws(() => parseConfigFile('secrets:\n  vault:\n    appRole: { roleIdFile: r }\n', 'p.yaml'), /p\.yaml:3: secrets\.vault\.appRole\.secretIdFile: /);
});

test('portico.yaml secrets.vault.pki.roles: who may use which PKI role reaches the controller; bad entries located', () => {
  const roles = '    pki:\n      roles:\n        - { mount: pki, role: team-a, namespaces: [team-a] }\n        - { mount: pki/shared, role: "*", namespaces: ["*"] }\n';
  const file = parseConfigFile(`sources: { directory: { path: conf } }\nsecrets:\n  vault:\n${roles}`, 'p.yaml');
  assert.deepEqual(vaultOptionsFrom(resolveConfig(file, {}).secrets?.vault ?? {}).pkiRoles, [
    { mount: 'pki', role: 'team-a', namespaces: ['team-a'] },
    { mount: 'pki/shared', role: '*', namespaces: ['*'] },
  ]);
  assert.equal(vaultOptionsFrom({}).pkiRoles, undefined, 'no list: the translator applies its default');
  const fails = (entry: string, re: RegExp) => assert.throws(() => parseConfigFile(`secrets:\n  vault:\n    pki:\n      roles:\n        - ${entry}\n`, 'p.yaml'), re);
  fails('{ mount: pki, role: team-a }', /p\.yaml:5: secrets\.vault\.pki\.roles\[0\]\.namespaces: /);
  fails('{ mount: pki, role: team-a, namespaces: [] }', /roles\[0\]\.namespaces: /);
  fails('{ mount: pki, role: team-a, namespaces: [Team_A] }', /roles\[0\]\.namespaces\[0\]: must be a namespace name, or \*/);
  fails('{ mount: pki, role: team-a, namespaces: [a, a] }', /roles\[0\]\.namespaces\[1\]: duplicate namespace/);
  fails('{ mount: /pki/, role: team-a, namespaces: [a] }', /roles\[0\]\.mount: must be a PKI mount path/);
  fails('{ mount: pki, role: "a/b", namespaces: [a] }', /roles\[0\]\.role: must be a Vault role name/);
});
