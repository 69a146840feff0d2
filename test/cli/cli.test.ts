// The `portico` command as users run it: the real bin/portico in a child process, its exit code, stdout
// and stderr. Bootstraps are checked by the real Envoy (`envoy --mode validate`), and a real Envoy
// bootstrapped by `portico bootstrap` with TLS and a token gets its config from a `portico controller`
// with TLS and a token — and gets nothing with the wrong token. A missing Envoy FAILS these tests.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, it, test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { redacted } from '../../src/ir/redact.ts';
import { statusPath } from '../../src/status/file-writer.ts';
import type { StatusRecord } from '../../src/status/record.ts';
import { renderStatus } from '../../src/status/writer.ts';
import { findBinary } from '../../src/lib/binaries.ts';
import { freePort, freePorts, startProcess, tempDir, waitFor } from '../support/components.ts';
import { PORTICO, portico, porticoEnv as cliEnv, ROOT, show, startBootstrappedEnvoy } from '../support/cli.ts';
import { goldenSuite } from '../support/golden.ts';
import { makeIdentityCertificates, type TestCertificates } from '../support/tls.ts';
import { backend, fill, GATEWAY, gatewayWith, route, upstream } from '../support/fixtures.ts';
import { httpsRequest } from '../support/http.ts';

const TESTDATA = join(ROOT, 'test', 'cli', 'testdata');
const ENVOY_HINT = "run 'scripts/setup.sh envoy' (or 'make test', which runs the whole set-up)";

/** What a clean CLI failure looks like: exactly one line on stderr, prefixed, and no stack trace. */
function assertOneLineError(res: SpawnSyncReturns<string>, mentions: RegExp): void {
  assert.equal(res.status, 1, show(res));
  const lines = res.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `expected one line on stderr:\n${show(res)}`);
  assert.match(lines[0] as string, /^portico: /, show(res));
  assert.match(lines[0] as string, mentions, show(res));
  assert.doesNotMatch(res.stderr, /\n\s+at |Error: .*\n\s+at /, `stack trace on stderr:\n${show(res)}`);
}

// ---------------------------------------------------------------------------------------------------------
// --help: every flag documented, each with its PORTICO_* variable.

/** The Consul flags the controller and `get` share (cli/consul-options.ts). */
const CONSUL_FLAGS = {
    '--consul-kv-root': 'PORTICO_CONSUL_KV_ROOT',
    '--consul-status-prefix': 'PORTICO_CONSUL_STATUS_PREFIX',
    '--consul-address': 'PORTICO_CONSUL_ADDRESS',
    '--consul-datacenter': 'PORTICO_CONSUL_DATACENTER',
    '--consul-token-file': 'PORTICO_CONSUL_TOKEN_FILE',
    '--consul-ca-file': 'PORTICO_CONSUL_CA_FILE',
    '--consul-cert-file': 'PORTICO_CONSUL_CERT_FILE',
    '--consul-key-file': 'PORTICO_CONSUL_KEY_FILE',
};

