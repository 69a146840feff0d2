// The client side of the service config stream: a Portico service (ext-auth, rate limit) subscribes to its
// configuration on the controller's ADS server, applies each version, and ACKs it — or NACKs it with the
// reason when applying throws, keeping what it had. A lost stream is retried with back-off for ever; the
// service keeps serving its last applied configuration meanwhile.
import * as grpc from '@grpc/grpc-js';
import { Backoff } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/logger.ts';
import { adsService, type DiscoveryRequest, type ReceivedResponse } from '../server/discovery.ts';
import { fromServiceConfigResource, type JsonObject, SERVICE_CONFIG_TYPE_URL } from '../service-config.ts';
import { channelCredentials, type ClientTls, tokenMetadata } from './credentials.ts';

export interface ServiceConfigClientOptions {
  /** The controller's xDS address: `HOST:PORT` or `unix:/path`. */
  address: string;
  /** One of SERVICE_NODE_KEYS. */
  nodeKey: string;
  /** Names this replica in the controller's logs and /debug/proxies; default `<nodeKey>/<pid>`. */
  nodeId?: string;
  tls?: ClientTls & { serverName?: string };
  token?: string;
  logger: Logger;
  /** Applies a whole configuration (items by name). Throwing rejects it: the previous one stays. */
  onConfig(items: ReadonlyMap<string, JsonObject>): void;
  /** Back-off between reconnects (tests shorten it). */
  backoff?: Backoff;
}

type AdsCall = grpc.ClientDuplexStream<DiscoveryRequest, ReceivedResponse>;
type AdsClient = grpc.Client & { StreamAggregatedResources(metadata: grpc.Metadata): AdsCall };

const Client = grpc.makeGenericClientConstructor(adsService, 'AggregatedDiscoveryService');

export class ServiceConfigClient {
  readonly #opts: ServiceConfigClientOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #client: AdsClient;
  #call?: AdsCall;
  #timer?: NodeJS.Timeout;
  #stopped = false;
  #connected = false;
  #acceptedVersion = '';
  readonly #ready = Promise.withResolvers<void>();

  constructor(opts: ServiceConfigClientOptions) {
    this.#opts = opts;
    this.#log = opts.logger.child({ component: 'config-stream', controller: opts.address });
    this.#backoff = opts.backoff ?? new Backoff({ initialMs: 250, maxMs: 5_000 });
    const options = opts.tls?.serverName ? { 'grpc.ssl_target_name_override': opts.tls.serverName } : {};
    this.#client = new Client(opts.address, channelCredentials(opts.tls), options) as unknown as AdsClient;
  }

  start(): void {
    this.#connect();
  }

  /** Resolves once a first configuration has been applied. */
  ready(): Promise<void> {
    return this.#ready.promise;
  }

  /** Whether the stream to the controller is up (for the service's health). */
  get connected(): boolean {
    return this.#connected;
  }

  /** The version of the configuration applied last ('' before the first). */
  get version(): string {
    return this.#acceptedVersion;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#call?.cancel();
    this.#client.close();
  }

  #connect(): void {
    if (this.#stopped) return;
    const call = this.#client.StreamAggregatedResources(tokenMetadata(this.#opts.token));
    this.#call = call;
    call.on('data', (response: ReceivedResponse) => this.#onResponse(call, response));
    call.on('error', () => {}); // 'status' says why
    call.on('status', (status: grpc.StatusObject) => this.#onEnd(call, status));
    const node = { id: this.#opts.nodeId ?? `${this.#opts.nodeKey}/${process.pid}`, cluster: this.#opts.nodeKey };
    // The last accepted version tells the server what this replica already has after a reconnect.
    call.write({ node, type_url: SERVICE_CONFIG_TYPE_URL, resource_names: [], version_info: this.#acceptedVersion });
  }

  #onResponse(call: AdsCall, response: ReceivedResponse): void {
    if (!this.#connected) this.#log.info('connected to the controller');
    this.#connected = true;
    this.#backoff.reset();
    const reply = { type_url: SERVICE_CONFIG_TYPE_URL, resource_names: [], response_nonce: response.nonce };
    try {
      const items = new Map(response.resources.map((r) => fromServiceConfigResource(r)).map((i) => [i.name, i.config]));
      this.#opts.onConfig(items);
      this.#acceptedVersion = response.version_info;
      call.write({ ...reply, version_info: response.version_info });
      this.#log.debug({ version: response.version_info, items: items.size }, 'configuration applied');
      this.#ready.resolve();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#log.error({ version: response.version_info, error: message }, 'configuration rejected; the previous one stays');
      call.write({ ...reply, version_info: this.#acceptedVersion, error_detail: { code: grpc.status.INVALID_ARGUMENT, message } });
    }
  }

  #onEnd(call: AdsCall, status: grpc.StatusObject): void {
    if (call !== this.#call || this.#stopped) return;
    this.#connected = false;
    const delayMs = this.#backoff.next();
    this.#log.warn({ code: grpc.status[status.code], details: status.details, retryInMs: delayMs }, `lost the configuration stream from the controller at ${this.#opts.address}; serving the last configuration and retrying`);
    this.#timer = setTimeout(() => this.#connect(), delayMs);
  }
}
