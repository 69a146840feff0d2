// Secrets from Vault KV v2: `<mount>/data/<rootKey>/<namespace>/<name>` is the Secret `<namespace>/<name>`,
// each key of its data one key of the Secret (tls.crt + tls.key make a TLS Secret, anything else Opaque), and
// the secret's custom_metadata its labels (what AuthConfigs select API keys by).
// KV v2 has no change feed, so the source polls: each round LISTs the namespaces and their secrets and reads
// every secret's metadata; only a secret whose current_version moved has its data read again. Labels come
// with the metadata, so a label change (which makes no new version) costs no data read either. A new
// version therefore reaches Envoy within one interval, as an SDS update only. While Vault cannot be reached
// the source publishes nothing new (the store and Envoy keep the last certificates), reports the outage as
// its problem(), retries with back-off, and warns about served certificates that will expire meanwhile.
import { setTimeout as sleep } from 'node:timers/promises';
import { TLS_SECRET_TYPE, type SecretSpec } from '../../api/core-types.ts';
import type { Rejected } from '../../api/parse.ts';
import { Backoff } from '../../lib/backoff.ts';
import { notAfterOf } from '../../lib/certificates.ts';
import type { Logger } from '../../lib/logger.ts';
import type { VaultClient } from '../../vault/client.ts';
import type { SourceSnapshot } from '../../api/source.ts';
import { keepGoodPair, secretKey, secretResource, withLabels, type SecretResource } from './secret.ts';

export interface VaultKvOptions {
  /** The KV v2 mount; default `secret`. */
  mount?: string;
  /** The folder below the mount holding `<namespace>/<name>`; default `portico`. */
  rootKey?: string;
  /** Between two polls; default 10 s. */
  intervalMs?: number;
  /** While Vault is away, a served certificate expiring within this is logged as an error; default 24 h. */
  expiryWarningMs?: number;
}

/** What the source needs of the client (tests give it a fake). */
export type VaultReader = Pick<VaultClient, 'read' | 'list' | 'describe'>;

interface Entry {
  version: number;
  /** What serves: this version, or the last good pair while this version's pair does not check out. */
  secret: SecretResource;
  /** Why this version does not serve; kept with the version, so it is reported for as long as it stands. */
  rejected?: Rejected;
}

/**
 * What `<mount>/metadata/<path>` answers (the fields Portico uses); deletion_time is '' while not deleted,
 * custom_metadata null while none is set.
 */
interface KvMetadata {
  current_version?: number;
  custom_metadata?: Record<string, unknown> | null;
  versions?: Record<string, { deletion_time?: string; destroyed?: boolean }>;
}

/** Metadata reads in flight at once during a poll. */
const CONCURRENCY = 8;