/** Every flag of every subcommand and the environment variable that sets it. This is the CLI's contract. */
const FLAGS: Record<string, Record<string, string>> = {
  controller: {
    '--config': 'PORTICO_CONFIG',
    '--config-dir': 'PORTICO_CONFIG_DIR',
    ...CONSUL_FLAGS,
    '--status-dir': 'PORTICO_STATUS_DIR',
    '--secrets-dir': 'PORTICO_SECRETS_DIR',
    '--xds-address': 'PORTICO_XDS_ADDRESS',
    '--admin-address': 'PORTICO_ADMIN_ADDRESS',
    '--xds-tls-cert': 'PORTICO_XDS_TLS_CERT',
    '--xds-tls-key': 'PORTICO_XDS_TLS_KEY',
    '--xds-tls-ca': 'PORTICO_XDS_TLS_CA',
    '--xds-tls-vault-role': 'PORTICO_XDS_TLS_VAULT_ROLE',
    '--xds-tls-vault-name': 'PORTICO_XDS_TLS_VAULT_NAME',
    '--xds-tokens-file': 'PORTICO_XDS_TOKENS_FILE',
    '--xds-trust-domain': 'PORTICO_XDS_TRUST_DOMAIN',
    '--xds-allow-insecure': 'PORTICO_XDS_ALLOW_INSECURE',
    '--admin-tls-cert': 'PORTICO_ADMIN_TLS_CERT',
    '--admin-tls-key': 'PORTICO_ADMIN_TLS_KEY',
    '--admin-tls-ca': 'PORTICO_ADMIN_TLS_CA',
    '--admin-token-file': 'PORTICO_ADMIN_TOKEN_FILE',
    '--admin-allow-insecure': 'PORTICO_ADMIN_ALLOW_INSECURE',
    '--discovery': 'PORTICO_DISCOVERY',
    '--consul-wait': 'PORTICO_CONSUL_WAIT',
    '--ec2-endpoint': 'PORTICO_EC2_ENDPOINT',
    '--ec2-interval': 'PORTICO_EC2_INTERVAL',
    '--ext-auth-address': 'PORTICO_EXT_AUTH_ADDRESS',
    '--vault-address': 'PORTICO_VAULT_ADDRESS',
    '--vault-namespace': 'PORTICO_VAULT_NAMESPACE',
    '--vault-token-file': 'PORTICO_VAULT_TOKEN_FILE',
    '--vault-agent-sink-file': 'PORTICO_VAULT_AGENT_SINK_FILE',
    '--vault-role-id-file': 'PORTICO_VAULT_ROLE_ID_FILE',
    '--vault-secret-id-file': 'PORTICO_VAULT_SECRET_ID_FILE',
    '--vault-ca-file': 'PORTICO_VAULT_CA_FILE',
    '--vault-cert-file': 'PORTICO_VAULT_CERT_FILE',
    '--vault-key-file': 'PORTICO_VAULT_KEY_FILE',
    '--vault-kv-mount': 'PORTICO_VAULT_KV_MOUNT',
    '--vault-kv-root': 'PORTICO_VAULT_KV_ROOT',
    '--vault-poll-interval': 'PORTICO_VAULT_POLL_INTERVAL',
    '--ratelimit-address': 'PORTICO_RATELIMIT_ADDRESS',
    '--log-level': 'PORTICO_LOG_LEVEL',
    '--log-format': 'PORTICO_LOG_FORMAT',
  },
  ratelimit: {
    '--listen': 'PORTICO_RATELIMIT_LISTEN',
    '--redis': 'PORTICO_RATELIMIT_REDIS',
    '--xds-address': 'PORTICO_XDS_ADDRESS',
    '--xds-token-file': 'PORTICO_XDS_TOKEN_FILE',
    '--xds-tls-ca': 'PORTICO_RATELIMIT_XDS_TLS_CA',
    '--xds-tls-cert': 'PORTICO_RATELIMIT_XDS_TLS_CERT',
    '--xds-tls-key': 'PORTICO_RATELIMIT_XDS_TLS_KEY',
    '--xds-tls-server-name': 'PORTICO_RATELIMIT_XDS_TLS_SERVER_NAME',
    '--config-file': 'PORTICO_RATELIMIT_CONFIG_FILE',
    '--admin-address': 'PORTICO_RATELIMIT_ADMIN_ADDRESS',
    '--no-local-cache': 'PORTICO_RATELIMIT_NO_LOCAL_CACHE',
    '--listen-tls-cert': 'PORTICO_RATELIMIT_LISTEN_TLS_CERT',
    '--listen-tls-key': 'PORTICO_RATELIMIT_LISTEN_TLS_KEY',
    '--listen-tls-ca': 'PORTICO_RATELIMIT_LISTEN_TLS_CA',
    '--listen-token-file': 'PORTICO_RATELIMIT_LISTEN_TOKEN_FILE',
    '--listen-allow-insecure': 'PORTICO_RATELIMIT_LISTEN_ALLOW_INSECURE',
    '--max-concurrent-streams': 'PORTICO_RATELIMIT_MAX_CONCURRENT_STREAMS',
    '--max-message-bytes': 'PORTICO_RATELIMIT_MAX_MESSAGE_BYTES',
    '--max-connection-buffer-bytes': 'PORTICO_RATELIMIT_MAX_CONNECTION_BUFFER_BYTES',
    '--admin-tls-cert': 'PORTICO_RATELIMIT_ADMIN_TLS_CERT',
    '--admin-tls-key': 'PORTICO_RATELIMIT_ADMIN_TLS_KEY',
    '--admin-tls-ca': 'PORTICO_RATELIMIT_ADMIN_TLS_CA',
    '--admin-token-file': 'PORTICO_RATELIMIT_ADMIN_TOKEN_FILE',
    '--admin-allow-insecure': 'PORTICO_RATELIMIT_ADMIN_ALLOW_INSECURE',
    '--log-level': 'PORTICO_LOG_LEVEL',
    '--log-format': 'PORTICO_LOG_FORMAT',
  },
  up: {
    '--echo': 'PORTICO_ECHO',
    '--xds-address': 'PORTICO_XDS_ADDRESS',
    '--admin-address': 'PORTICO_ADMIN_ADDRESS',
    '--xds-allow-insecure': 'PORTICO_XDS_ALLOW_INSECURE',
    '--admin-allow-insecure': 'PORTICO_ADMIN_ALLOW_INSECURE',
    '--log-level': 'PORTICO_LOG_LEVEL',
    '--log-format': 'PORTICO_LOG_FORMAT',
  },
  bootstrap: {
    '--gateway': 'PORTICO_GATEWAY',
    '--xds-address': 'PORTICO_XDS_ADDRESS',
    '--admin-port': 'PORTICO_ENVOY_ADMIN_PORT',
    '--node-id': 'PORTICO_NODE_ID',
    '--xds-tls-ca': 'PORTICO_ENVOY_XDS_TLS_CA',
    '--xds-tls-cert': 'PORTICO_ENVOY_XDS_TLS_CERT',
    '--xds-tls-key': 'PORTICO_ENVOY_XDS_TLS_KEY',
    '--xds-tls-server-name': 'PORTICO_ENVOY_XDS_TLS_SERVER_NAME',
    '--xds-token-file': 'PORTICO_XDS_TOKEN_FILE',
  },
  extauth: {
    '--listen': 'PORTICO_EXTAUTH_LISTEN',
    '--xds-address': 'PORTICO_XDS_ADDRESS',
    '--node-id': 'PORTICO_NODE_ID',
    '--xds-tls-ca': 'PORTICO_EXTAUTH_XDS_TLS_CA',
    '--xds-tls-cert': 'PORTICO_EXTAUTH_XDS_TLS_CERT',
    '--xds-tls-key': 'PORTICO_EXTAUTH_XDS_TLS_KEY',
    '--xds-tls-server-name': 'PORTICO_EXTAUTH_XDS_TLS_SERVER_NAME',
    '--xds-token-file': 'PORTICO_XDS_TOKEN_FILE',
    '--listen-tls-cert': 'PORTICO_EXTAUTH_LISTEN_TLS_CERT',
    '--listen-tls-key': 'PORTICO_EXTAUTH_LISTEN_TLS_KEY',
    '--listen-tls-ca': 'PORTICO_EXTAUTH_LISTEN_TLS_CA',
    '--listen-token-file': 'PORTICO_EXTAUTH_LISTEN_TOKEN_FILE',
    '--listen-allow-insecure': 'PORTICO_EXTAUTH_LISTEN_ALLOW_INSECURE',
    '--max-concurrent-streams': 'PORTICO_EXTAUTH_MAX_CONCURRENT_STREAMS',
    '--max-message-bytes': 'PORTICO_EXTAUTH_MAX_MESSAGE_BYTES',
    '--max-connection-buffer-bytes': 'PORTICO_EXTAUTH_MAX_CONNECTION_BUFFER_BYTES',
    '--log-level': 'PORTICO_LOG_LEVEL',
    '--log-format': 'PORTICO_LOG_FORMAT',
  },
  translate: { '--file': 'PORTICO_FILE', '--secrets-dir': 'PORTICO_SECRETS_DIR', '--output': 'PORTICO_OUTPUT' },
  validate: { '--file': 'PORTICO_FILE', '--secrets-dir': 'PORTICO_SECRETS_DIR' },
  get: {
    '--namespace': 'PORTICO_NAMESPACE',
    '--output': 'PORTICO_OUTPUT',
    '--config': 'PORTICO_CONFIG',
    '--config-dir': 'PORTICO_CONFIG_DIR',
    '--status-dir': 'PORTICO_STATUS_DIR',
    ...CONSUL_FLAGS,
  },
  echo: {
    '--listen': 'PORTICO_ECHO_LISTEN',
    '--name': 'PORTICO_ECHO_NAME',
    '--log-level': 'PORTICO_LOG_LEVEL',
    '--log-format': 'PORTICO_LOG_FORMAT',
  },
  version: {},
};

/** The entries of a commander help's "Options:" section: long flag → its text (wrapped lines joined). */
function helpOptions(help: string): Map<string, string> {
  const section = help.split(/^Options:\n/m)[1];
  assert.ok(section !== undefined, `no Options: section in\n${help}`);
  const entries: string[] = [];
  for (const line of section.split('\n')) {
    if (/^\S/.test(line)) break; // the next section
    if (/^ {2}-/.test(line)) entries.push(line.trim());
    else if (line.trim() && entries.length) entries[entries.length - 1] += ` ${line.trim()}`;
  }
  return new Map(entries.map((e) => [/--[a-z][a-z0-9-]*/.exec(e)?.[0] ?? e, e]));
}

