// A real OpenBao (`bao`, the Vault API) dev server for tests: in memory, unsealed, on a random loopback port,
// set up by vault/setup.sh (KV v2, PKI with an imported CA, the controller's policy and AppRole). A missing
// `bao` fails the test with how to install it. restart() brings a killed server back on the same port with
// the same root token and CA, set up again (a dev server forgets everything when it stops).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, requireBinary, startProcess, tempDir, type AfterHook, type ProcessHandle } from './components.ts';
import { makeCa, type KeyPair } from './tls.ts';

const SETUP = join(import.meta.dirname, '../../vault/setup.sh');

export interface VaultServer {
  address: string;
  rootToken: string;
  /** vault/setup.sh's output: role-id, secret-id (AppRole files) and ca.crt. */
  files: { roleId: string; secretId: string };
  /** The PKI CA (imported by setup.sh): what clients of PKI-issued certificates trust. */
  ca: KeyPair;
  process(): ProcessHandle;
  /** SIGKILLs the server (an outage). */
  kill(): Promise<void>;
  /** Starts it again on the same port and runs the setup again. */
  restart(): Promise<void>;
  /** Writes a KV v2 secret (`path` below `secret/data/`). */
  kvPut(path: string, data: Record<string, string>): Promise<void>;
}

/** A free port whose successor is free too: a dev server puts its cluster listener on port + 1. */
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
  const rootToken = `portico-root-${process.pid}`;
  const ca = makeCa('portico-test-pki-ca');
  const bundle = join(dir, 'ca-bundle.pem');
  await writeFile(bundle, `${ca.cert}${ca.key}`, { mode: 0o600 });
  const env = { HOME: dir, BAO_ADDR: address, VAULT_ADDR: address, VAULT_TOKEN: rootToken, BAO_TOKEN: rootToken };

  const start = () =>
    startProcess(bao, ['server', '-dev', `-dev-listen-address=127.0.0.1:${port}`, `-dev-root-token-id=${rootToken}`, '-dev-no-store-token', '-log-level=warn'], {
      cwd: dir,
      env,
      timeoutMs: 45_000,
      readyWhen: async () => (await fetch(`${address}/v1/sys/health`)).status === 200,
    });
  const setup = async () => {
    await promisify(execFile)('bash', [SETUP, dir], { env: { ...process.env, ...env, PATH: `${bao.replace(/\/[^/]+$/, '')}:${process.env.PATH}`, PORTICO_VAULT_PKI_CA_BUNDLE: bundle } });
  };
  let proc = await start();
  t.after(() => proc.stop());
  await setup();

  return {
    address,
    rootToken,
    files: { roleId: join(dir, 'role-id'), secretId: join(dir, 'secret-id') },
    ca,
    process: () => proc,
    kill: async () => {
      process.kill(-proc.pid, 'SIGKILL');
      await proc.stop().catch(() => undefined); // it "died early": expected here
    },
    restart: async () => {
      proc = await start();
      await setup();
    },
    kvPut: async (path, data) => {
      const res = await fetch(`${address}/v1/secret/data/${path}`, { method: 'POST', headers: { 'X-Vault-Token': rootToken }, body: JSON.stringify({ data }) });
      if (!res.ok) throw new Error(`writing secret/data/${path}: ${res.status} ${await res.text()}`);
    },
  };
}
