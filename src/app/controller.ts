// The control plane's composition root: file source (+ secrets folder, + Vault KV v2 secrets and PKI
// certificates) and/or Consul KV → store →
// pipeline → snapshot cache → ADS server, with statuses written beside the config and/or in Consul (by the
// elected leader only) and an admin endpoint; discovered endpoints (Consul catalog, EC2) come on their own
// channel and re-send EDS alone. Never exits because of user input.
import { EventEmitter } from 'node:events';
import type { CertificateRequest } from '../api/certificate-request.ts';
import { join, resolve } from 'node:path';
import { connectConsul, type ConsulOptions } from '../consul/client.ts';
import { watchesOf } from '../ir/endpoints.ts';
import { redactSecrets } from '../ir/redact.ts';
import type { GatewayIr } from '../ir/types.ts';
import { parseHostPort } from '../lib/address.ts';
import { formatProblem } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { RE2_MISSING, re2Addon, re2AddonPath } from '../lib/re2.ts';
import { Discovery } from '../providers/discovery/discovery.ts';
import { secretLookup } from '../providers/discovery/ec2.ts';
import { withDiscoveryProblems } from '../providers/discovery/status.ts';
import { FileResourceProvider } from '../providers/resources/file.ts';
import { FileSecretProvider } from '../providers/secrets/file.ts';
import { TransitionClock } from '../status/conditions.ts';
import { fileStatusTarget } from '../status/file-writer.ts';
import { StatusWriter } from '../status/writer.ts';
import { ResourceStore, type StoreSnapshot } from '../store/store.ts';
import { SnapshotCache, type Snapshot } from '../xds/cache/snapshot-cache.ts';
import { TYPE_URLS, type NamedResource, type TypeUrl, type XdsResources } from '../xds/resources.ts';
import { AdsServer } from '../xds/server/ads.ts';
import type { TokenTable } from '../xds/server/identity.ts';
import type { RateLimitSettings } from '../xds/translator/rate-limit.ts';
import { type ServiceNodeKey } from '../contracts/service-config.ts';
import { serviceConfigResources } from '../xds/service-config.ts';
import { startAdmin, type AdminSecurity, type AdminServer } from '../lib/admin-http.ts';
import { contextOptions, ServingCertificate, watchCertificateFiles, type CertificateFiles } from '../xds/server/serving-certificate.ts';
import type { ServiceTransport } from '../xds/translator/service-transport.ts';
import type { ConsulKvSourceConfig, LeaderElectionConfig } from './config.ts';
import { consulKvParts, type ConsulKvParts } from './consul-kv.ts';
import { LoadAssignments } from './load-assignments.ts';
import { controllerMetrics } from './metrics.ts';
import { GatewayContainment, type Inputs } from './gateway-containment.ts';
import { listenersOnPort, NackTracker, withRejectedResources } from './nacks.ts';
import { runGatewayPipeline, runPipeline, unservedLimits, type PipelineOptions, type PipelineOutput } from './pipeline.ts';
import { certificateWants, vaultParts, type ControllerVaultOptions, type VaultParts } from './vault.ts';
import { xdsCertificate, type XdsCertificate, type XdsTlsSource } from './xds-certificate.ts';

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

export interface ControllerDiscoveryOptions {
  /** Consul catalog discovery (Service backendRefs, consul Upstreams) on this connection. */
  consul?: ConsulOptions & { waitMs?: number };
  /** EC2 discovery (awsEc2 Upstreams); `endpoint` overrides the AWS endpoint (e.g. moto). */
  ec2?: { endpoint?: string; intervalMs?: number };
}

