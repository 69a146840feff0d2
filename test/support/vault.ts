// A real OpenBao (`bao`, the Vault API) server for tests, on a random loopback port, set up by vault/setup.sh
// (KV v2, PKI, the controller's policy and AppRole). Not a dev server: it keeps its data in a file store, so
// kill() and restart() are a real outage — the restarted server comes back sealed and, once unseal()ed,
// still holds every secret, CA and login. A missing `bao` fails the test with how to install it. Also: what a
// controller shows anyone (logs, statuses, /debug), for asserting that no secret value is among it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, requireBinary, startProcess, tempDir, waitFor, type AfterHook, type ProcessHandle } from './components.ts';
import type { GatewayEnv } from './gateway.ts';
import { httpRequest as httpGet } from './http.ts';
import type { CapturedLogs } from './logs.ts';
import { writeCertificates, type TestCertificates } from './tls.ts';

const SETUP = join(import.meta.dirname, '../../vault/setup.sh');
const AUDIT_DEVICE = 'portico-test';

export interface VaultServer {
  address: string;
  rootToken: string;
  /** vault/setup.sh's AppRole login files. */
  files: { roleId: string; secretId: string };
  /** The PKI CA (PEM): what clients of PKI-issued certificates trust. */
  ca: { cert: string };
  process(): ProcessHandle;
  /** SIGKILLs the server (an outage). */
  kill(): Promise<void>;
  /** Starts it again on the same port: sealed, until unseal(). */
  restart(): Promise<void>;
  unseal(): Promise<void>;
  /** Writes a KV v2 secret (`path` below `secret/data/`). */
  kvPut(path: string, data: Record<string, string>): Promise<void>;
  /** Sets a KV v2 secret's custom_metadata, all of it (`path` below `secret/metadata/`): its Secret's labels. */
  kvLabels(path: string, labels: Record<string, string>): Promise<void>;
  /**
   * With `audit`: whether a request to a path starting with `pathPrefix` carried `value` in its data (e.g. a
   * common name sent to pki/issue/…), read from the server's own audit log, which holds only HMACs of values.
   */
  audited(pathPrefix: string, value: string): Promise<boolean>;
}

/** A free port whose successor is free too: a server puts its cluster listener on port + 1. */
export async function freePortWithNext(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    const nextFree = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen({ host: '127.0.0.1', port: port + 1, exclusive: true }, () => s.close(() => resolve(true)));
    });
    if (port < 65535 && nextFree) return port;
  }
  throw new Error('no free pair of adjacent ports on 127.0.0.1');
}

export interface VaultServerOptions {
  /** Serve HTTPS with certs.serverCert (for 127.0.0.1) and require client certificates signed by certs.ca. */
  tls?: TestCertificates;
  /** Run vault/setup.sh (default true). */
  setup?: boolean;
  /** Keep an audit log (declared in the server's config: OpenBao refuses audit devices made by API). */
  audit?: boolean;
}

