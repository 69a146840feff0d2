// A real OpenBao (`bao`, the Vault API) server for tests, on a random loopback port, set up by vault/setup.sh
// (KV v2, PKI, the controller's policy and AppRole). Not a dev server: it keeps its data in a file store, so
// kill() and restart() are a real outage — the restarted server comes back sealed and, once unseal()ed,
// still holds every secret, CA and login. A missing `bao` fails the test with how to install it.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, requireBinary, startProcess, tempDir, waitFor, type AfterHook, type ProcessHandle } from './components.ts';

const SETUP = join(import.meta.dirname, '../../vault/setup.sh');

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

export async function startVault(t: AfterHook): Promise<VaultServer> {
  const bao = requireBinary('bao');
  const dir = await tempDir('vault', t);
  const port = await freePortWithNext();
  const address = `http://127.0.0.1:${port}`;
  const config = join(dir, 'server.hcl');
  await writeFile(config, `storage "file" { path = "${join(dir, 'data')}" }
listener "tcp" {
  address = "127.0.0.1:${port}"
  cluster_address = "127.0.0.1:${port + 1}"
  tls_disable = true
}
api_addr = "${address}"
cluster_addr = "http://127.0.0.1:${port + 1}"
disable_mlock = true
`);
  const api = async (method: string, path: string, body?: unknown, token?: string) => {
    const res = await fetch(`${address}/v1/${path}`, { method, headers: token ? { 'X-Vault-Token': token } : {}, ...(body !== undefined && { body: JSON.stringify(body) }) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json().catch(() => ({}))) as Record<string, any>;
  };
  const start = () =>
    startProcess(bao, ['server', `-config=${config}`, '-log-level=warn'], {
      cwd: dir,
      env: { HOME: dir },
      timeoutMs: 45_000,
      // Any answer: it listens (sealed, until unsealed).
      readyWhen: async () => (await fetch(`${address}/v1/sys/health`)).status > 0,
    });
  let proc = await start();
  t.after(() => proc.stop());
  const init = await api('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
  const rootToken = init.root_token as string;
  const unseal = async () => {
    await api('PUT', 'sys/unseal', { key: init.keys_base64[0] });
    await waitFor(async () => (await fetch(`${address}/v1/sys/health`)).status === 200, { timeoutMs: 30_000, what: 'OpenBao to be unsealed and active' });
  };
  await unseal();
  const env = { ...process.env, HOME: dir, VAULT_ADDR: address, VAULT_TOKEN: rootToken, PATH: `${bao.replace(/\/[^/]+$/, '')}:${process.env.PATH}` };
  await promisify(execFile)('bash', [SETUP, dir], { env });

  return {
    address,
    rootToken,
    files: { roleId: join(dir, 'role-id'), secretId: join(dir, 'secret-id') },
    ca: { cert: await readFile(join(dir, 'ca.crt'), 'utf8') },
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
  };
}