/** Kubernetes object names (DNS subdomain) and namespaces (DNS label). */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export class VaultSecretProvider {
  readonly #client: VaultReader;
  readonly #log: Logger;
  readonly #mount: string;
  readonly #root: string;
  readonly #intervalMs: number;
  readonly #expiryWarningMs: number;
  readonly #backoff: Backoff;
  readonly #stopping = new AbortController();
  #entries = new Map<string, Entry>();
  #published?: string;
  #problem?: string;
  #warned = new Set<string>();
  #loop?: Promise<void>;
  #onSnapshot: (snap: SourceSnapshot) => void = () => {};

  constructor(opts: VaultKvOptions & { client: VaultReader; logger: Logger }) {
    this.#client = opts.client;
    this.#log = opts.logger;
    this.#mount = (opts.mount ?? 'secret').replace(/^\/+|\/+$/g, '');
    this.#root = (opts.rootKey ?? 'portico').replace(/^\/+|\/+$/g, '');
    this.#intervalMs = opts.intervalMs ?? 10_000;
    this.#expiryWarningMs = opts.expiryWarningMs ?? 24 * 3600_000;
    this.#backoff = new Backoff({ initialMs: Math.min(1000, this.#intervalMs), maxMs: Math.max(this.#intervalMs, 30_000) });
  }

  /** Polls once (publishing what it read, or noting the failure), then keeps polling until stop(). */
  async start(onSnapshot: (snap: SourceSnapshot) => void): Promise<void> {
    this.#onSnapshot = onSnapshot;
    let delay = await this.#poll();
    this.#loop = (async () => {
      while (!this.#stopping.signal.aborted) {
        await sleep(delay, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
        if (!this.#stopping.signal.aborted) delay = await this.#poll();
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
  }

  /** Why the source is not following Vault right now (undefined while it is). */
  problem(): string | undefined {
    return this.#problem;
  }

  /** `secret/data/portico/default/shop`, the path a Secret comes from. */
  dataPath(namespace: string, name: string): string {
    return `${this.#mount}/data/${this.#root}/${namespace}/${name}`;
  }

  /** One round; returns how long to wait before the next. */
  async #poll(): Promise<number> {
    try {
      this.#entries = await this.#read();
      this.#recovered();
      this.#publish();
      return this.#intervalMs;
    } catch (err) {
      const retryInMs = this.#backoff.next();
      this.#failed(err as Error, retryInMs);
      return retryInMs;
    }
  }

  async #read(): Promise<Map<string, Entry>> {
    const meta = `${this.#mount}/metadata/${this.#root}`;
    const namespaces = (await this.#client.list(`${meta}/`)).filter((k) => k.endsWith('/')).map((k) => k.slice(0, -1));
    const next = new Map<string, Entry>();
    for (const namespace of namespaces.filter((ns) => this.#valid(NAMESPACE, ns, `${meta}/${ns}/`, 'namespace'))) {
      const names = (await this.#client.list(`${meta}/${namespace}/`)).filter((k) => !k.endsWith('/') && this.#valid(NAME, k, `${meta}/${namespace}/${k}`, 'Secret name'));
      // A few requests at a time: a large namespace must not open hundreds of connections to Vault at once.
      for (let i = 0; i < names.length; i += CONCURRENCY) {
        const entries = await Promise.all(names.slice(i, i + CONCURRENCY).map((name) => this.#entry(namespace, name)));
        for (const e of entries) if (e) next.set(secretKey(e.secret), e);
      }
    }
    return next;
  }

  /** A secret whose current version was read before is not read again; a deleted current version is gone. */
  async #entry(namespace: string, name: string): Promise<Entry | undefined> {
    const meta = await this.#client.read<KvMetadata>(`${this.#mount}/metadata/${this.#root}/${namespace}/${name}`);
    const version = meta?.current_version ?? 0;
    const current = meta?.versions?.[String(version)];
    if (current?.destroyed || current?.deletion_time) return undefined;
    const labels = labelsOf(meta?.custom_metadata);
    const previous = this.#entries.get(`${namespace}/${name}`);
    if (previous && previous.version === version) return sameLabels(previous.secret, labels) ? previous : { ...previous, secret: withLabels(previous.secret, labels) };
    const path = this.dataPath(namespace, name);
    const data = await this.#client.read<{ data?: Record<string, unknown> }>(path);
    if (!data?.data) return undefined;
    const stringData: SecretSpec['stringData'] = {};
    for (const [key, value] of Object.entries(data.data).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (typeof value === 'string') stringData[key] = value;
      else this.#log.warn({ path, key }, `Vault secret ${path}: key ${key} is not a string and is left out`);
    }
    const fresh = withLabels(secretResource(namespace, name, stringData, { key: path }), labels);
    const rejected: Rejected[] = [];
    const secret = keepGoodPair(fresh, previous?.secret, (key) => ({ key: `${path}#${key}` }), rejected);
    return { version, secret, ...(rejected[0] && { rejected: rejected[0] }) };
  }

  #valid(pattern: RegExp, value: string, path: string, what: string): boolean {
    if (pattern.test(value)) return true;
    this.#log.warn({ path }, `Vault path ${path} is left out: '${value}' is not a valid ${what} (lowercase letters, digits, '-'${what === 'namespace' ? '' : ", '.'"})`);
    return false;
  }

  #publish(): void {
    const entries = [...this.#entries.values()];
    const resources = entries.map((e) => e.secret);
    const rejected = entries.flatMap((e) => (e.rejected ? [e.rejected] : []));
    // The versions and labels say everything that can change what is served: no need to hash the values.
    const fingerprint = JSON.stringify([...this.#entries].map(([k, e]) => [k, e.version, e.secret.metadata.labels ?? {}]));
    if (fingerprint === this.#published) return;
    this.#published = fingerprint;
    this.#log.info({ secrets: [...this.#entries.keys()] }, 'Vault secrets loaded');
    this.#onSnapshot({ resources, rejected });
  }

  #failed(err: Error, retryInMs: number): void {
    const problem = `Vault KV source: ${err.message}; the last secrets keep serving, retrying`;
    if (problem !== this.#problem) this.#log.error({ code: (err as { code?: string }).code, retryInMs }, problem);
    this.#problem = problem;
    this.#warnExpiring();
  }

  #recovered(): void {
    this.#backoff.reset();
    this.#warned.clear();
    if (this.#problem === undefined) return;
    this.#problem = undefined;
    this.#log.info({ vault: this.#client.describe() }, 'Vault KV source: reading again');
  }

  /** A certificate that would run out before Vault is back is worth an error well in advance, once per outage. */
  #warnExpiring(): void {
    const now = Date.now();
    for (const [key, { secret }] of this.#entries) {
      const cert = secret.spec.type === TLS_SECRET_TYPE ? secret.spec.stringData['tls.crt'] : undefined;
      if (!cert || this.#warned.has(key)) continue;
      const notAfter = notAfterOf(cert);
      if (notAfter === undefined || notAfter - now > this.#expiryWarningMs) continue;
      this.#warned.add(key);
      this.#log.error({ secret: key, notAfter: new Date(notAfter).toISOString() }, `the certificate of Secret ${key} (${secret.source?.key}) expires at ${new Date(notAfter).toISOString()}, in ${Math.round((notAfter - now) / 60_000)} min, and Vault cannot be reached to read a newer one`);
    }
  }
}

/** custom_metadata as labels, sorted (so comparing them is comparing their JSON); Vault keeps only strings there. */
function labelsOf(custom: Record<string, unknown> | null | undefined): Record<string, string> | undefined {
  const entries = Object.entries(custom ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string');
  return entries.length ? Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1))) : undefined;
}

function sameLabels(secret: SecretResource, labels: Record<string, string> | undefined): boolean {
  return JSON.stringify(secret.metadata.labels ?? {}) === JSON.stringify(labels ?? {});
}