export async function startVault(t: AfterHook, opts: VaultServerOptions = {}): Promise<VaultServer> {
  const bao = requireBinary('bao');
  const dir = await tempDir('vault', t);
  const port = await freePortWithNext();
  const address = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const pem = opts.tls && writeCertificates(opts.tls, dir);
  const config = join(dir, 'server.hcl');
  const tls = pem
    ? `tls_cert_file = "${pem.serverCert}"\n  tls_key_file = "${pem.serverKey}"\n  tls_client_ca_file = "${pem.ca}"\n  tls_require_and_verify_client_cert = true`
    : 'tls_disable = true';
  await writeFile(config, `storage "file" { path = "${join(dir, 'data')}" }
listener "tcp" {
  address = "127.0.0.1:${port}"
  cluster_address = "127.0.0.1:${port + 1}"
  ${tls}
}
api_addr = "${address}"
cluster_addr = "https://127.0.0.1:${port + 1}"
disable_mlock = true
${opts.audit ? `audit "file" "${AUDIT_DEVICE}" {\n  options { file_path = "${join(dir, 'audit.log')}" }\n}` : ''}
`);
  const api = (method: string, path: string, body?: unknown, token?: string) => call(address, opts.tls, method, path, body, token);
  const start = () =>
    startProcess(bao, ['server', `-config=${config}`, '-log-level=warn'], {
      cwd: dir,
      env: { HOME: dir },
      timeoutMs: 45_000,
      // Any answer: it listens (sealed, until unsealed).
      readyWhen: async () => (await api('GET', 'sys/health?sealedcode=200&uninitcode=200').then(() => true)),
    });
  let proc = await start();
  t.after(() => proc.stop());
  const init = await api('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
  const rootToken = init.root_token as string;
  const unseal = async () => {
    await api('PUT', 'sys/unseal', { key: init.keys_base64[0] });
    await waitFor(async () => Boolean(await api('GET', 'sys/health')), { timeoutMs: 30_000, what: 'OpenBao to be unsealed and active' });
  };
  await unseal();
  const env = { ...process.env, HOME: dir, VAULT_ADDR: address, VAULT_TOKEN: rootToken, PATH: `${bao.replace(/\/[^/]+$/, '')}:${process.env.PATH}` };
  if (opts.setup ?? true) await promisify(execFile)('bash', [SETUP, dir], { env });

  return {
    address,
    rootToken,
    files: { roleId: join(dir, 'role-id'), secretId: join(dir, 'secret-id') },
    ca: { cert: await readFile(join(dir, 'ca.crt'), 'utf8').catch(() => '') },
    process: () => proc,
    kill: async () => {
      process.kill(-proc.pid, 'SIGKILL');
      await proc.stop().catch(() => undefined); // it "died early": expected here
    },
    restart: async () => {
      proc = await start();
    },
    unseal,
    kvPut: async (path, data) => void (await api('POST', `secret/data/${path}`, { data }, rootToken)),
    kvLabels: async (path, labels) => void (await api('POST', `secret/metadata/${path}`, { custom_metadata: labels }, rootToken)),
    audited: async (pathPrefix, value) => {
      assert.ok(opts.audit, 'startVault(t, { audit: true }) keeps the audit log');
      // Asking for the HMAC is itself audited (with the same HMAC), hence the path filter.
      const { hash } = await api('POST', `sys/audit-hash/${AUDIT_DEVICE}`, { input: value }, rootToken);
      const entries = (await readFile(join(dir, 'audit.log'), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { request?: { path?: string; data?: unknown } });
      return entries.some((e) => e.request?.path?.startsWith(pathPrefix) && JSON.stringify(e.request.data ?? {}).includes(hash as string));
    },
  };
}

/** One Vault API call (the test's own set-up): JSON in and out, an error unless 2xx. */
function call(address: string, tls: TestCertificates | undefined, method: string, path: string, body?: unknown, token?: string): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${address}/v1/${path}`);
    const headers = token ? { 'X-Vault-Token': token } : {};
    const options = { method, headers, ...(tls && { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey }) };
    const req = (url.protocol === 'https:' ? request : httpRequest)(url, options, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
        else resolve(text ? JSON.parse(text) : {});
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * Everything a controller shows anyone, by where: its log lines (and those of `others`, e.g. a service's),
 * every status file, and the admin's /debug pages. For asserting that no secret value is shown.
 */
export async function shownByController(gw: GatewayEnv, logs: CapturedLogs[]): Promise<Record<string, string>> {
  const dir = gw.controller.statusDir;
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
  const statuses = await Promise.all(files.map((f) => readFile(join(f.parentPath, f.name), 'utf8')));
  const debug = async (page: string) => (await httpGet(gw.controller.adminPort, `/debug/${page}`)).body;
  return {
    log: logs.map((l) => l.text()).join(''),
    'status files': statuses.join('\n---\n'),
    '/debug/statuses': await debug('statuses'),
    '/debug/problems': await debug('problems'),
    '/debug/ir': await debug('ir'),
  };
}

/** Fails naming where and which value shows, never the value itself (the failure is shown too). */
export function assertNotShown(shown: Record<string, string>, values: Record<string, string>): void {
  for (const [where, text] of Object.entries(shown)) {
    for (const [what, value] of Object.entries(values)) assert.ok(!text.includes(value), `${what} shows in the ${where}`);
  }
}
