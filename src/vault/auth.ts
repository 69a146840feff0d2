// How the controller gets, keeps and replaces its Vault token: a token (value or VAULT_TOKEN), a token file,
// Vault Agent's token sink file, or an AppRole login (role_id and secret_id read from files). Tokens we
// obtained ourselves are renewed at two thirds of their TTL; when renewal fails or the token reaches its
// max TTL, we get a fresh one (log in again, read the file again). A sink file belongs to Vault Agent, which
// renews and replaces the token: we only follow the file. Tokens and secret_ids are never logged.
import { unwatchFile, watchFile } from 'node:fs';
import type NodeVault from 'node-vault';
import { ConfigError } from '../lib/errors.ts';
import { readSecretFile } from '../lib/secret-file.ts';
import type { Logger } from '../lib/logger.ts';
import { vaultError } from './errors.ts';

export type VaultAuthOptions =
  /** A token value; without one, the VAULT_TOKEN variable (Vault's own convention). */
  | { method: 'token'; token?: string }
  /** A token written to a file by someone else; read again when the token stops working. */
  | { method: 'tokenFile'; file: string }
  /** Vault Agent's token sink: Agent renews and rewrites it; we read it again whenever it changes. */
  | { method: 'agentSink'; file: string }
  | { method: 'appRole'; roleIdFile: string; secretIdFile: string; /** default `approle` */ mount?: string };

export interface TokenKeeperOptions {
  auth: VaultAuthOptions;
  vault: NodeVault.client;
  /** Vault's address, for messages. */
  address: string;
  logger: Logger;
  /** How often the sink file is checked for a new token (default 1 s). */
  sinkPollMs?: number;
}

/** Fraction of a token's TTL after which it is renewed. */
const RENEW_AT = 2 / 3;

export class TokenKeeper {
  readonly #opts: TokenKeeperOptions;
  #obtaining?: Promise<void>;
  #hasToken = false;
  #renewTimer?: NodeJS.Timeout;
  /** The TTL the token was created with: a renewal granting less means its max TTL is near. */
  #creationTtl = 0;
  #stopped = false;