/** Emits `applied` ({version}) after each store snapshot has reached the cache and the status files. */
export class Controller extends EventEmitter {
  readonly #opts: ControllerOptions;
  readonly #log: Logger;
  readonly #store = new ResourceStore();
  readonly #cache = new SnapshotCache();
  /** Only a NACK of the version a gateway is served now is recorded: anything else is a stale or invented one. */
  readonly #nacks = new NackTracker({
    servedVersion: (key, typeUrl) => this.#cache.get(key)?.versions[typeUrl as TypeUrl],
    listenersOnPort: (gateway, port) => listenersOnPort(this.#last?.snapshot.resources ?? [], gateway, port),
  });
  readonly #containment: GatewayContainment;
  /** The discovered endpoints joined into each gateway's clusters at the last build. */
  #endpoints = new Map<string, NamedResource[]>();
  /** A gateway served with resources withheld is translated on its own; once per set of inputs. */
  readonly #pinned = new WeakMap<Inputs, { clusters: GatewayIr['clusters']; xds: XdsResources } | undefined>();
  readonly #pinnedAssignments = new Map<string, LoadAssignments>();
  readonly #clock = new TransitionClock();
  readonly #ads: AdsServer;
  readonly #xdsCertificate?: XdsCertificate;
  readonly #provider?: FileResourceProvider;
  readonly #secrets?: FileSecretProvider;
  readonly #kv?: ConsulKvParts;
  readonly #vault?: VaultParts;
  /** Hands the certificates listeners and Upstreams ask Vault PKI for to the issuer. */
  readonly #wantCertificates: (requests: CertificateRequest[]) => void;
  readonly #writers: StatusWriter[] = [];
  #kvWriter?: StatusWriter;
  readonly #discovery?: { discovery: Discovery; close(): void };
  readonly #assignments = new LoadAssignments();
  #admin?: AdminServer;
  #stopAdminTlsWatch?: () => void;
  #last?: { snapshot: StoreSnapshot; output: PipelineOutput };
  #loggedProblems = new Set<string>();
  #writing: Promise<void> = Promise.resolve();
  #stopped = false;
  xdsPort = 0;
  adminPort = 0;
  readonly statusDir: string;

  constructor(opts: ControllerOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger;
    if (opts.vault) this.#vault = vaultParts(opts.vault, this.#log);
    if (opts.xdsTls) this.#xdsCertificate = xdsCertificate(opts.xdsTls, this.#vault?.client, this.#log.child({ component: 'xds-tls' }));
    this.#ads = new AdsServer({ cache: this.#cache, logger: this.#log.child({ component: 'ads' }), tls: this.#xdsCertificate?.serving, trustDomain: opts.xdsTrustDomain, tokens: opts.xdsTokens });
    this.#containment = new GatewayContainment({
      push: (gateway, inputs, withheld) => this.#pushGateway(gateway, inputs, withheld),
      resend: (gateway, typeUrl) => void this.#cache.resend(gateway, typeUrl as TypeUrl),
      nodes: (gateway) => this.#ads.proxies().filter((p) => p.nodeKey === gateway).map((p) => p.nodeId),
      onWithheldChange: () => void this.#writeStatuses(),
      logger: this.#log.child({ component: 'containment' }),
    });
    this.statusDir = opts.configDir ? resolve(opts.statusDir ?? join(opts.configDir, '.status')) : '';
    if (opts.configDir) {
      this.#provider = new FileResourceProvider({ dir: resolve(opts.configDir), logger: this.#log.child({ component: 'file-source' }) });
      const secretsDir = resolve(opts.secretsDir ?? join(opts.configDir, '.secrets'));
      this.#secrets = new FileSecretProvider({ dir: secretsDir, logger: this.#log.child({ component: 'secret-source', dir: secretsDir }) });
      this.#writers.push(new StatusWriter({ target: fileStatusTarget(this.statusDir), logger: this.#log.child({ component: 'status' }) }));
    }
    if (opts.consulKv) {
      this.#kv = consulKvParts({ consul: opts.consul ?? {}, kv: opts.consulKv, leaderElection: opts.leaderElection ?? {}, logger: this.#log, onLeaderChange: (leader) => this.#leaderChanged(leader) });
      this.#kvWriter = new StatusWriter({ target: this.#kv.statusTarget, logger: this.#log.child({ component: 'consul-status' }) });
      this.#writers.push(this.#kvWriter);
    }
    if (opts.discovery) this.#discovery = this.#startDiscovery(opts.discovery);
    this.#wantCertificates = certificateWants(this.#vault, this.#log);
  }

  #startDiscovery(opts: ControllerDiscoveryOptions): { discovery: Discovery; close(): void } {
    const connection = opts.consul && connectConsul(opts.consul);
    const discovery = new Discovery({
      logger: this.#log.child({ component: 'discovery' }),
      ...(connection && { consul: { connection, ...(opts.consul?.waitMs && { waitMs: opts.consul.waitMs }) } }),
      ...(opts.ec2 && { ec2: opts.ec2 }),
      onChange: () => this.#serveEndpoints(),
      onDeniedChange: () => void this.#writeStatuses(),
    });
    return { discovery, close: () => connection?.close() };
  }

  async start(): Promise<void> {
    const xds = parseHostPort(this.#opts.xdsAddress ?? '127.0.0.1:18000', 'xDS address');
    this.xdsPort = await this.#ads.listen(xds.host, xds.port);
    // The NACK is recorded before containment reacts: its next push changes the version served.
    this.#ads.on('nack', (e) => {
      if (this.#nacks.nack(e)) void this.#writeStatuses();
      this.#containment.nack(e);
    });
    this.#ads.on('ack', (e) => {
      if (this.#nacks.ack(e)) void this.#writeStatuses();
      this.#containment.ack(e);
    });
    this.#ads.on('disconnect', (e) => {
      if (this.#nacks.disconnected(e)) void this.#writeStatuses();
      this.#containment.disconnected(e);
    });
    if ((this.#opts.adminAddress ?? '') !== 'off') await this.#startAdmin();
    this.#store.subscribe((snap) => this.#apply(snap));
    // Secrets first, so HTTPS listeners are not reported without their certificates on the first snapshot.
    // The folder publishes first, so on a name clash its Secret wins over Vault's (the store keeps the first).
    await this.#secrets?.start((snap) => this.#store.update('secrets', snap));
    this.#vault?.pki.start((snap) => this.#store.update('vaultPki', snap));
    await this.#vault?.kv.start((snap) => this.#store.update('vault', snap));
    // The store merges sources in the order they first publish: the directory (published within start())
    // comes before Consul KV, so on a name clash the directory's resource wins.
    await this.#provider?.start((snap) => this.#store.update('directory', snap));
    if (this.#kv) {
      this.#kv.election.start();
      await this.#kv.provider.start((snap) => this.#store.update('consulKv', snap));
    }
    this.#log.info({ configDir: this.#opts.configDir && resolve(this.#opts.configDir), consulKv: this.#opts.consulKv?.rootKey, statusDir: this.statusDir || undefined, xds: `${xds.host}:${this.xdsPort}`, admin: this.adminPort || 'off' }, 'controller started');
    if (!re2Addon()) this.#log.warn({ looked: re2AddonPath() }, RE2_MISSING);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#provider?.stop();
    this.#secrets?.stop();
    this.#xdsCertificate?.stop();
    await this.#vault?.stop();
    this.#store.close();
    this.#containment.close();
    await this.#discovery?.discovery.stop();
    this.#discovery?.close();
    await this.#writing;
    for (const w of this.#writers) w.close();
    await this.#kv?.stop();
    await this.#ads.close();
    this.#stopAdminTlsWatch?.();
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

  async #startAdmin(): Promise<void> {
    const admin = parseHostPort(this.#opts.adminAddress ?? '127.0.0.1:19000', 'admin address');
    const ready = () => this.#last !== undefined;
    const degraded = () => [
      ...(this.#kv?.problems() ?? []),
      ...(this.#vault?.problems() ?? []),
      ...[this.#xdsCertificate?.problem()].filter((p): p is string => p !== undefined),
      ...(this.#discovery?.discovery.problems() ?? []),
      ...this.#writers.map((w) => w.problem()).filter((p): p is string => p !== undefined),
    ];
    this.#admin = await startAdmin(admin.host, admin.port, {
      ready,
      degraded,
      metrics: controllerMetrics({
        ready,
        degraded,
        proxies: () => this.#ads.proxies().length,
        configVersion: () => this.#last?.snapshot.version ?? 0,
        problems: () => this.#last?.output.problems.length ?? 0,
        certificates: () => this.#last?.output.ir.gateways.flatMap((g) => g.secrets ?? []) ?? [],
      }),
      debug: {
        proxies: () => this.#ads.proxies(),
        statuses: () => this.#last?.output.statuses ?? [],
        problems: () => (this.#last?.output.problems ?? []).map(formatProblem),
        ir: () => (this.#last ? redactSecrets(this.#last.output.ir) : {}),
      },
      onError: (err, path) => this.#log.error({ path, error: (err as Error).message }, 'admin request failed'),
    }, this.#opts.adminSecurity);
    this.adminPort = this.#admin.port;
    this.#watchAdminCertificate(this.#admin);
  }

  /** The admin endpoint's certificate files, re-read when they change, as xDS's. */
  #watchAdminCertificate(admin: AdminServer): void {
    const tls = this.#opts.adminSecurity?.tls;
    const files = this.#opts.adminTlsFiles;
    if (!tls || !files) return;
    const serving = new ServingCertificate(tls, 'admin TLS');
    serving.onChange((pems) => admin.renew(contextOptions(pems)));
    this.#stopAdminTlsWatch = watchCertificateFiles(serving, files, this.#log.child({ component: 'admin' }));
  }

  #pipelineOptions(): PipelineOptions {
    const { controllerName, rateLimit, extAuthAddress, extAuthTransport, vault } = this.#opts;
    return {
      ...(controllerName && { controllerName }),
      ...(vault?.pkiRoles && { pkiRoles: vault.pkiRoles }),
      ...(rateLimit && { rateLimit }),
      ...(extAuthAddress && { extAuth: { address: extAuthAddress, ...extAuthTransport } }),
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
      for (const key of this.#pinnedAssignments.keys()) if (!gateways.has(key)) this.#pinnedAssignments.delete(key);
      this.#discovery?.discovery.want(watchesOf(output.ir.gateways), secretLookup(snapshot.resources));
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
    if (this.#discovery) {
      const endpoints = this.#assignments.build(ir.gateways.map((gw) => gw.clusters), this.#discovery.discovery.sets());
      this.#endpoints = new Map(ir.gateways.map((gw, i) => [gw.key, endpoints[i] ?? []]));
    }
    for (const key of xds.keys()) this.#containment.serve(key);
  }

  /**
   * Serves one gateway (called by its containment, also from Envoy's answers and timers) and returns what the
   * cache now holds for it. A translation that throws keeps the previous snapshot, like a store snapshot would.
   */
  #pushGateway(gateway: string, inputs: Inputs, withheld: ReadonlySet<string>): Snapshot | undefined {
    try {
      const resources = withheld.size ? this.#pinnedResources(gateway, inputs) : this.#last?.output.xds.get(gateway);
      const endpoints = withheld.size ? undefined : this.#endpoints.get(gateway);
      if (resources) this.#serve(gateway, endpoints ? { ...resources, [TYPE_URLS.endpoint]: endpoints } : resources);
    } catch (err) {
      this.#log.error({ err, gateway, withheld: [...withheld] }, 'translating the gateway with resources withheld failed; Envoy keeps the previous config');
    }
    return this.#cache.get(gateway);
  }

  /** The gateway translated from `inputs` (some resources at an older version or left out), endpoints joined. */
  #pinnedResources(gateway: string, inputs: Inputs): XdsResources {
    if (!this.#pinned.has(inputs)) {
      const out = runGatewayPipeline([...inputs.values()], gateway, this.#pipelineOptions());
      this.#pinned.set(inputs, out && { clusters: out.gateway.clusters, xds: out.xds });
    }
    const pinned = this.#pinned.get(inputs);
    if (!pinned) return {};
    if (!this.#discovery) return pinned.xds;
    const assignments = this.#pinnedAssignments.get(gateway) ?? new LoadAssignments();
    this.#pinnedAssignments.set(gateway, assignments);
    const [endpoints = []] = assignments.build([pinned.clusters], this.#discovery.discovery.sets());
    return { ...pinned.xds, [TYPE_URLS.endpoint]: endpoints };
  }

  #serveEndpoints(): void {
    if (this.#stopped) return;
    try {
      this.#serveAll();
    } catch (err) {
      this.#log.error({ err }, 'joining discovered endpoints failed; Envoy keeps the previous endpoints');
    }
  }

  /** Discovery watch keys running now (for tests). */
  discoveryWatches(): string[] {
    return this.#discovery?.discovery.watching() ?? [];
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
    // With Consul, controllers share the statuses: only the elected leader writes them.
    if (!this.#last || this.#stopped || (this.#kv && !this.#kv.election.isLeader())) return this.#writing;
    const now = new Date().toISOString();
    const { statuses, ir } = this.#last.output;
    const denied = this.#discovery?.discovery.denied() ?? new Map<string, string>();
    const rejected = withRejectedResources(this.#nacks.apply(statuses), this.#containment.withheld());
    const records = withDiscoveryProblems(rejected, ir.gateways, denied).map((r) => ({ ...r, status: this.#clock.stamp(r.key, r.status, now) }));
    this.#writing = Promise.all(this.#writers.map((w) => w.write(records))).then(() => undefined);
    return this.#writing;
  }

  /** A new leader compares with what is in Consul now (the former leader wrote there), then writes. */
  #leaderChanged(leader: boolean): void {
    if (!leader) return;
    this.#kvWriter?.resync();
    void this.#writeStatuses();
  }

  /** Logs each problem once when it appears, not on every snapshot. */
  #logProblems(output: PipelineOutput): void {
    const current = new Set(output.problems.map(formatProblem));
    for (const p of current) if (!this.#loggedProblems.has(p)) this.#log.warn({ problem: p }, p);
    for (const p of this.#loggedProblems) if (!current.has(p)) this.#log.info({ problem: p }, `resolved: ${p}`);
    this.#loggedProblems = current;
  }
}
