// Where the controller's xDS serving certificate comes from, kept fresh while the controller runs: files
// given by flags (re-read when they change), or Vault PKI (issued at start, renewed at two thirds of its
// lifetime by the same issuer as the listeners' certificates). Either way the ADS server serves the new
// certificate to new connections without a restart.
import { ConfigError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { TLS_SECRET_TYPE } from '../api/core-types.ts';
import { ServingCertificate, watchCertificateFiles, type CertificateFiles, type ServingPems } from '../xds/server/serving-certificate.ts';
import type { SecretResource } from '../providers/secrets/secret.ts';
import { PkiIssuer, type VaultWriter } from '../providers/secrets/vault-pki.ts';

export type XdsTlsSource =
  /** PEM contents read at start; with `files`, re-read when they change. */
  | { pems: ServingPems; files?: CertificateFiles }
  /** Issued by `<mount>/issue/<role>` for `names` (the first is the common name); `ca` is the client CA (mutual TLS), read at start. */
  | { vault: { mount: string; role: string; names: string[]; ca?: string; /** Requested lifetime; default: the role's. */ ttlSeconds?: number } };

export interface XdsCertificate {
  serving: ServingCertificate;
  /** Why the serving certificate cannot be issued or renewed now (Vault). */
  problem(): string | undefined;
  stop(): void;
}

export function xdsCertificate(source: XdsTlsSource, vault: VaultWriter | undefined, log: Logger): XdsCertificate {
  if ('pems' in source) {
    const serving = new ServingCertificate(source.pems);
    const stop = source.files ? watchCertificateFiles(serving, source.files, log) : () => {};
    return { serving, problem: () => undefined, stop };
  }
  const { mount, role, names, ca, ttlSeconds } = source.vault;
  if (!vault) throw new ConfigError('--xds-tls-vault-role needs the Vault connection (--vault-address and a --vault-* login, or secrets.vault)');
  const serving = new ServingCertificate({ mutual: ca !== undefined });
  const issuer = new PkiIssuer({ client: vault, logger: log });
  issuer.start(({ resources }) => {
    // The issuer publishes the one TLS Secret asked for.
    const data = (resources as SecretResource[]).find((r) => r.spec.type === TLS_SECRET_TYPE)?.spec.stringData;
    if (!data?.['tls.crt'] || !data['tls.key']) return;
    const why = serving.update({ cert: data['tls.crt'], key: data['tls.key'], ...(ca && { ca }) });
    if (why) log.error(`xDS TLS: the certificate Vault issued is not used (${why})`);
  });
  issuer.want([{ namespace: 'portico', secretName: 'xds-serving-certificate', mount, role, commonName: names[0]!, altNames: names.slice(1).sort(), ...(ttlSeconds && { ttlSeconds }), requestedBy: ["the controller's xDS server"] }]);
  return {
    serving,
    problem: () => issuer.problem()?.replace(/^Vault PKI:/, 'xDS serving certificate from Vault PKI:'),
    stop: () => issuer.stop(),
  };
}
