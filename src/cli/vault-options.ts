// Flags (and PORTICO_* variables) for Vault; they override the config file's `secrets.vault` block, and
// any of them (or the block) turns Vault on. The token has no flag (it would show in `ps`):
// PORTICO_VAULT_TOKEN, a token file, the Agent sink, AppRole, or Vault's own VAULT_TOKEN.
import { Option } from 'commander';
import type { VaultConfig } from '../app/config.ts';
import { ConfigError } from '../lib/errors.ts';

export function vaultOptions(): Option[] {
  const flag = (name: string, help: string) => new Option(`--vault-${name}`, help).env(`PORTICO_VAULT_${name.split(' ')[0]?.toUpperCase().replaceAll('-', '_')}`);
  return [
    flag('address <url>', 'Vault (or OpenBao) API, e.g. https://vault:8200; turns on Vault secrets and PKI (secrets.vault.address)'),
    flag('namespace <ns>', 'Vault namespace, sent as X-Vault-Namespace (secrets.vault.namespace)'),
    flag('token-file <file>', 'Vault token in a file, read again when it stops working (or PORTICO_VAULT_TOKEN / VAULT_TOKEN)'),
    flag('agent-sink-file <file>', "Vault Agent's token sink file, followed as Agent rewrites it"),
    flag('role-id-file <file>', 'AppRole login: the role_id file (with --vault-secret-id-file)'),
    flag('secret-id-file <file>', 'AppRole login: the secret_id file'),
    flag('ca-file <file>', "CA of Vault's HTTPS certificate (PEM)"),
    flag('cert-file <file>', 'client certificate for Vault (PEM)'),
    flag('key-file <file>', 'key of --vault-cert-file (PEM)'),
    flag('kv-mount <path>', 'KV v2 mount holding the secrets (default secret)'),
    flag('kv-root <path>', 'folder below the mount: <mount>/data/<root>/<namespace>/<name> (default portico)'),
    flag('poll-interval <seconds>', 'how often Vault KV is checked for new secret versions (default 10)'),
  ];
}

/** What the Vault flags given set, in the shape of `secrets.vault`; undefined when none is given. */
export function vaultOverrides(given: (name: string) => string | undefined): VaultConfig | undefined {
  const roleIdFile = given('vaultRoleIdFile');
  const secretIdFile = given('vaultSecretIdFile');
  if (Boolean(roleIdFile) !== Boolean(secretIdFile)) throw new ConfigError('--vault-role-id-file and --vault-secret-id-file go together (an AppRole login needs both)');
  const interval = given('vaultPollInterval');
  const intervalSeconds = interval === undefined ? undefined : Number(interval);
  if (intervalSeconds !== undefined && !(Number.isInteger(intervalSeconds) && intervalSeconds >= 1 && intervalSeconds <= 3600)) {
    throw new ConfigError(`--vault-poll-interval: '${interval}' is not a whole number of seconds from 1 to 3600`);
  }
  const tls = { caFile: given('vaultCaFile'), certFile: given('vaultCertFile'), keyFile: given('vaultKeyFile') };
  const kv = { mount: given('vaultKvMount'), rootKey: given('vaultKvRoot'), intervalSeconds };
  const out: VaultConfig = {
    address: given('vaultAddress'),
    namespace: given('vaultNamespace'),
    token: process.env.PORTICO_VAULT_TOKEN || undefined,
    tokenFile: given('vaultTokenFile'),
    agentSinkFile: given('vaultAgentSinkFile'),
    ...(roleIdFile && secretIdFile && { appRole: { roleIdFile, secretIdFile } }),
    ...(Object.values(tls).some(Boolean) && { tls }),
    ...(Object.values(kv).some((v) => v !== undefined) && { kv }),
  };
  // Any of them, PORTICO_VAULT_TOKEN included, turns Vault on (at VAULT_ADDR or the default address).
  return Object.values(out).some((v) => v !== undefined) ? out : undefined;
}
