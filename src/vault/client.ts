// The one way Portico talks to Vault (or OpenBao: the same HTTP API): a node-vault client configured from
// VaultOptions (address, namespace, auth, TLS), with typed read/list/write. node-vault types everything as
// `any`; this module is where its answers get their shapes. Every failure becomes a VaultError naming the
// address and the path; a 403 on a token we can replace is retried once with a fresh token.
import createVault from 'node-vault';
import type NodeVault from 'node-vault';
import { ConfigError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { readTlsFiles } from '../lib/tls-files.ts';
import { TokenKeeper, type VaultAuthOptions } from './auth.ts';
import { statusOf, vaultError } from './errors.ts';

export interface VaultOptions {
  /** Default: VAULT_ADDR, else `http://127.0.0.1:8200`. */
  address?: string;
  /** Vault Enterprise / OpenBao namespace, sent as X-Vault-Namespace (node-vault sets the header); default VAULT_NAMESPACE. */
  namespace?: string;
  /** Default: a token from VAULT_TOKEN. */
  auth?: VaultAuthOptions;
  /** PEM files for HTTPS: the CA of Vault's certificate, and a client certificate and key (TLS auth, mTLS). */
  tls?: { caFile?: string; certFile?: string; keyFile?: string; serverName?: string };
  /** Per request; default 10 s, so a hung Vault counts as down instead of stalling the poll. */
  timeoutMs?: number;
}

export class VaultClient {
  readonly #vault: NodeVault.client;
  readonly #keeper: TokenKeeper;
  readonly #shown: string;

  constructor(opts: VaultOptions, logger: Logger) {
    const address = (opts.address ?? process.env.VAULT_ADDR ?? 'http://127.0.0.1:8200').replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+/.test(address)) throw new ConfigError(`Vault address '${address}' must be an http:// or https:// URL (e.g. https://vault.example.com:8200)`);
    // Vault's own VAULT_NAMESPACE convention, as for VAULT_ADDR and VAULT_TOKEN.
    const namespace = opts.namespace ?? process.env.VAULT_NAMESPACE ?? '';
    this.#shown = `${address}${namespace ? ` (namespace ${namespace})` : ''}`;
    this.#vault = createVault({
      endpoint: address,
      namespace,
      // node-vault merges these into every request: the TLS files, and axios' timeout. strictSSL: node-vault
      // would turn certificate checks off when VAULT_SKIP_VERIFY is set; Portico never does that silently.
      requestOptions: { ...tlsFiles(opts.tls), strictSSL: true, timeout: opts.timeoutMs ?? 10_000 },
    });
    this.#keeper = new TokenKeeper({ auth: opts.auth ?? { method: 'token' }, vault: this.#vault, address: this.#shown, logger });
  }

  /** `https://vault:8200 (namespace team-a)`: safe to log. */
  describe(): string {
    return this.#shown;
  }

  /** The `data` of a read; undefined when nothing is there (404). */
  async read<T>(path: string, needs = 'read'): Promise<T | undefined> {
    const answer = await this.#call({ doing: 'reading', path, needs }, () => this.#vault.read(path), true);
    return (answer as { data?: T } | undefined)?.data;
  }

  /** The keys of a LIST (folders end in `/`); empty when nothing is there (404). */
  async list(path: string): Promise<string[]> {
    const answer = await this.#call({ doing: 'listing', path, needs: 'list' }, () => this.#vault.list(path), true);
    const keys = (answer as { data?: { keys?: unknown } } | undefined)?.data?.keys;
    return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
  }

  /** The `data` of a write's answer (e.g. an issued certificate). */
  async write<T>(path: string, body: Record<string, unknown>, needs = 'update'): Promise<T> {
    const answer = await this.#call({ doing: 'writing', path, needs }, () => this.#vault.write(path, body), false);
    return (answer as { data: T }).data;
  }

  stop(): void {
    this.#keeper.stop();
  }

  async #call(action: { doing: string; path: string; needs: string }, request: () => Promise<unknown>, notFoundIsEmpty: boolean): Promise<unknown> {
    const attempt = async () => {
      await this.#keeper.ready();
      return request();
    };
    try {
      try {
        return await attempt();
      } catch (err) {
        // An expired or revoked token: one retry with a fresh one (a new login, the file read again).
        if (statusOf(err) === 403 && this.#keeper.refused()) return await attempt();
        throw err;
      }
    } catch (err) {
      if (notFoundIsEmpty && statusOf(err) === 404) return undefined;
      throw vaultError(err, action, this.#shown);
    }
  }
}

/** node-vault's request options for HTTPS: it passes ca/cert/key to its https agent, agentOptions too. */
function tlsFiles(tls: VaultOptions['tls']): Record<string, unknown> {
  const { servername, ...pem } = readTlsFiles('Vault', tls);
  if (Boolean(pem.cert) !== Boolean(pem.key)) throw new ConfigError('Vault TLS: certFile and keyFile go together (a client certificate needs its key)');
  return { ...pem, ...(servername && { agentOptions: { servername } }) };
}
