// The control plane's composition root. One data flow (docs/architecture.md draws it):
//   resource sources (an ordered list, its order the precedence: sources.ts) → store → pipeline (translate,
//   no EDS) → per-gateway containment → snapshot cache → ADS server → Envoy
//   discovery → endpoint join (endpoint-join.ts, the one place EDS is built) → the same push, EDS alone
//   statuses (translator's + Envoy's NACKs + withheld + denied discovery) → status writers (the leader's, with Consul)
// Every part tells the controller of a change in one way, a Change (changes.ts); the admin endpoint reads
// what was applied (controller-admin.ts). Never exits because of user input.
import { EventEmitter } from 'node:events';
import { join, resolve } from 'node:path';
import type { ConsulOptions } from '../consul/client.ts';
import type { GatewayIr } from '../ir/types.ts';
import { parseHostPort } from '../lib/address.ts';
import { formatProblem } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { RE2_MISSING, re2Addon, re2AddonPath } from '../lib/re2.ts';
import { ResourceStore, type StoreSnapshot } from '../store/store.ts';
import { SnapshotCache, type Snapshot } from '../xds/cache/snapshot-cache.ts';
import { TYPE_URLS, type TypeUrl, type XdsResources } from '../xds/resources.ts';
import { AdsServer } from '../xds/server/ads.ts';
import type { TokenTable } from '../xds/server/identity.ts';
import type { CertificateFiles } from '../xds/server/serving-certificate.ts';
import type { ServiceNodeKey } from '../contracts/service-config.ts';
import { serviceConfigResources } from '../xds/service-config.ts';
import type { RateLimitSettings } from '../xds/translator/rate-limit.ts';
import type { ServiceTransport } from '../xds/translator/service-transport.ts';
import type { AdminSecurity } from '../lib/admin-http.ts';
import type { Change } from './changes.ts';
import type { ConsulKvSourceConfig, LeaderElectionConfig } from './config.ts';
import { consulKvParts, type ConsulKvParts } from './consul-kv.ts';
import { startControllerAdmin, type ControllerAdmin } from './controller-admin.ts';
import { EndpointJoin, type ControllerDiscoveryOptions } from './endpoint-join.ts';
import { GatewayContainment, type Inputs } from './gateway-containment.ts';
import { listenersOnPort, NackTracker } from './nacks.ts';
import { runGatewayPipeline, runPipeline, unservedLimits, type PipelineOptions, type PipelineOutput } from './pipeline.ts';
import { resourceSources, type ResourceSource } from './sources.ts';
import { Statuses } from './statuses.ts';
import { certificateWants, vaultParts, type ControllerVaultOptions, type VaultParts } from './vault.ts';
import { xdsCertificate, type XdsCertificate, type XdsTlsSource } from './xds-certificate.ts';

export type { ControllerDiscoveryOptions } from './endpoint-join.ts';

export interface ControllerOptions {
  /** The watched folder of resource files; optional when `consulKv` is set. */
  configDir?: string;
  /** Resources from Consul KV (and statuses back there, written by the elected leader). */
  consulKv?: ConsulKvSourceConfig;
  consul?: ConsulOptions;
  leaderElection?: Partial<LeaderElectionConfig>;
  /** Default: `<configDir>/.status` (ignored by the file source because it starts with a dot). */
  statusDir?: string;
  /** TLS Secrets as `<secretsDir>/<namespace>/<name>/tls.crt` + `tls.key`; default `<configDir>/.secrets`. */
  secretsDir?: string;
  /** Default `127.0.0.1:18000`. */
  xdsAddress?: string;
  /** Default `127.0.0.1:19000`; `off` disables it. */
  adminAddress?: string;
  /** Serve xDS over TLS (from files or Vault PKI, renewed while serving); with a CA, clients must present a certificate it signed, whose SPIFFE ID is their identity. */
  xdsTls?: XdsTlsSource;
  /** The trust domain of the clients' SPIFFE IDs (default portico.local). */
  xdsTrustDomain?: string;
  /** Per-identity tokens clients send as `authorization: Bearer <token>` on their ADS stream (replaceable while serving). */
  xdsTokens?: TokenTable;
  /** HTTPS and a bearer token (for /debug/*) on the admin endpoint. */
  adminSecurity?: AdminSecurity;
  /** The files adminSecurity.tls was read from: re-read when they change. */
  adminTlsFiles?: CertificateFiles;
  controllerName?: string;
  /** Portico's rate-limit service (its Envoy filter and cluster, and its configuration stream); absent: off. */
  rateLimit?: RateLimitSettings;
  /** Where Envoy reaches Portico's ext-auth service (`unix:/path` or `HOST:PORT`); absent: routes with auth are denied. */
  extAuthAddress?: string;
  /** TLS and a token towards it (config file `extAuth.tls`, `extAuth.tokenFile`). */
  extAuthTransport?: ServiceTransport;
  /** Endpoint discovery for Service backendRefs and consul/awsEc2 Upstreams; absent: off. */
  discovery?: ControllerDiscoveryOptions;
  /** Secrets from Vault KV v2 and listener certificates from Vault PKI; absent: off. */
  vault?: ControllerVaultOptions;
  logger: Logger;
}