describe('portico --help', () => {
  it('lists every subcommand', () => {
    const res = portico(['--help']);
    assert.equal(res.status, 0, show(res));
    for (const sub of Object.keys(FLAGS)) assert.match(res.stdout, new RegExp(`^ {2}${sub}\\b`, 'm'), `${sub} missing from\n${res.stdout}`);
  });

  for (const [sub, flags] of Object.entries(FLAGS)) {
    it(`${sub} --help documents each flag with its PORTICO_* variable`, () => {
      const res = portico([sub, '--help']);
      assert.equal(res.status, 0, show(res));
      assert.equal(res.stderr, '', show(res));
      assert.match(res.stdout, new RegExp(`^Usage: portico ${sub} `, 'm'), show(res));
      const options = helpOptions(res.stdout);
      assert.deepEqual([...options.keys()].filter((f) => f !== '--help').sort(), Object.keys(flags).sort(), `flags of ${sub}:\n${res.stdout}`);
      for (const [flag, env] of Object.entries(flags)) {
        assert.match(options.get(flag) ?? '', new RegExp(`env:\\s*${env}\\b`), `${sub} ${flag} should name ${env}:\n${res.stdout}`);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// translate: golden files. `<case>.in.yaml` → `<case>.out.yaml` (UPDATE_GOLDEN=1 rewrites); `invalid-*`
// cases must exit 1 and list problems, the others exit 0 with none.

goldenSuite(TESTDATA, (_input, inputPath) => {
  const file = relative(ROOT, inputPath); // relative: the problems quote it, and goldens must not hold /home/…
  const res = portico(['translate', '-f', file]);
  const invalid = /^invalid-/.test(relative(TESTDATA, inputPath));
  assert.equal(res.status, invalid ? 1 : 0, show(res));
  assert.doesNotMatch(res.stderr, /\n\s+at /, show(res));
  assert.doesNotMatch(res.stdout, /^\s*[^#\n]*[&*]a\d+\b/m, `YAML anchors/aliases in the output:\n${res.stdout}`);
  const doc = parse(res.stdout) as { gateways?: unknown; statuses?: unknown; problems?: string[] };
  assert.ok(doc && typeof doc === 'object' && 'gateways' in doc && 'statuses' in doc, show(res));
  if (invalid) {
    assert.ok(doc.problems?.length, `an invalid case lists its problems:\n${res.stdout}`);
    for (const p of doc.problems) assert.ok(p.startsWith(`${file}:`), `problem without its file:line: ${p}`);
  } else {
    assert.deepEqual(doc.problems, [], show(res));
  }
  return doc;
});

test('extauth: bad flags are one clear line, before anything listens', () => {
  assertOneLineError(portico(['extauth', '--xds-tls-cert', 'client.crt']), /--xds-tls-ca/);
  assertOneLineError(portico(['extauth', '--xds-tls-ca', '/does/not/exist.crt']), /--xds-tls-ca: cannot read '\/does\/not\/exist\.crt'/);
  assertOneLineError(portico(['extauth', '--xds-token-file', '/does/not/exist']), /--xds-token-file/);
  assertOneLineError(portico(['extauth', '--listen-tls-ca', '/does/not/exist.crt']), /--listen-tls-cert and --listen-tls-key go together/);
  assertOneLineError(portico(['extauth', '--listen-token-file', '/does/not/exist']), /--listen-token-file: cannot read/);
  assertOneLineError(portico(['ratelimit', '--config-file', 'x.yaml', '--max-message-bytes', '4MB']), /--max-message-bytes: expected a whole number/);
});

test('translate prints the AuthConfigs the ext-auth service gets, credentials redacted', () => {
  const testdata = join(import.meta.dirname, '../../src/gatewayapi/testdata');
  const res = portico(['translate', '-f', join(testdata, 'extauth.in.yaml'), '--secrets-dir', join(testdata, 'secrets')]);
  assert.match(res.stdout, /authConfigs:\n\s+- name: default\/basic-auth/);
  assert.match(res.stdout, /hash: <redacted sha256:[0-9a-f]{16}>/);
  assert.doesNotMatch(res.stdout, /key-a-123|key-b-456|NLFTUNkXaht0g|Zo4a\.zRe7|hsAaMBat8|dZjReJH7S66/);
});

test('translate -o json prints the same document as JSON', () => {
  const file = relative(ROOT, join(TESTDATA, 'valid-gateway-route-upstream.in.yaml'));
  const [yaml, json] = [portico(['translate', '-f', file]), portico(['translate', '-f', file, '-o', 'json'])];
  assert.equal(json.status, 0, show(json));
  assert.deepEqual(JSON.parse(json.stdout), parse(yaml.stdout));
});

test('translate --secrets-dir serves HTTPS listeners by SDS and never prints a private key', () => {
  const file = relative(ROOT, join(ROOT, 'src', 'gatewayapi', 'testdata', 'https.in.yaml'));
  const secrets = relative(ROOT, join(ROOT, 'src', 'gatewayapi', 'testdata', 'secrets'));
  const res = portico(['translate', '-f', file, '--secrets-dir', secrets]);
  assert.equal(res.status, 1, show(res)); // the case has invalid listeners on purpose
  const doc = parse(res.stdout) as { gateways: Record<string, { Secret?: { name: string; tls_certificate: { private_key: unknown } }[] }> };
  const served = doc.gateways['default/gw']?.Secret ?? [];
  const keyOf = (path: string) => readFileSync(join(ROOT, 'src', 'gatewayapi', 'testdata', 'secrets', path, 'tls.key'), 'utf8');
  assert.deepEqual(served.map((s) => [s.name, s.tls_certificate.private_key]), [
    ['secret/default/shop', { inline_string: redacted(keyOf('default/shop')) }],
    ['secret/default/wildcard', { inline_string: redacted(keyOf('default/wildcard')) }],
    ['secret/other/foreign', { inline_string: redacted(keyOf('other/foreign')) }],
  ]);
  assert.match(redacted('x'), /^<redacted sha256:[0-9a-f]{16}>$/, 'the key shows as its fingerprint');
  assert.doesNotMatch(res.stdout + res.stderr, /PRIVATE KEY/);
});

// ---------------------------------------------------------------------------------------------------------
// validate: every problem on its own line, `file:line: Kind ns/name: field.path: message`, exit 1.

test('validate -f DIR prints each problem as file:line: Kind ns/name: field: message and exits 1', () => {
  const dir = relative(ROOT, join(TESTDATA, 'validate'));
  const res = portico(['validate', '-f', dir]);
  assert.equal(res.status, 1, show(res));
  const lines = res.stdout.split('\n').filter(Boolean);
  assert.ok(lines.length >= 2, show(res));
  for (const line of lines) assert.match(line, new RegExp(`^${dir}/[\\w-]+\\.yaml:\\d+(:\\d+)?: \\S`), `not file:line: …: ${line}`);

  // The line (and column) the indentation is broken on, and the resource the broken document names.
  const malformed = lines.filter((l) => l.startsWith(`${dir}/malformed.yaml:`));
  assert.equal(malformed.length, 1, show(res));
  assert.match(malformed[0] as string, new RegExp(`^${dir}/malformed\\.yaml:11(:\\d+)?: Gateway default/broken: .*YAML`), show(res));

  // Unknown field: the complete shape, the exact line of the field, and a hint at the right name.
  const unknown = lines.filter((l) => l.startsWith(`${dir}/unknown-field.yaml:`));
  assert.equal(unknown.length, 1, show(res));
  assert.match(unknown[0] as string, new RegExp(`^${dir}/unknown-field\\.yaml:14: HTTPRoute default/web: spec\\.rules\\[0\\]\\.backendRef: .*unknown field.*backendRefs`), show(res));

  assert.ok(!lines.some((l) => l.includes('fine.yaml')), `the valid file has no problems:\n${show(res)}`);
  assert.match(res.stderr, /3 file\(s\)/, show(res));
  assert.doesNotMatch(res.stderr, /\n\s+at /, show(res));
});

test('validate -f on a missing path: one line, exit 1', () => {
  assertOneLineError(portico(['validate', '-f', 'test/cli/testdata/does-not-exist']), /does-not-exist/);
});

// ---------------------------------------------------------------------------------------------------------
// get: statuses as the controller writes them into a status folder (renderStatus at statusPath), shown
// like kubectl shows them.

const condition = (type: string, status = 'True', reason = type, message = `${type.toLowerCase()} ok`) => ({ type, status, reason, message, lastTransitionTime: '2026-01-02T03:04:05.000Z' });
const routeStatus = (...conditions: ReturnType<typeof condition>[]) => ({ parents: [{ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }, controllerName: 'portico.dev/gateway-controller', conditions }] });
const GET_STATUSES: StatusRecord[] = [
  { key: 'gateway.networking.k8s.io/GatewayClass//portico', id: 'GatewayClass portico', source: { file: 'conf/gw.yaml', line: 1 }, generation: 1, status: { conditions: [condition('Accepted')] } },
  { key: 'gateway.networking.k8s.io/Gateway/default/gw', id: 'Gateway default/gw', source: { file: 'conf/gw.yaml', line: 7 }, generation: 2, status: { conditions: [condition('Accepted'), condition('Programmed')] } },
  { key: 'gateway.networking.k8s.io/HTTPRoute/default/web', id: 'HTTPRoute default/web', source: { file: 'conf/web.yaml', line: 1 }, generation: 3, status: routeStatus(condition('Accepted'), condition('ResolvedRefs')) },
  {
    key: 'gateway.networking.k8s.io/HTTPRoute/team-a/shop',
    id: 'HTTPRoute team-a/shop',
    source: { key: 'portico/gateway.networking.k8s.io/v1/HTTPRoute/team-a/shop' },
    generation: 41,
    status: routeStatus(condition('Accepted'), condition('ResolvedRefs', 'False', 'BackendNotFound', 'backendRef Upstream team-a/shop-v2 not found')),
  },
  { key: 'gloo.solo.io/Upstream/default/echo', id: 'Upstream default/echo', source: { file: 'conf/echo.yaml', line: 1 }, generation: 1, status: { conditions: [condition('Accepted')] } },
];

/** A status folder as a controller leaves it: the statuses and a file being replaced (and a stray file, when asked). */
async function statusFolder(t: TestContext, stray = false): Promise<string> {
  const dir = await tempDir('cli-get', t);
  const statusDir = join(dir, '.status');
  for (const r of GET_STATUSES) {
    const path = statusPath(statusDir, r.key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, renderStatus(r));
  }
  await writeFile(join(statusDir, 'gateway.networking.k8s.io', 'Gateway', 'default', '.gw.yaml.tmp'), 'half written');
  if (stray) await writeFile(join(statusDir, 'notes.yaml'), 'not a status\n');
  return dir;
}

describe('portico get', () => {
  it('a table per kind: NAME, NAMESPACE, the main conditions, GENERATION; a stray file is named on stderr', async (t) => {
    const dir = await statusFolder(t, true);
    const res = portico(['get', 'httproutes', '--config-dir', dir]);
    assert.equal(res.status, 0, show(res));
    assert.equal(res.stdout, [
      'NAME   NAMESPACE   ACCEPTED   RESOLVEDREFS   GENERATION',
      'web    default     True       True           3',
      'shop   team-a      True       False          41',
      '',
    ].join('\n'));
    assert.match(res.stderr, /^portico: skipped .*notes\.yaml: not laid out as <group>\/<Kind>\/\[<namespace>\/\]<name>\n$/);
    const gateways = portico(['get', 'gtw', '--status-dir', join(dir, '.status')]);
    assert.equal(gateways.stdout, 'NAME   NAMESPACE   ACCEPTED   PROGRAMMED   GENERATION\ngw     default     True       True         2\n', show(gateways));
  });

  it('kinds by kubectl names: plural, singular, any case, short, group-qualified; several at once; all', async (t) => {
    const dir = await statusFolder(t);
    const expected = portico(['get', 'httproutes', '--config-dir', dir]).stdout;
    for (const name of ['httproute', 'HTTPRoute', 'HTTPROUTES', 'httproutes.gateway.networking.k8s.io']) {
      assert.equal(portico(['get', name, '--config-dir', dir]).stdout, expected, name);
    }
    assert.equal(portico(['get', 'upstreams', '--config-dir', dir]).stdout, portico(['get', 'us', '--config-dir', dir]).stdout);
    const several = portico(['get', 'gc,gtw', '--config-dir', dir]);
    assert.equal(several.stdout, [
      'NAME                   NAMESPACE   ACCEPTED   GENERATION',
      'gatewayclass/portico   -           True       1',
      '',
      'NAME         NAMESPACE   ACCEPTED   PROGRAMMED   GENERATION',
      'gateway/gw   default     True       True         2',
      '',
    ].join('\n'), show(several));
    const all = portico(['get', 'all', '--config-dir', dir]);
    for (const name of ['gatewayclass/portico', 'gateway/gw', 'httproute/web', 'httproute/shop', 'upstream/echo']) assert.match(all.stdout, new RegExp(`^${name} `, 'm'), show(all));
  });

  it('-n and a name select; -o wide adds the source and the first problem; -o yaml and json carry every reason and message', async (t) => {
    const dir = await statusFolder(t);
    assert.equal(portico(['get', 'httproutes', '-n', 'team-a', '--config-dir', dir]).stdout.split('\n').length, 3, 'the header, shop, and the final newline');
    const wide = portico(['get', 'httproute', 'shop', '-o', 'wide', '--config-dir', dir]);
    assert.equal(wide.stdout, [
      'NAME   NAMESPACE   ACCEPTED   RESOLVEDREFS   GENERATION   SOURCE                                                       MESSAGE',
      'shop   team-a      True       False          41           portico/gateway.networking.k8s.io/v1/HTTPRoute/team-a/shop   BackendNotFound: backendRef Upstream team-a/shop-v2 not found',
      '',
    ].join('\n'), show(wide));
    const one = parse(portico(['get', 'httproute', 'shop', '-o', 'yaml', '--config-dir', dir]).stdout) as Record<string, unknown>;
    assert.deepEqual(one, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'shop', namespace: 'team-a', generation: 41 },
      source: 'portico/gateway.networking.k8s.io/v1/HTTPRoute/team-a/shop',
      status: GET_STATUSES[3]?.status,
    });
    const list = JSON.parse(portico(['get', 'gateways,upstreams', '-o', 'json', '--config-dir', dir]).stdout) as { kind: string; items: { kind: string; metadata: { name: string } }[] };
    assert.equal(list.kind, 'List');
    assert.deepEqual(list.items.map((i) => `${i.kind}/${i.metadata.name}`), ['Gateway/gw', 'Upstream/echo']);
    const none = portico(['get', 'upstreams', '-n', 'nowhere', '--config-dir', dir]);
    assert.equal(none.status, 0, show(none));
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, 'No resources found in namespace nowhere.\n');
  });

  it('--config portico.yaml: its directory source\'s status folder', async (t) => {
    const dir = await statusFolder(t);
    const config = join(dir, 'portico.yaml');
    await writeFile(config, 'sources:\n  directory:\n    path: .\n');
    const res = portico(['get', 'gateways', '--config', config]);
    assert.equal(res.status, 0, show(res));
    assert.match(res.stdout, /^gw +default +True +True +2$/m);
  });

  it('clear one-line errors: unknown kind with a suggestion, a name not found, no place given, a missing folder, Consul unreachable', async (t) => {
    const dir = await statusFolder(t);
    assertOneLineError(portico(['get', 'httprotues', '--config-dir', dir]), /unknown kind 'httprotues'; did you mean 'httproutes'\? \(kinds: gatewayclasses\/gc, gateways\/gtw, httproutes, .*; or all\)/);
    assertOneLineError(portico(['get', 'upstreams', 'nope', '-n', 'default', '--config-dir', dir]), /Upstream "nope" not found in namespace default/);
    assertOneLineError(portico(['get', 'gateways']), /where are the statuses\? --config portico\.yaml, --config-dir DIR/);
    assertOneLineError(portico(['get', 'gateways', '--status-dir', join(dir, 'missing')]), /status folder '.*missing' cannot be read: ENOENT/);
    const port = await freePort();
    assertOneLineError(portico(['get', 'gateways', '--consul-address', `http://127.0.0.1:${port}`]), new RegExp(`reading statuses under portico-status/ at http://127\\.0\\.0\\.1:${port} failed: ECONNREFUSED`));
  });
});

// ---------------------------------------------------------------------------------------------------------
// bootstrap: what the real Envoy accepts; bad flags fail with one line.

function envoyBinary(): string {
  return findBinary('envoy', ENVOY_HINT); // throws: a missing Envoy fails the test, it is never skipped
}

function envoyValidate(envoy: string, config: string): SpawnSyncReturns<string> {
  const res = spawnSync(envoy, ['--mode', 'validate', '-c', config, '--disable-hot-restart', '--log-level', 'warn'], { encoding: 'utf8', timeout: 60_000 });
  if (res.error) throw res.error;
  return res;
}

interface Secrets {
  dir: string;
  certs: TestCertificates;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  token: string;
  tokenFile: string;
  /** The controller's --xds-tokens-file: `token` is default/gw's. */
  tokensFile: string;
  wrongToken: string;
  wrongTokenFile: string;
}

async function writeSecrets(t: TestContext): Promise<Secrets> {
  const dir = await tempDir('cli-tls', t);
  // The client certificate is the identity of the Gateway default/gw, as Vault PKI would issue it (uri_sans).
  const issued = makeIdentityCertificates(['spiffe://portico.local/gateway/default/gw']);
  const client = issued.clients['spiffe://portico.local/gateway/default/gw']!;
  const certs = { ca: issued.ca.cert, serverCert: issued.server.cert, serverKey: issued.server.key, clientCert: client.cert, clientKey: client.key };
  const file = async (name: string, content: string) => {
    const path = join(dir, name);
    await writeFile(path, content, { mode: 0o600 });
    return path;
  };
  const token = randomBytes(24).toString('hex');
  const wrongToken = randomBytes(24).toString('hex');
  return {
    dir,
    certs,
    ca: await file('ca.crt', certs.ca),
    serverCert: await file('server.crt', certs.serverCert),
    serverKey: await file('server.key', certs.serverKey),
    clientCert: await file('client.crt', certs.clientCert),
    clientKey: await file('client.key', certs.clientKey),
    token,
    tokenFile: await file('token', `${token}\n`),
    tokensFile: await file('tokens', `# the controller's --xds-tokens-file\ngateway/default/gw ${token}\n`),
    wrongToken,
    wrongTokenFile: await file('wrong-token', `${wrongToken}\n`),
  };
}

describe('portico bootstrap', () => {
  it('prints a bootstrap the real Envoy validates', async (t) => {
    const envoy = envoyBinary();
    const res = portico(['bootstrap', '--gateway', 'default/gw', '--xds-address', '127.0.0.1:18000']);
    assert.equal(res.status, 0, show(res));
    assert.equal(res.stderr, '', show(res));
    assert.doesNotMatch(res.stdout, /[&*]a\d+\b/, `YAML anchors/aliases in the bootstrap:\n${res.stdout}`);
    const doc = parse(res.stdout);
    assert.equal(doc.node.cluster, 'default/gw');
    assert.match(doc.node.id, /^default\/gw\//);
    const cluster = doc.static_resources.clusters[0];
    assert.deepEqual(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: '127.0.0.1', port_value: 18000 });
    assert.equal(cluster.transport_socket, undefined, 'plaintext unless asked for TLS');
    assert.equal(doc.dynamic_resources.ads_config.grpc_services[0].initial_metadata, undefined, 'no token unless given one');
    assert.equal(doc.overload_manager.resource_monitors[0].typed_config.max_active_downstream_connections, 100_000, 'downstream connections are capped');

    const config = join(await tempDir('cli-bootstrap', t), 'bootstrap.yaml');
    await writeFile(config, res.stdout);
    const check = envoyValidate(envoy, config);
    assert.equal(check.status, 0, `envoy --mode validate rejected the bootstrap:\n${show(check)}\n--- bootstrap\n${res.stdout}`);
  });

  it('with TLS and a token: transport socket with SNI and SAN check, bearer metadata; Envoy validates it', async (t) => {
    const envoy = envoyBinary();
    const s = await writeSecrets(t);
    const res = portico([
      'bootstrap', '--gateway', 'default/gw', '--xds-address', 'localhost:18000',
      '--xds-tls-ca', s.ca, '--xds-tls-cert', s.clientCert, '--xds-tls-key', s.clientKey, '--xds-token-file', s.tokenFile,
    ]);
    assert.equal(res.status, 0, show(res));
    assert.equal(res.stderr, '', 'nothing on stderr, the token least of all');
    const doc = parse(res.stdout);
    assert.deepEqual(doc.dynamic_resources.ads_config.grpc_services[0].initial_metadata, [{ key: 'authorization', value: `Bearer ${s.token}` }]);
    const tls = doc.static_resources.clusters[0].transport_socket.typed_config;
    assert.equal(tls['@type'], 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext');
    assert.equal(tls.sni, 'localhost');
    assert.deepEqual(tls.common_tls_context.validation_context, {
      trusted_ca: { filename: s.ca },
      match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'localhost' } }],
    });
    assert.deepEqual(tls.common_tls_context.tls_certificates, [{ certificate_chain: { filename: s.clientCert }, private_key: { filename: s.clientKey } }]);
    assert.ok(!res.stdout.includes('PRIVATE KEY'), 'key material is referenced by path, never inlined');

    const config = join(s.dir, 'bootstrap.yaml');
    await writeFile(config, res.stdout, { mode: 0o600 });
    const check = envoyValidate(envoy, config);
    assert.equal(check.status, 0, `envoy --mode validate rejected the TLS bootstrap:\n${show(check)}`);
  });

  it("warns when the client certificate names another identity than the Gateway's", async (t) => {
    const s = await writeSecrets(t);
    const res = portico(['bootstrap', '--gateway', 'team-b/gw', '--xds-address', 'localhost:18000', '--xds-tls-ca', s.ca, '--xds-tls-cert', s.clientCert, '--xds-tls-key', s.clientKey]);
    assert.equal(res.status, 0, show(res));
    assert.match(res.stderr, /^portico: warning: --xds-tls-cert names gateway\/default\/gw, not gateway\/team-b\/gw: a controller that identifies clients by certificate refuses this Envoy\n$/);
  });

  it('an IP server name is matched as an IP SAN and not sent as SNI', async (t) => {
    const s = await writeSecrets(t);
    const res = portico(['bootstrap', '--gateway', 'default/gw', '--xds-address', '127.0.0.1:18000', '--xds-tls-ca', s.ca]);
    assert.equal(res.status, 0, show(res));
    const tls = parse(res.stdout).static_resources.clusters[0].transport_socket.typed_config;
    assert.equal(tls.sni, undefined);
    assert.equal(tls.common_tls_context.tls_certificates, undefined);
    assert.deepEqual(tls.common_tls_context.validation_context.match_typed_subject_alt_names, [{ san_type: 'IP_ADDRESS', matcher: { exact: '127.0.0.1' } }]);
  });

  it('several controllers (HA): one endpoint each in the xDS cluster, a DNS name re-resolved; Envoy validates it', async (t) => {
    const res = portico(['bootstrap', '--gateway', 'default/gw', '--xds-address', '10.0.0.5:18000,10.0.0.6:18000']);
    assert.equal(res.status, 0, show(res));
    const cluster = parse(res.stdout).static_resources.clusters[0];
    assert.equal(cluster.type, 'STATIC');
    const addresses = cluster.load_assignment.endpoints[0].lb_endpoints.map((e: { endpoint: { address: { socket_address: unknown } } }) => e.endpoint.address.socket_address);
    assert.deepEqual(addresses, [{ address: '10.0.0.5', port_value: 18000 }, { address: '10.0.0.6', port_value: 18000 }]);
    const config = join(await tempDir('cli-bootstrap-ha', t), 'bootstrap.yaml');
    await writeFile(config, res.stdout);
    assert.equal(envoyValidate(envoyBinary(), config).status, 0);

    const dns = portico(['bootstrap', '--gateway', 'default/gw', '--xds-address', 'portico-xds.service.consul:18000']);
    assert.equal(parse(dns.stdout).static_resources.clusters[0].type, 'STRICT_DNS');
    // Over TLS, several hosts must share one certificate name: guessing one of them would fail the others.
    const s = await writeSecrets(t);
    assertOneLineError(portico(['bootstrap', '--gateway', 'default/gw', '--xds-address', '10.0.0.5:18000,10.0.0.6:18000', '--xds-tls-ca', s.ca]), /--xds-tls-server-name/);
  });

  it('bad flags: one clear line on stderr, exit 1, no stack trace', async (t) => {
    assertOneLineError(portico(['bootstrap', '--gateway', 'nope']), /--gateway.*'nope'/);
    assertOneLineError(portico(['bootstrap', '--gateway', 'default/gw', '--xds-address', 'x']), /--xds-address.*'x'/);
    assertOneLineError(portico(['bootstrap', '--gateway', 'default/gw', '--admin-port', 'http']), /--admin-port/);
    assertOneLineError(portico(['bootstrap', '--gateway', 'default/gw', '--xds-tls-cert', 'client.crt']), /--xds-tls-ca/);
    assertOneLineError(portico(['bootstrap', '--gateway', 'default/gw', '--xds-tls-ca', '/does/not/exist.crt']), /--xds-tls-ca: cannot read '\/does\/not\/exist\.crt'/);
    assertOneLineError(portico(['bootstrap', '--gateway', 'default/gw', '--xds-token-file', '/does/not/exist']), /--xds-token-file/);
    assertOneLineError(portico(['bootstrap', '--gateway', 'nope'], { PORTICO_GATEWAY: 'default/gw' }), /--gateway/); // the flag wins over the env

    // A token that cannot be a header value is refused without being shown.
    const dir = await tempDir('cli-token', t);
    const secret = `two words ${randomBytes(8).toString('hex')}`;
    await writeFile(join(dir, 'token'), secret);
    const res = portico(['bootstrap', '--gateway', 'default/gw', '--xds-token-file', join(dir, 'token')]);
    assertOneLineError(res, /--xds-token-file/);
    assert.ok(!res.stderr.includes(secret) && !res.stdout.includes(secret), show(res));
  });

  it('takes its flags from PORTICO_* variables too', () => {
    const res = portico(['bootstrap'], { PORTICO_GATEWAY: 'ns1/edge', PORTICO_XDS_ADDRESS: '10.0.0.5:18001', PORTICO_ENVOY_ADMIN_PORT: '0' });
    assert.equal(res.status, 0, show(res));
    const doc = parse(res.stdout);
    assert.equal(doc.node.cluster, 'ns1/edge');
    assert.equal(doc.admin.address.socket_address.port_value, 0);
    assert.deepEqual(doc.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: '10.0.0.5', port_value: 18001 });
  });
});

// ---------------------------------------------------------------------------------------------------------
// controller: bad flags fail before anything listens.

test('controller: bad flags and unreadable secret files give one line and exit 1', async (t) => {
  const dir = await tempDir('cli-controller-flags', t);
  assertOneLineError(portico(['controller', '--config-dir', dir, '--xds-address', 'x', '--admin-address', 'off']), /--xds-address.*'x'/);
  assertOneLineError(portico(['controller', '--config-dir', dir, '--xds-address', '127.0.0.1:0', '--admin-address', 'off', '--xds-tls-cert', join(dir, 'c.pem')]), /--xds-tls-key/);
  assertOneLineError(portico(['controller', '--config-dir', dir, '--xds-address', '127.0.0.1:0', '--admin-address', 'off', '--xds-tokens-file', join(dir, 'missing')]), /--xds-tokens-file: cannot read/);
  const empty = join(dir, 'empty-tokens');
  await writeFile(empty, '# nothing yet\n');
  assertOneLineError(portico(['controller', '--config-dir', dir, '--xds-address', '127.0.0.1:0', '--admin-address', 'off', '--xds-tokens-file', empty]), /--xds-tokens-file: .* has no '<identity> <token>' line/);
  const secret = randomBytes(8).toString('hex');
  const bad = join(dir, 'bad-tokens');
  await writeFile(bad, `gateway/default/gw ok-${secret}\ndefault/gw ${secret}\n`);
  const res = portico(['controller', '--config-dir', dir, '--xds-address', '127.0.0.1:0', '--admin-address', 'off', '--xds-tokens-file', bad]);
  assertOneLineError(res, /--xds-tokens-file: '.*bad-tokens' line 2: 'default\/gw' is not an identity/);
  assert.ok(!res.stderr.includes(secret), show(res));
  // The one shared token is gone: it let any client read every Gateway's keys. The error says what replaces it.
  assertOneLineError(portico(['controller', '--config-dir', dir, '--admin-address', 'off', '--xds-token-file', bad]), /--xds-token-file was replaced by --xds-tokens-file/);
  assertOneLineError(portico(['controller', '--config-dir', dir, '--admin-address', 'off', '--xds-trust-domain', 'Portico Local']), /--xds-trust-domain: 'Portico Local' is not a SPIFFE trust domain/);
  const vaultPki = (...args: string[]) => portico(['controller', '--config-dir', dir, '--admin-address', 'off', ...args]);
  assertOneLineError(vaultPki('--xds-tls-vault-role', 'pki'), /--xds-tls-vault-role: expected <mount>\/<role>/);
  assertOneLineError(vaultPki('--xds-tls-vault-role', 'pki/portico-xds'), /--xds-tls-vault-role needs --xds-tls-vault-name/);
  assertOneLineError(vaultPki('--xds-tls-vault-name', 'localhost'), /--xds-tls-vault-name needs --xds-tls-vault-role/);
  assertOneLineError(vaultPki('--xds-tls-vault-role', 'pki/portico-xds', '--xds-tls-vault-name', 'localhost'), /--xds-tls-vault-role needs the Vault connection/);
});

test('controller: beyond loopback without TLS and client authentication it refuses to start, naming the flag that allows it', { timeout: 60_000 }, async (t) => {
  const s = await writeSecrets(t);
  const dir = await tempDir('cli-exposed', t);
  const controller = (args: string[], env: Record<string, string> = {}) => portico(['controller', '--config-dir', dir, ...args], env);
  assertOneLineError(controller(['--xds-address', '0.0.0.0:0', '--admin-address', 'off']), /--xds-address 0\.0\.0\.0:0 is beyond loopback without TLS and client authentication: .*--xds-allow-insecure \(PORTICO_XDS_ALLOW_INSECURE=true\)/);
  assertOneLineError(controller(['--xds-address', '0.0.0.0:0', '--admin-address', 'off', '--xds-tls-cert', s.serverCert, '--xds-tls-key', s.serverKey]), /beyond loopback without client authentication/);
  assertOneLineError(controller(['--xds-address', '0.0.0.0:0', '--admin-address', 'off', '--xds-tokens-file', s.tokensFile]), /beyond loopback without TLS:/);
  assertOneLineError(controller(['--xds-address', '0.0.0.0:0', '--admin-address', 'off'], { PORTICO_XDS_ALLOW_INSECURE: 'false' }), /--xds-allow-insecure/);
  assertOneLineError(controller(['--xds-address', '127.0.0.1:0', '--admin-address', '0.0.0.0:0']), /--admin-address 0\.0\.0\.0:0 is beyond loopback without TLS and client authentication: .*--admin-allow-insecure \(PORTICO_ADMIN_ALLOW_INSECURE=true\)/);
  assertOneLineError(controller(['--xds-address', '127.0.0.1:0', '--admin-address', '0.0.0.0:0', '--admin-tls-cert', s.serverCert, '--admin-tls-key', s.serverKey]), /--admin-address .* without client authentication/);
  // `portico up` has no TLS flags: beyond loopback it needs the same explicit opt-outs.
  assertOneLineError(portico(['up', dir, '--xds-address', '0.0.0.0:0']), /--xds-address 0\.0\.0\.0:0 is beyond loopback .*--xds-allow-insecure/);
  assertOneLineError(portico(['up', dir, '--admin-address', '0.0.0.0:0']), /--admin-address 0\.0\.0\.0:0 is beyond loopback .*--admin-allow-insecure/);

  // The data-path services' gRPC --listen (and the rate-limit service's admin) follow the same rule.
  assertOneLineError(portico(['extauth', '--listen', '0.0.0.0:0']), /--listen 0\.0\.0\.0:0 is beyond loopback without TLS and client authentication: .*--listen-allow-insecure \(PORTICO_EXTAUTH_LISTEN_ALLOW_INSECURE=true\)/);
  assertOneLineError(portico(['extauth', '--listen', '0.0.0.0:0', '--listen-tls-cert', s.serverCert, '--listen-tls-key', s.serverKey]), /--listen 0\.0\.0\.0:0 is beyond loopback without client authentication/);
  assertOneLineError(portico(['ratelimit', '--listen', '0.0.0.0:0', '--xds-address', '127.0.0.1:1']), /--listen-allow-insecure \(PORTICO_RATELIMIT_LISTEN_ALLOW_INSECURE=true\)/);
  assertOneLineError(portico(['ratelimit', '--admin-address', '0.0.0.0:0', '--xds-address', '127.0.0.1:1']), /--admin-address 0\.0\.0\.0:0 is beyond loopback .*--admin-allow-insecure \(PORTICO_RATELIMIT_ADMIN_ALLOW_INSECURE=true\)/);
  // Secured (TLS and client certificates or tokens), or explicitly allowed: it starts, and says it loudly when insecure.
  const [xdsPort, adminPort] = await freePorts(2);
  const started = await startProcess(PORTICO, [
    'controller', '--config-dir', dir, '--xds-address', `0.0.0.0:${xdsPort}`, '--admin-address', `0.0.0.0:${adminPort}`, '--log-format', 'json',
    '--xds-tls-cert', s.serverCert, '--xds-tls-key', s.serverKey, '--xds-tokens-file', s.tokensFile,
  ], { name: 'portico controller', cwd: ROOT, env: cliEnv({ PORTICO_ADMIN_ALLOW_INSECURE: 'true' }) });
  t.after(() => started.stop());
  await waitFor(async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok, { timeoutMs: 30_000, what: () => `the controller to be ready:\n${started.output()}` });
  assert.match(started.output(), /INSECURE: --admin-allow-insecure/);
  assert.doesNotMatch(started.output(), /INSECURE: --xds-allow-insecure/);
});

test('validate and translate: a listener asking Vault PKI is no problem offline; bad Vault flags give one line', async (t) => {
  const dir = await tempDir('cli-vault-pki', t);
  const file = join(dir, 'gw.yaml');
  await writeFile(file, gatewayWith('    - { name: api, protocol: HTTPS, port: 443, hostname: api.example.com, tls: { options: { portico.dev/vault-pki-role: pki/portico-gateway } } }'));
  const validated = portico(['validate', '-f', file]);
  assert.equal(validated.status, 0, show(validated));
  const translated = portico(['translate', '-f', file]);
  assert.equal(translated.status, 0, show(translated));
  assert.match(translated.stdout, /certificate for api\.example\.com from Vault PKI \(pki\/issue\/portico-gateway\) is not issued yet/, 'the listener status says why it is not served');
  assertOneLineError(portico(['controller', '--config-dir', dir, '--admin-address', 'off', '--vault-role-id-file', file]), /--vault-role-id-file and --vault-secret-id-file go together/);
  assertOneLineError(portico(['controller', '--config-dir', dir, '--admin-address', 'off', '--vault-poll-interval', '0']), /--vault-poll-interval: '0' is not a whole number of seconds from 1 to 3600/);
  assertOneLineError(portico(['controller', '--config-dir', dir, '--admin-address', 'off', '--vault-token-file', file, '--vault-agent-sink-file', file]), /secrets\.vault: one auth method at a time, but tokenFile and agentSinkFile are set/);
});

test('controller: the admin endpoint over HTTPS with a token for /debug/*; health checks stay open', { timeout: 60_000 }, async (t) => {
  const s = await writeSecrets(t);
  const configDir = await tempDir('cli-admin', t);
  const [xdsPort, adminPort] = await freePorts(2);
  const controller = await startProcess(PORTICO, [
    'controller', '--config-dir', configDir, '--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', `127.0.0.1:${adminPort}`, '--log-format', 'json',
    '--admin-tls-cert', s.serverCert, '--admin-tls-key', s.serverKey, '--admin-token-file', s.tokenFile,
  ], { name: 'portico controller', cwd: ROOT, env: cliEnv() });
  t.after(() => controller.stop());
  const get = (path: string, token?: string) =>
    httpsRequest(adminPort as number, path, { servername: 'localhost', ca: s.certs.ca, ...(token && { headers: { authorization: `Bearer ${token}` } }) });
  await waitFor(async () => (await get('/readyz')).status === 200, { timeoutMs: 30_000, what: () => `the admin endpoint over HTTPS; controller: ${controller.output()}` });
  assert.equal((await get('/healthz')).status, 200, 'health checks need no token');
  const refused = await get('/debug/proxies');
  assert.equal(refused.status, 401);
  assert.equal(refused.headers['www-authenticate'], 'Bearer');
  assert.equal((await get('/debug/proxies', s.wrongToken)).status, 401);
  assert.equal((await get('/debug/proxies', s.token)).status, 200);
  assert.equal((await get('/metrics')).status, 401, 'metrics are behind the token too');
  const metrics = await get('/metrics', s.token);
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /^portico_ready 1$/m);
  assert.match(metrics.body, /^portico_degraded_components 0$/m);
  assert.ok(!controller.output().includes(s.token), 'the token never appears in the log');
  assertOneLineError(portico(['controller', '--config-dir', configDir, '--admin-address', '127.0.0.1:0', '--admin-tls-key', s.serverKey]), /--admin-tls-cert and --admin-tls-key go together/);
});

