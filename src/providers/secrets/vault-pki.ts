// Issues the certificates Gateway listeners ask Vault PKI for (CertificateRequests from the translator) and
// publishes each as a TLS Secret into the store, like a secret source: the translator then serves it by SDS.
// A certificate is renewed at two thirds of its lifetime; the old one keeps serving until the new one is in
// the store (then Envoy gets only the new SDS Secret). When Vault fails, the old one keeps serving, the
// issuer retries with back-off, reports the outage as its problem(), and logs an error saying when the
// serving certificate expires — from the first failed renewal, a third of its lifetime before it does.
import { issuePath, type CertificateRequest } from '../../api/certificate-request.ts';
import { Backoff } from '../../lib/backoff.ts';
import { checkKeyPair, fingerprintOf, notAfterOf } from '../../lib/certificates.ts';
import { VaultError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { SourceSnapshot } from '../../api/source.ts';
import { secretResource, type SecretResource } from './secret.ts';
import type { VaultClient } from '../../vault/client.ts';

/** Fraction of a certificate's lifetime after which it is renewed. */
const RENEW_AT = 2 / 3;

interface Issued {
  request: CertificateRequest;
  secret?: SecretResource;
  /** ms since the epoch */
  notAfter?: number;
  timer?: NodeJS.Timeout;
  backoff: Backoff;
  problem?: string;
}

/** What `<mount>/issue/<role>` answers (the fields Portico uses). */
interface IssueAnswer {
  certificate: string;
  private_key: string;
  issuing_ca?: string;
  ca_chain?: string[];
}

/** What the issuer needs of the client (tests give it a fake). */
export type VaultWriter = Pick<VaultClient, 'write'>;

export class PkiIssuer {
  readonly #client: VaultWriter;
  readonly #log: Logger;
  readonly #issued = new Map<string, Issued>();
  #onSnapshot: (snap: SourceSnapshot) => void = () => {};
  #stopped = false;

  constructor(opts: { client: VaultWriter; logger: Logger }) {
    this.#client = opts.client;
    this.#log = opts.logger;
  }

  start(onSnapshot: (snap: SourceSnapshot) => void): void {
    this.#onSnapshot = onSnapshot;
  }

  stop(): void {
    this.#stopped = true;
    for (const i of this.#issued.values()) clearTimeout(i.timer);
  }

  /** The certificates wanted now: new ones are issued, ones no listener wants any more are dropped. */
  want(requests: CertificateRequest[]): void {
    const wanted = new Map(requests.map((r) => [`${r.namespace}/${r.secretName}`, r]));
    let dropped = false;
    for (const [key, issued] of this.#issued) {
      if (wanted.has(key)) continue;
      clearTimeout(issued.timer);
      this.#issued.delete(key);
      dropped = true;
    }
    for (const [key, request] of wanted) {
      const known = this.#issued.get(key);
      if (known) {
        known.request = request; // who asks may change; what is asked for is in the key
        continue;
      }
      const issued: Issued = { request, backoff: new Backoff({ initialMs: 1000, maxMs: 30_000 }) };
      this.#issued.set(key, issued);
      void this.#issue(issued);
    }
    if (dropped) this.#publish();
  }

  /** Why some certificate cannot be issued or renewed right now (undefined when all are fine). */
  problem(): string | undefined {
    const problems = [...this.#issued.values()].flatMap((i) => (i.problem ? [i.problem] : []));
    return problems.length ? `Vault PKI: ${problems.join('; ')}` : undefined;
  }

  async #issue(issued: Issued): Promise<void> {
    const { request } = issued;
    const path = issuePath(request);
    try {
      const answer = await this.#client.write<IssueAnswer>(path, {
        common_name: request.commonName,
        ...(request.altNames.length && { alt_names: request.altNames.join(',') }),
        ...(request.ttlSeconds && { ttl: `${request.ttlSeconds}s` }),
      });
      if (this.#stopped || !this.#isCurrent(issued)) return;
      this.#store(issued, answer, path);
    } catch (err) {
      if (this.#stopped || !this.#isCurrent(issued)) return;
      this.#failed(issued, err instanceof VaultError ? err.message : `issuing from ${path}: ${(err as Error).message}`);
    }
  }

  #store(issued: Issued, answer: IssueAnswer, path: string): void {
    const { request } = issued;
    const chain = [answer.certificate, ...(answer.ca_chain ?? (answer.issuing_ca ? [answer.issuing_ca] : []))].map((pem) => pem.trim()).join('\n');
    // Checked before it can reach the store: Vault answering with a broken pair must not replace a good one.
    const check = checkKeyPair(chain, answer.private_key);
    if (!check.ok) return this.#failed(issued, `the certificate ${path} issued for ${request.commonName} is unusable: ${check.field} ${check.message}`);
    const issuedAt = Date.now();
    const notAfter = notAfterOf(answer.certificate) ?? issuedAt;
    issued.secret = secretResource(request.namespace, request.secretName, { 'tls.crt': chain, 'tls.key': answer.private_key, ...(answer.issuing_ca && { 'ca.crt': answer.issuing_ca }) }, { key: path });
    issued.notAfter = notAfter;
    if (issued.problem) this.#log.info({ commonName: request.commonName, path }, `Vault PKI: issuing for ${request.commonName} works again`);
    issued.problem = undefined;
    issued.backoff.reset();
    const renewInMs = Math.max(1000, (notAfter - issuedAt) * RENEW_AT);
    this.#log.info({ commonName: request.commonName, path, notAfter: new Date(notAfter).toISOString(), renewInMs: Math.round(renewInMs), fingerprint: fingerprintOf(answer.certificate) }, `Vault PKI: certificate issued for ${request.commonName}`);
    this.#arm(issued, renewInMs);
    this.#publish();
  }

  /** The old certificate keeps serving; the error says until when, so someone can act before it runs out. */
  #failed(issued: Issued, why: string): void {
    const retryInMs = issued.backoff.next();
    const { commonName } = issued.request;
    const left = issued.notAfter === undefined ? undefined : issued.notAfter - Date.now();
    const serving = left === undefined ? 'no certificate yet, the listener is not served' : left > 0 ? `the current certificate serves until ${new Date(issued.notAfter as number).toISOString()} (${Math.round(left / 1000)} s from now)` : 'the current certificate HAS EXPIRED';
    const problem = `${why}; ${serving}`;
    if (issued.problem === undefined || left !== undefined) {
      this.#log.error({ commonName, retryInMs, ...(issued.notAfter && { notAfter: new Date(issued.notAfter).toISOString() }) }, `Vault PKI: ${left === undefined ? 'issuing' : 'renewing'} the certificate for ${commonName} failed: ${problem}; retrying in ${Math.round(retryInMs / 1000)} s`);
    }
    issued.problem = problem;
    this.#arm(issued, retryInMs);
  }

  #arm(issued: Issued, delayMs: number): void {
    clearTimeout(issued.timer);
    issued.timer = setTimeout(() => void this.#issue(issued), delayMs);
    issued.timer.unref();
  }

  #isCurrent(issued: Issued): boolean {
    return this.#issued.get(`${issued.request.namespace}/${issued.request.secretName}`) === issued;
  }

  #publish(): void {
    const resources = [...this.#issued.values()].flatMap((i) => (i.secret ? [i.secret] : []));
    this.#onSnapshot({ resources, rejected: [] });
  }
}