  constructor(opts: TokenKeeperOptions) {
    this.#opts = opts;
    if (opts.auth.method === 'agentSink') {
      const file = opts.auth.file;
      watchFile(file, { interval: opts.sinkPollMs ?? 1000, persistent: false }, () => this.#followSink(file));
    }
  }

  /** Resolves once the client holds a token (obtaining one if needed); rejects with a VaultError. */
  ready(): Promise<void> {
    if (this.#hasToken) return Promise.resolve();
    this.#obtaining ??= this.#obtain().finally(() => (this.#obtaining = undefined));
    return this.#obtaining;
  }

  /** The token was refused (403): drop it, so the next ready() gets a fresh one. False when that cannot help. */
  refused(): boolean {
    if (this.#opts.auth.method === 'token') return false;
    this.#hasToken = false;
    return true;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#renewTimer);
    if (this.#opts.auth.method === 'agentSink') unwatchFile(this.#opts.auth.file);
  }

  async #obtain(): Promise<void> {
    const auth = this.#opts.auth;
    switch (auth.method) {
      case 'token': {
        const token = auth.token ?? process.env.VAULT_TOKEN;
        if (!token) throw new ConfigError('Vault: no token (set secrets.vault.token, tokenFile, agentSinkFile or appRole, or VAULT_TOKEN)');
        this.#useToken(token);
        break;
      }
      case 'tokenFile':
        this.#useToken(readSecretFile(auth.file, 'Vault token file'));
        break;
      case 'agentSink':
        this.#useToken(readSecretFile(auth.file, 'Vault Agent sink file'));
        return; // Agent renews it
      case 'appRole':
        await this.#appRoleLogin(auth);
        break;
    }
    await this.#scheduleRenewal();
  }

  /** Agent rewrote the sink (a new token); while it is absent or empty, the last token stays in use. */
  #followSink(file: string): void {
    try {
      this.#useToken(readSecretFile(file, 'Vault Agent sink file'));
      this.#opts.logger.info({ vault: this.#opts.address, file }, 'Vault: new token from the Agent sink file');
    } catch (err) {
      this.#opts.logger.warn({ vault: this.#opts.address }, `${(err as Error).message}; keeping the last token`);
    }
  }

  #useToken(token: string): void {
    this.#opts.vault.token = token;
    this.#hasToken = true;
  }

  async #appRoleLogin(auth: Extract<VaultAuthOptions, { method: 'appRole' }>): Promise<void> {
    const mount = auth.mount ?? 'approle';
    const body = { role_id: readSecretFile(auth.roleIdFile, 'AppRole role_id file'), secret_id: readSecretFile(auth.secretIdFile, 'AppRole secret_id file') };
    try {
      const answer = (await this.#opts.vault.approleLogin({ ...body, mount_point: mount })) as { auth?: { client_token?: string } };
      const token = answer.auth?.client_token;
      if (!token) throw new Error('the login answer holds no client_token');
      this.#useToken(token);
      this.#opts.logger.info({ vault: this.#opts.address, mount }, 'Vault: logged in with AppRole');
    } catch (err) {
      throw vaultError(err, { doing: 'logging in with AppRole via', path: `auth/${mount}/login`, needs: 'update' }, this.#opts.address);
    }
  }

  /** Renews at 2/3 of the TTL when the token is renewable and expires (root tokens do not). */
  async #scheduleRenewal(): Promise<void> {
    clearTimeout(this.#renewTimer);
    let data: { ttl?: number; creation_ttl?: number; renewable?: boolean };
    try {
      data = ((await this.#opts.vault.tokenLookupSelf()) as { data?: typeof data }).data ?? {};
    } catch (err) {
      this.#hasToken = false;
      throw vaultError(err, { doing: 'looking up the token via', path: 'auth/token/lookup-self', needs: 'read' }, this.#opts.address);
    }
    if (!data.ttl) return;
    this.#creationTtl = data.creation_ttl ?? data.ttl;
    const renew = data.renewable ? () => this.#renew() : () => this.#replace('the token is not renewable');
    this.#armRenewal(data.ttl, renew);
  }

  #armRenewal(ttlSeconds: number, action: () => void): void {
    if (this.#stopped) return;
    clearTimeout(this.#renewTimer);
    this.#renewTimer = setTimeout(action, Math.max(1, ttlSeconds * RENEW_AT) * 1000);
    this.#renewTimer.unref();
  }

  async #renew(): Promise<void> {
    try {
      const answer = (await this.#opts.vault.tokenRenewSelf({})) as { auth?: { lease_duration?: number; renewable?: boolean } };
      const ttl = answer.auth?.lease_duration ?? 0;
      this.#opts.logger.debug({ vault: this.#opts.address, ttlSeconds: ttl }, 'Vault: token renewed');
      // Near its max TTL Vault renews for what is left only: replace it before it runs out.
      const capped = answer.auth?.renewable === false || ttl < this.#creationTtl;
      if (ttl > 0) this.#armRenewal(ttl, capped ? () => this.#replace('the token reached its max TTL') : () => void this.#renew());
    } catch (err) {
      this.#replace(vaultError(err, { doing: 'renewing the token via', path: 'auth/token/renew-self', needs: 'update' }, this.#opts.address).message);
    }
  }

  /** Drops the token so the next request gets a fresh one (a new login, the file read again). */
  #replace(why: string): void {
    if (this.#stopped) return;
    if (this.#opts.auth.method === 'token') {
      this.#opts.logger.warn({ vault: this.#opts.address }, `Vault: ${why}; a fixed token cannot be replaced, use appRole, tokenFile or agentSinkFile`);
      return;
    }
    this.#opts.logger.info({ vault: this.#opts.address }, `Vault: ${why}; getting a fresh token`);
    this.#hasToken = false;
    this.ready().catch((err: Error) => this.#opts.logger.error({ vault: this.#opts.address }, `Vault: ${err.message}; retrying with the next request`));
  }
}