test('controller --config: a missing file, a bad field or no source give one line naming the file and field', async (t) => {
  const dir = await tempDir('cli-controller-config', t);
  const file = join(dir, 'portico.yaml');
  await writeFile(file, 'sources:\n  consulKv: {}\nconsul:\n  adress: http://127.0.0.1:1\n');
  assertOneLineError(portico(['controller', '--config', file]), /portico\.yaml:4: consul\.adress: unknown field; did you mean "address"\?/);
  assertOneLineError(portico(['controller', '--config', join(dir, 'missing.yaml')]), /config file '.*missing\.yaml' cannot be read: ENOENT/);
  assertOneLineError(portico(['controller'], { PORTICO_CONFIG: '' }), /no resource source/);
});

// ---------------------------------------------------------------------------------------------------------
// The xDS connection secured end to end: real `portico controller`, real Envoys from `portico bootstrap`.

const gatewayConfig = (listenerPort: number, upstreamPort: number) =>
  fill([GATEWAY, upstream('echo'), route('web', `    - backendRefs:\n${backend('echo')}`)].join('---\n'), { PORT: listenerPort, echo: upstreamPort });

/** The cluster the controller serves for the route's Upstream: how we know Envoy got the config. */
const SERVED_CLUSTER = 'upstream/default/echo';
const REFUSAL = 'refusing an ADS stream: the client did not prove an identity';

