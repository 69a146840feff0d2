// The client side of the service config stream: a Portico service (ext-auth, rate limit) subscribes to its
// configuration on the controller's ADS server, applies each version, and ACKs it — or NACKs it with the
// reason when applying throws, keeping what it had, or applies it without the items it could not use and NACKs
// with those (the version is then current: one bad item never holds back the others). A lost stream is retried with back-off for ever; the
// service keeps serving its last applied configuration meanwhile.
import * as grpc from '@grpc/grpc-js';
import { Backoff } from '../../lib/backoff.ts';
import { capText } from '../../lib/text.ts';
import type { Logger } from '../../lib/logger.ts';
import { adsService, type DiscoveryRequest, type ReceivedResponse } from '../server/discovery.ts';
import { type JsonObject } from '../../contracts/service-config.ts';
import { fromServiceConfigResource, SERVICE_CONFIG_TYPE_URL } from '../service-config.ts';
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
  /**
   * Applies a configuration (items by name). Throwing rejects it whole: the previous one stays. Returning lines
   * (one per item it could not apply, saying which and why) applies the rest: the version is then the current one,
   * and the controller gets a NACK with those lines, so that one bad item is reported and never blocks the others.
   */
  onConfig(items: ReadonlyMap<string, JsonObject>): void | readonly string[];
  /** Back-off between reconnects (tests shorten it). */
  backoff?: Backoff;
}

type AdsCall = grpc.ClientDuplexStream<DiscoveryRequest, ReceivedResponse>;
type AdsClient = grpc.Client & { StreamAggregatedResources(metadata: grpc.Metadata): AdsCall };

const Client = grpc.makeGenericClientConstructor(adsService, 'AggregatedDiscoveryService');
/** A NACK's detail stays small whatever the number of bad items: the service's log has each of them. */
const MAX_NACK_MESSAGE = 8_000;

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
    let partial: readonly string[] | void;
    try {
      const items = new Map(response.resources.map((r) => fromServiceConfigResource(r)).map((i) => [i.name, i.config]));
      partial = this.#opts.onConfig(items);
      this.#acceptedVersion = response.version_info;
      this.#ready.resolve();
      this.#log.debug({ version: response.version_info, items: items.size, failed: partial?.length ?? 0 }, 'configuration applied');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.#log.error({ version: response.version_info, error: message }, 'configuration rejected; the previous one stays');
      call.write({ ...reply, version_info: this.#acceptedVersion, error_detail: { code: grpc.status.INVALID_ARGUMENT, message } });
      return;
    }
    if (!partial?.length) {
      call.write({ ...reply, version_info: response.version_info });
      return;
    }
    const message = capText(`applied without ${partial.length} item(s):\n${partial.join('\n')}`, MAX_NACK_MESSAGE);
    this.#log.error({ version: response.version_info, failed: partial.length }, 'configuration applied in part');
    call.write({ ...reply, version_info: response.version_info, error_detail: { code: grpc.status.INVALID_ARGUMENT, message } });
  }

  #onEnd(call: AdsCall, status: grpc.StatusObject): void {
    if (call !== this.#call || this.#stopped) return;
    this.#connected = false;
    const delayMs = this.#backoff.next();
    this.#log.warn({ code: grpc.status[status.code], details: status.details, retryInMs: delayMs }, `lost the configuration stream from the controller at ${this.#opts.address}; serving the last configuration and retrying`);
    this.#timer = setTimeout(() => this.#connect(), delayMs);
  }
}