/** Emits `applied` ({version}) after each store snapshot has reached the cache and the status files. */
export class Controller extends EventEmitter {
  readonly #opts: ControllerOptions;
  readonly #log: Logger;
  /** Highest precedence first (sources.ts). */
  readonly #sources: ResourceSource[];
  readonly #store: ResourceStore;
  readonly #cache = new SnapshotCache();
  /** Only a NACK of the version a gateway is served now is recorded: anything else is a stale or invented one. */
  readonly #nacks = new NackTracker({
    servedVersion: (key, typeUrl) => this.#cache.get(key)?.versions[typeUrl as TypeUrl],
    listenersOnPort: (gateway, port) => listenersOnPort(this.#last?.snapshot.resources ?? [], gateway, port),
  });
  readonly #containment: GatewayContainment;
  /** A gateway served with resources withheld is translated on its own; once per set of inputs. */
  readonly #pinned = new WeakMap<Inputs, { clusters: GatewayIr['clusters']; xds: XdsResources } | undefined>();
  readonly #join: EndpointJoin;
  readonly #ads: AdsServer;
  readonly #xdsCertificate?: XdsCertificate;
  readonly #kv?: ConsulKvParts;
  readonly #vault?: VaultParts;
  /** Hands the certificates listeners and Upstreams ask Vault PKI for to the issuer. */
  readonly #wantCertificates: ReturnType<typeof certificateWants>;
  readonly #statuses: Statuses;
  #admin?: ControllerAdmin;
  #last?: { snapshot: StoreSnapshot; output: PipelineOutput };
  #loggedProblems = new Set<string>();
  #stopped = false;
  xdsPort = 0;
  adminPort = 0;
  readonly statusDir: string;

  constructor(opts: ControllerOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger;
    const notify = (change: Change) => this.#changed(change);
    if (opts.vault) this.#vault = vaultParts(opts.vault, this.#log);
    if (opts.xdsTls) this.#xdsCertificate = xdsCertificate(opts.xdsTls, this.#vault?.client, this.#log.child({ component: 'xds-tls' }));
    this.#ads = new AdsServer({ cache: this.#cache, logger: this.#log.child({ component: 'ads' }), tls: this.#xdsCertificate?.serving, trustDomain: opts.xdsTrustDomain, tokens: opts.xdsTokens });
    this.#containment = new GatewayContainment({
      push: (gateway, inputs, withheld) => this.#pushGateway(gateway, inputs, withheld),
      resend: (gateway, typeUrl) => void this.#cache.resend(gateway, typeUrl as TypeUrl),
      nodes: (gateway) => this.#ads.proxies().filter((p) => p.nodeKey === gateway).map((p) => p.nodeId),
      onWithheldChange: () => notify({ kind: 'statuses' }),
      logger: this.#log.child({ component: 'containment' }),
    });
    this.statusDir = opts.configDir ? resolve(opts.statusDir ?? join(opts.configDir, '.status')) : '';
    this.#statuses = new Statuses({ statusDir: this.statusDir, logger: this.#log });
    if (opts.consulKv) {
      const onLeaderChange = (leader: boolean) => {
        if (!leader) return;
        this.#statuses.elected();
        notify({ kind: 'statuses' });
      };
      const kv = consulKvParts({ consul: opts.consul ?? {}, kv: opts.consulKv, leaderElection: opts.leaderElection ?? {}, logger: this.#log, onLeaderChange });
      this.#statuses.toConsul(kv.statusTarget, () => kv.election.isLeader(), this.#log);
      this.#kv = kv;
    }
    this.#sources = resourceSources({ configDir: opts.configDir, secretsDir: opts.secretsDir, vault: this.#vault, consulKv: this.#kv, logger: this.#log });
    this.#store = new ResourceStore({ precedence: this.#sources.map((s) => s.name) });
    this.#join = new EndpointJoin({ discovery: opts.discovery, logger: this.#log, notify });
    this.#wantCertificates = certificateWants(this.#vault, this.#log);
  }

  async start(): Promise<void> {
    const xds = parseHostPort(this.#opts.xdsAddress ?? '127.0.0.1:18000', 'xDS address');
    this.xdsPort = await this.#ads.listen(xds.host, xds.port);
    this.#followEnvoy();
    if ((this.#opts.adminAddress ?? '') !== 'off') await this.#startAdmin();
    this.#kv?.election.start();
    // Each source publishes its first snapshot before its start() resolves; the first translation waits for
    // all of them, so it sees every source (HTTPS listeners with their certificates) and the PKI issuer is
    // started before anything asks it for a certificate.
    for (const source of this.#sources) await source.start((snap) => this.#store.update(source.name, snap));
    this.#store.flush();
    this.#store.subscribe((snapshot) => this.#changed({ kind: 'resources', snapshot }));
    this.#log.info({ configDir: this.#opts.configDir && resolve(this.#opts.configDir), consulKv: this.#opts.consulKv?.rootKey, sources: this.#sources.map((s) => s.name), statusDir: this.statusDir || undefined, xds: `${xds.host}:${this.xdsPort}`, admin: this.adminPort || 'off' }, 'controller started');
    if (!re2Addon()) this.#log.warn({ looked: re2AddonPath() }, RE2_MISSING);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(this.#sources.map((s) => s.stop()));
    this.#xdsCertificate?.stop();
    this.#vault?.stop();
    this.#store.close();
    this.#containment.close();
    await this.#join.stop();
    await this.#statuses.settled();
    this.#statuses.close();
    await this.#kv?.stop();
    await this.#ads.close();
    await this.#admin?.close();
  }

  /** The gateways currently programmed (IR), for `portico up` and tests. */
  gateways(): GatewayIr[] {
    return this.#last?.output.ir.gateways ?? [];
  }

  /** Whether some AuthConfig exists (for `portico up`, which then starts the ext-auth service). */
  usesExtAuth(): boolean {
    return Boolean(this.#last?.output.ir.authConfigs?.length);
  }

  /** The xDS resources currently served to a gateway (for the admin endpoint and tests). */
  config(gateway: string): unknown {
    return this.#cache.get(gateway);
  }

  /** Discovery watch keys running now (for tests). */
  discoveryWatches(): string[] {
    return this.#join.watching();
  }

  /** The one way the parts tell the controller of a change (changes.ts). */
  #changed(change: Change): void {
    if (change.kind === 'resources') this.#apply(change.snapshot);
    else if (change.kind === 'endpoints') this.#serveEndpoints();
    else void this.#writeStatuses();
  }

  /** Envoy's answers: the NACK is recorded before containment reacts, as its next push changes the version served. */
  #followEnvoy(): void {
    const statuses = (changed: boolean) => changed && this.#changed({ kind: 'statuses' });
    this.#ads.on('nack', (e) => {
      statuses(this.#nacks.nack(e));
      this.#containment.nack(e);
    });
    this.#ads.on('ack', (e) => {
      statuses(this.#nacks.ack(e));
      this.#containment.ack(e);
    });
    this.#ads.on('disconnect', (e) => {
      statuses(this.#nacks.disconnected(e));
      this.#containment.disconnected(e);
    });
  }

  async #startAdmin(): Promise<void> {
    this.#admin = await startControllerAdmin({
      address: this.#opts.adminAddress ?? '127.0.0.1:19000',
      ...(this.#opts.adminSecurity && { security: this.#opts.adminSecurity }),
      ...(this.#opts.adminTlsFiles && { tlsFiles: this.#opts.adminTlsFiles }),
      view: { last: () => this.#last, degraded: () => this.#degraded(), proxies: () => this.#ads.proxies() },
      logger: this.#log,
    });
    this.adminPort = this.#admin.port;
  }

  /** Why the controller is degraded (empty when all is well): for /healthz and the metrics. */
  #degraded(): string[] {
    return [
      ...this.#sources.map((s) => s.problem?.()),
      this.#kv?.election.problem(),
      this.#xdsCertificate?.problem(),
      ...this.#join.problems(),
      ...this.#statuses.problems(),
    ].filter((p): p is string => p !== undefined);
  }

  #pipelineOptions(): PipelineOptions {
    const { controllerName, rateLimit, extAuthAddress, extAuthTransport, vault } = this.#opts;
    return {
      ...(controllerName && { controllerName }),
      ...(vault?.pkiRoles && { pkiRoles: vault.pkiRoles }),
      ...(rateLimit && { rateLimit }),
      ...(extAuthAddress && { extAuth: { address: extAuthAddress, ...extAuthTransport } }),
      endpoints: false, // built by the join, with the discovered endpoints
    };
  }

  #apply(snapshot: StoreSnapshot): void {
    try {
      const output = runPipeline(snapshot.resources, snapshot.rejected, this.#pipelineOptions());
      output.problems.push(...unservedLimits(output.ir, this.#opts.rateLimit));
      this.#last = { snapshot, output };
      const gateways = new Set(output.xds.keys());
      this.#containment.update(snapshot.resources, gateways);
      this.#nacks.retain(gateways);
      this.#join.want(output.ir.gateways, snapshot.resources);
      this.#wantCertificates(output.certificateRequests);
      for (const key of this.#cache.keys()) if (!output.xds.has(key) && !output.services.has(key as ServiceNodeKey)) this.#cache.delete(key);
      this.#serveAll();
      for (const [key, items] of output.services) this.#serve(key, { [TYPE_URLS.serviceConfig]: serviceConfigResources(items) });
      this.#logProblems(output);
      this.#log.debug({ version: snapshot.version, gateways: [...output.xds.keys()] }, 'config applied');
      // Statuses after the xDS push has gone out: the push is what users wait for.
      setImmediate(() => void this.#writeStatuses().then(() => this.emit('applied', { version: snapshot.version })));
    } catch (err) {
      // A translator bug must not take the gateway down: keep serving the previous snapshot.
      this.#log.error({ err, version: snapshot.version }, 'translation failed; Envoy keeps the previous config');
    }
  }

  /**
   * Serves every gateway its translated config with the discovered endpoints joined in, through its
   * containment (which may withhold resources Envoy refused). Only the EDS resources depend on discovery, so
   * when only endpoints moved the cache sees the other types unchanged and their versions stay put.
   */
  #serveAll(): void {
    if (!this.#last) return;
    const { ir, xds } = this.#last.output;
    this.#join.join(ir.gateways);
    for (const key of xds.keys()) this.#containment.serve(key);
  }

  /**
   * Serves one gateway (called by its containment, also from Envoy's answers and timers) and returns what the
   * cache now holds for it. A translation that throws keeps the previous snapshot, like a store snapshot would.
   */
  #pushGateway(gateway: string, inputs: Inputs, withheld: ReadonlySet<string>): Snapshot | undefined {
    try {
      const resources = withheld.size ? this.#pinnedResources(gateway, inputs) : this.#joined(gateway);
      if (resources) this.#serve(gateway, resources);
    } catch (err) {
      this.#log.error({ err, gateway, withheld: [...withheld] }, 'translating the gateway with resources withheld failed; Envoy keeps the previous config');
    }
    return this.#cache.get(gateway);
  }

  /** The gateway's translation from the store as it is, with the last join's EDS. */
  #joined(gateway: string): XdsResources | undefined {
    const resources = this.#last?.output.xds.get(gateway);
    return resources && { ...resources, [TYPE_URLS.endpoint]: this.#join.endpoints(gateway) };
  }

  /** The gateway translated from `inputs` (some resources at an older version or left out), endpoints joined. */
  #pinnedResources(gateway: string, inputs: Inputs): XdsResources {
    if (!this.#pinned.has(inputs)) {
      const out = runGatewayPipeline([...inputs.values()], gateway, this.#pipelineOptions());
      this.#pinned.set(inputs, out && { clusters: out.gateway.clusters, xds: out.xds });
    }
    const pinned = this.#pinned.get(inputs);
    if (!pinned) return {};
    return { ...pinned.xds, [TYPE_URLS.endpoint]: this.#join.pinned(gateway, pinned.clusters) };
  }

  #serveEndpoints(): void {
    if (this.#stopped) return;
    try {
      this.#serveAll();
    } catch (err) {
      this.#log.error({ err }, 'joining discovered endpoints failed; Envoy keeps the previous endpoints');
    }
  }

  /** One gateway whose config cannot be encoded keeps its previous snapshot; the others still update. */
  #serve(key: string, resources: XdsResources): void {
    try {
      this.#cache.set(key, resources);
    } catch (err) {
      this.#log.error({ err, gateway: key }, 'generated config for the gateway is invalid; Envoy keeps the previous one');
    }
  }

  #writeStatuses(): Promise<void> {
    if (!this.#last || this.#stopped) return this.#statuses.settled();
    const { statuses, ir } = this.#last.output;
    return this.#statuses.write({ statuses, gateways: ir.gateways, nacks: this.#nacks, withheld: this.#containment.withheld(), denied: this.#join.denied() });
  }

  /** Logs each problem once when it appears, not on every snapshot. */
  #logProblems(output: PipelineOutput): void {
    const current = new Set(output.problems.map(formatProblem));
    for (const p of current) if (!this.#loggedProblems.has(p)) this.#log.warn({ problem: p }, p);
    for (const p of this.#loggedProblems) if (!current.has(p)) this.#log.info({ problem: p }, `resolved: ${p}`);
    this.#loggedProblems = current;
  }
}