test('xDS over mutual TLS with a bearer token: the right Envoy gets its config; a wrong token, no client certificate or another server name gets none', { timeout: 120_000 }, async (t) => {
  const envoy = envoyBinary();
  const s = await writeSecrets(t);
  const configDir = await tempDir('cli-xds-config', t);
  const [xdsPort, adminPort, listenerPort, upstreamPort] = await freePorts(4);
  await writeFile(join(configDir, 'gateway.yaml'), gatewayConfig(listenerPort as number, upstreamPort as number));

  // The controller takes its secrets from PORTICO_* variables (the flags are covered by the bootstrap side).
  const controller = await startProcess(PORTICO, ['controller', '--config-dir', configDir, '--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', `127.0.0.1:${adminPort}`, '--log-format', 'json'], {
    name: 'portico controller',
    cwd: ROOT,
    env: cliEnv({ PORTICO_XDS_TLS_CERT: s.serverCert, PORTICO_XDS_TLS_KEY: s.serverKey, PORTICO_XDS_TLS_CA: s.ca, PORTICO_XDS_TOKENS_FILE: s.tokensFile }),
  });
  t.after(() => controller.stop());
  // Everything it logs, from the start (startProcess only keeps a tail): the tokens must appear nowhere.
  let log = '';
  controller.child.stderr?.on('data', (d: Buffer) => (log += d.toString('utf8')));
  controller.child.stdout?.on('data', (d: Buffer) => (log += d.toString('utf8')));
  await waitFor(async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).ok, {
    timeoutMs: 30_000,
    what: () => `the controller to be ready; its log:\n${log}`,
    abortIf: () => controller.exitReason() && `the controller ${controller.exitReason()}:\n${log}`,
  });
  const listening = log.split('\n').find((l) => l.includes('ADS server listening'));
  assert.ok(listening, log);
  assert.deepEqual([JSON.parse(listening).tls, JSON.parse(listening).auth], [true, ['certificate', 'token']], listening);

  const tls = ['--xds-address', `127.0.0.1:${xdsPort}`, '--xds-tls-server-name', 'localhost', '--xds-tls-ca', s.ca];
  const clientCert = ['--xds-tls-cert', s.clientCert, '--xds-tls-key', s.clientKey];

  // The right token and a client certificate: Envoy receives the controller's clusters and listener.
  const good = await startBootstrappedEnvoy(t, envoy, s.dir, 'good', [...tls, ...clientCert, '--xds-token-file', s.tokenFile]);
  let seen: string[] = [];
  await waitFor(async () => (seen = await good.clusters()).includes(SERVED_CLUSTER), {
    timeoutMs: 30_000,
    what: () => `Envoy to list ${SERVED_CLUSTER} in /clusters (it lists ${seen.join(', ')}); controller log:\n${log}\nenvoy:\n${good.proc.output()}`,
  });
  const dump = JSON.parse(await good.admin('/config_dump')) as { configs: { '@type': string; dynamic_listeners?: { name: string }[] }[] };
  const listeners = dump.configs.find((c) => c['@type'].endsWith('ListenersConfigDump'))?.dynamic_listeners?.map((l) => l.name) ?? [];
  assert.ok(listeners.includes(`default/gw/${listenerPort}`), `listeners: ${listeners.join(', ')}`);
  assert.equal(await good.stat('control_plane.connected_state'), 1);

  // A wrong token: the controller refuses the stream (and says so), Envoy gets nothing.
  const refusalsBefore = log.split(REFUSAL).length - 1;
  const wrong = await startBootstrappedEnvoy(t, envoy, s.dir, 'wrong-token', [...tls, ...clientCert, '--xds-token-file', s.wrongTokenFile]);
  await waitFor(() => log.split(REFUSAL).length - 1 > refusalsBefore, { timeoutMs: 30_000, what: () => `the controller to log the refusal:\n${log}` });
  assert.deepEqual(await wrong.clusters(), ['portico_xds'], 'only its static ADS cluster');
  assert.equal(await wrong.stat('control_plane.connected_state'), 0);
  wrong.proc.assertRunning();

  // Mutual TLS: the right token but no client certificate does not get through the handshake.
  const anonymous = await startBootstrappedEnvoy(t, envoy, s.dir, 'no-client-cert', [...tls, '--xds-token-file', s.tokenFile]);
  await waitFor(async () => (await anonymous.stat('cluster.portico_xds.ssl.connection_error')) >= 1, {
    timeoutMs: 30_000,
    what: () => `the TLS connection without a client certificate to fail; envoy:\n${anonymous.proc.output()}`,
  });
  assert.deepEqual(await anonymous.clusters(), ['portico_xds'], 'a handshake without a client certificate yields no config');

  // The certificate must name the controller: the CA signing it is not enough.
  const misnamed = await startBootstrappedEnvoy(t, envoy, s.dir, 'other-server-name', [
    '--xds-address', `127.0.0.1:${xdsPort}`, '--xds-tls-server-name', 'xds.example.com', '--xds-tls-ca', s.ca, ...clientCert, '--xds-token-file', s.tokenFile,
  ]);
  await waitFor(async () => (await misnamed.stat('cluster.portico_xds.ssl.fail_verify_san')) >= 1, {
    timeoutMs: 30_000,
    what: () => `Envoy to refuse a certificate without the name xds.example.com; envoy:\n${misnamed.proc.output()}`,
  });
  assert.deepEqual(await misnamed.clusters(), ['portico_xds']);

  // Still serving the right Envoy; nobody's token in the controller's log.
  assert.ok((await good.clusters()).includes(SERVED_CLUSTER));
  controller.assertRunning();
  for (const [name, token] of [['right', s.token], ['wrong', s.wrongToken]] as const) {
    assert.ok(!log.includes(token), `the ${name} token appears in the controller's log`);
  }
});
