// A server's own certificate (and the CA its clients' certificates must chain to), replaceable while it runs:
// the ADS server's (the credentials below hand each update to grpc-js's TLS server, whose watcher calls
// `setSecureContext`) and the admin endpoint's (through onChange). A renewed certificate is served to every new
// connection without a restart; the connections already open keep theirs. Updates come from the certificate
// files (re-read when they change) or from Vault PKI (renewed before it expires). A pair that does not check
// out never replaces the one serving: a rotation half written to disk must not take the endpoint down.
import { unwatchFile, watchFile, readFileSync } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { checkKeyPair, fingerprintOf } from '../../lib/certificates.ts';
import { ConfigError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';

/** PEM texts. With `ca`, clients must present a certificate it signed (mutual TLS). */
export interface ServingPems {
  cert: string;
  key: string;
  ca?: string;
}

/**
 * grpc-js's server credentials with their secure context replaceable (`updateSecureContextOptions` is how its
 * own certificate-provider credentials do it). Unlike those, the first certificate is there at bind, so no
 * connection is ever dropped for want of one.
 */
class RenewableCredentials extends grpc.ServerCredentials {
  /** Without `initial`, grpc-js closes every connection until the first renew(). */
  constructor(mutual: boolean, initial: SecureContextOptions | undefined) {
    super({ requestCert: mutual, rejectUnauthorized: mutual }, initial);
  }

  renew(options: SecureContextOptions): void {
    this.updateSecureContextOptions(options);
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export class ServingCertificate {
  #pems?: ServingPems;
  #credentials?: RenewableCredentials;
  readonly #listeners: ((pems: ServingPems) => void)[] = [];
  /** Whether clients must present a certificate: fixed at start, as the server's TLS options are. */
  readonly mutual: boolean;
  /** Names the endpoint in messages, e.g. `xDS TLS`, `admin TLS`. */
  readonly name: string;

  /** With `initial` (checked now); or `{ mutual }` alone: none yet (one is being issued), connections are closed until update(). */
  constructor(initial: ServingPems | { mutual: boolean }, name = 'xDS TLS') {
    this.name = name;
    if ('cert' in initial) {
      const why = problemOf(initial);
      if (why) throw new ConfigError(`${name}: ${why}`);
      this.#pems = initial;
    }
    this.mutual = 'cert' in initial ? initial.ca !== undefined : initial.mutual;
  }

  /** What serves now (undefined before the first certificate). */
  get pems(): ServingPems | undefined {
    return this.#pems;
  }

  /** Serves `next` to new connections; returns why not (and keeps the current one) when it does not check out. */
  update(next: ServingPems): string | undefined {
    const why = problemOf(next) ?? (this.mutual && !next.ca ? 'the client CA is missing (mutual TLS stays on)' : undefined);
    if (why) return why;
    this.#pems = next;
    for (const listener of this.#listeners) listener(next);
    return undefined;
  }

  /** Calls `listener` with each certificate update() accepts (an HTTPS server's setSecureContext, say). */
  onChange(listener: (pems: ServingPems) => void): void {
    this.#listeners.push(listener);
  }

  /** The gRPC server credentials that follow this certificate (one server binds them). */
  credentials(): grpc.ServerCredentials {
    if (!this.#credentials) {
      const credentials = new RenewableCredentials(this.mutual, this.#pems && contextOptions(this.#pems));
      this.onChange((pems) => credentials.renew(contextOptions(pems)));
      this.#credentials = credentials;
    }
    return this.#credentials;
  }
}

/** The TLS options of a certificate, for grpc-js or node:https (`setSecureContext`). */
export function contextOptions(p: ServingPems): SecureContextOptions {
  return { cert: p.cert, key: p.key, ...(p.ca && { ca: p.ca }) };
}

function problemOf(p: ServingPems): string | undefined {
  const check = checkKeyPair(p.cert, p.key);
  if (!check.ok) return `the ${check.field === 'tls.crt' ? 'certificate' : 'private key'} ${check.message}`;
  if (p.ca !== undefined && fingerprintOf(p.ca) === 'not a certificate') return 'the client CA is not a PEM certificate';
  return undefined;
}

export interface CertificateFiles {
  cert: string;
  key: string;
  ca?: string;
}

/**
 * Re-reads the files when one of them changes (stat polling: it follows a file replaced by a rename, as
 * cert-manager, Vault Agent and Nomad templates write them) and serves the new pair. Returns the stop function.
 */
export function watchCertificateFiles(serving: ServingCertificate, files: CertificateFiles, log: Logger, intervalMs = 2000): () => void {
  const paths = [files.cert, files.key, ...(files.ca ? [files.ca] : [])];
  const reload = () => {
    let next: ServingPems;
    try {
      next = { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8'), ...(files.ca && { ca: readFileSync(files.ca, 'utf8') }) };
    } catch (err) {
      log.warn({ error: (err as NodeJS.ErrnoException).code ?? (err as Error).message }, `${serving.name}: a certificate file cannot be read; the current certificate keeps serving`);
      return;
    }
    const now = serving.pems;
    if (now && next.cert === now.cert && next.key === now.key && next.ca === now.ca) return;
    const why = serving.update(next);
    if (why) log.warn({ files: paths }, `${serving.name}: the changed files are not used (${why}); the current certificate keeps serving`);
    else log.info({ fingerprint: fingerprintOf(next.cert) }, `${serving.name}: serving the renewed certificate from its files`);
  };
  for (const p of paths) watchFile(p, { interval: intervalMs, persistent: false }, reload);
  return () => {
    for (const p of paths) unwatchFile(p, reload);
  };
}
