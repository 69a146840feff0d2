// The Vault side of the controller when `secrets.vault` is set: one client (address, namespace, auth, TLS),
// the KV v2 secret source and the PKI issuer for listener certificates, both publishing Secrets into the store.
import type { CertificateRequest } from '../api/certificate-request.ts';
import type { PkiRoleGrant } from '../gatewayapi/pki-roles.ts';
import type { Logger } from '../lib/logger.ts';
import { ConfigError } from '../lib/errors.ts';
import { VaultSecretProvider, type VaultKvOptions } from '../providers/secrets/vault.ts';
import type { VaultAuthOptions } from '../vault/auth.ts';
import { VaultClient, type VaultOptions } from '../vault/client.ts';
import { PkiIssuer } from '../providers/secrets/vault-pki.ts';
import type { VaultConfig } from './config.ts';

export interface ControllerVaultOptions extends VaultOptions {
  kv?: VaultKvOptions;
  /** `pki.roles`: who may use which PKI role (the translator checks it); absent: DEFAULT_PKI_ROLES. */
  pkiRoles?: readonly PkiRoleGrant[];
}

export interface VaultParts {
  /** The one logged-in client, for the other Vault users of the controller (its own xDS certificate). */
  client: VaultClient;
  /** Two resource sources (started and stopped with the others: app/sources.ts); the issuer also takes the certificates wanted. */
  kv: VaultSecretProvider;
  pki: PkiIssuer;
  /** Logs the client out, once the sources and the xDS certificate have stopped. */
  stop(): void;
}

export function vaultParts(opts: ControllerVaultOptions, logger: Logger): VaultParts {
  const client = new VaultClient(opts, logger.child({ component: 'vault' }));
  const log = logger.child({ vault: client.describe() });
  const kv = new VaultSecretProvider({ ...opts.kv, client, logger: log.child({ component: 'vault-kv-source' }) });
  const pki = new PkiIssuer({ client, logger: log.child({ component: 'vault-pki' }) });
  return {
    client,
    kv,
    pki,
    stop: () => client.stop(),
  };
}

/**
 * Where the certificates the translator names go: to the PKI issuer, or, without Vault, nowhere — said once
 * in the log, so a listener waiting for its certificate is not a mystery.
 */
export function certificateWants(vault: VaultParts | undefined, logger: Logger): (requests: CertificateRequest[]) => void {
  if (vault) return (requests) => vault.pki.want(requests);
  let warned = false;
  return (requests) => {
    if (!requests.length || warned) return;
    warned = true;
    logger.warn({ requestedBy: requests.flatMap((r) => r.requestedBy) }, 'Vault PKI certificates are asked for (portico.dev/vault-pki-role), but secrets.vault is not configured');
  };
}

/** portico.yaml's `secrets.vault` (with flags on top) → the controller's options; one auth method at most. */
export function vaultOptionsFrom(c: VaultConfig): ControllerVaultOptions {
  const methods: [string, VaultAuthOptions | undefined][] = [
    ['token', c.token === undefined ? undefined : { method: 'token', token: c.token }],
    ['tokenFile', c.tokenFile === undefined ? undefined : { method: 'tokenFile', file: c.tokenFile }],
    ['agentSinkFile', c.agentSinkFile === undefined ? undefined : { method: 'agentSink', file: c.agentSinkFile }],
    ['appRole', c.appRole && { method: 'appRole', ...c.appRole }],
  ];
  const given = methods.filter(([, m]) => m !== undefined);
  if (given.length > 1) throw new ConfigError(`secrets.vault: one auth method at a time, but ${given.map(([name]) => name).join(' and ')} are set`);
  const kv = c.kv && { ...(c.kv.mount && { mount: c.kv.mount }), ...(c.kv.rootKey && { rootKey: c.kv.rootKey }), ...(c.kv.intervalSeconds && { intervalMs: c.kv.intervalSeconds * 1000 }) };
  return {
    ...(c.address && { address: c.address }),
    ...(c.namespace && { namespace: c.namespace }),
    ...(given[0]?.[1] && { auth: given[0][1] }),
    ...(c.tls && { tls: c.tls }),
    ...(kv && { kv }),
    ...(c.pki?.roles && { pkiRoles: c.pki.roles }),
  };
}
