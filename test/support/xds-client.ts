// A client that plays Envoy on one ADS stream: sends DiscoveryRequests (the node only on the first one,
// as Envoy's `set_node_on_first_message_only` does), collects responses, and ACKs or NACKs them.
import * as grpc from '@grpc/grpc-js';
import {
  adsService,
  type DiscoveryRequest,
  encodeRequest,
  type ReceivedResponse,
} from '../../src/xds/server/discovery.ts';
import { channelCredentials, type ClientTls, tokenMetadata } from '../../src/xds/client/credentials.ts';

export interface FakeEnvoyOptions {
  port: number;
  /** Becomes node.cluster: the gateway key `<namespace>/<gateway>`. */
  cluster: string;
  nodeId?: string;
  token?: string;
  /** Connect over TLS trusting `ca`; `cert` and `key` identify the client for mutual TLS. */
  tls?: ClientTls;
}

export interface StreamStatus {
  code: grpc.status;
  details: string;
}

type AdsCall = grpc.ClientDuplexStream<DiscoveryRequest | Buffer, ReceivedResponse>;
type AdsClient = grpc.Client & { StreamAggregatedResources(metadata: grpc.Metadata): AdsCall };

const Client = grpc.makeGenericClientConstructor(
  {
    ...adsService,
    // Raw bytes pass through, so tests can send a malformed message.
    StreamAggregatedResources: {
      ...adsService.StreamAggregatedResources!,
      requestSerialize: (r: DiscoveryRequest | Buffer) => (Buffer.isBuffer(r) ? r : encodeRequest(r)),
    },
  },
  'AggregatedDiscoveryService',
);

export class FakeEnvoy {
  readonly received: ReceivedResponse[] = [];
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<StreamStatus>;
  readonly #client: AdsClient;
  readonly #call: AdsCall;
  readonly #node: { id: string; cluster: string };
  readonly #accepted = new Map<string, string>();
  #sentNode = false;
  #unread: ReceivedResponse[] = [];
  #waiters: (() => void)[] = [];

  constructor(opts: FakeEnvoyOptions) {
    this.#node = { id: opts.nodeId ?? `${opts.cluster}/envoy-1`, cluster: opts.cluster };
    // The test server certificate names localhost; TLS must not be given an IP address as server name.
    const options = opts.tls ? { 'grpc.ssl_target_name_override': 'localhost' } : {};
    this.#client = new Client(`127.0.0.1:${opts.port}`, channelCredentials(opts.tls), options) as unknown as AdsClient;
    const call = this.#client.StreamAggregatedResources(tokenMetadata(opts.token));
    this.#call = call;
    call.on('data', (response: ReceivedResponse) => {
      this.received.push(response);
      this.#unread.push(response);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.ended = new Promise((resolve) => {
      call.on('status', (s: grpc.StatusObject) => resolve({ code: s.code, details: s.details }));
      call.on('error', () => {}); // the status above says why
    });
  }

  /** A subscription request with no nonce, as Envoy sends first for each type. */
  subscribe(typeUrl: string, names: string[] = []): void {
    this.send({ type_url: typeUrl, resource_names: names, version_info: this.#accepted.get(typeUrl) ?? '' });
  }

  /** ACKs a response; `names` updates the subscription at the same time, as Envoy does for RDS/EDS. */
  ack(response: ReceivedResponse, names: string[] = []): void {
    this.#accepted.set(response.type_url, response.version_info);
    this.send({ type_url: response.type_url, resource_names: names, version_info: response.version_info, response_nonce: response.nonce });
  }

  /** NACKs a response: the last accepted version, the nonce, and why. */
  nack(response: ReceivedResponse, message: string, names: string[] = []): void {
    this.send({
      type_url: response.type_url,
      resource_names: names,
      version_info: this.#accepted.get(response.type_url) ?? '',
      response_nonce: response.nonce,
      error_detail: { code: grpc.status.INVALID_ARGUMENT, message },
    });
  }

  send(request: DiscoveryRequest | Buffer): void {
    if (!Buffer.isBuffer(request) && !this.#sentNode) {
      request = { ...request, node: this.#node };
      this.#sentNode = true;
    }
    this.#call.write(request);
  }

  /** The next response not yet returned (of `typeUrl`, when given); fails after `timeoutMs`. */
  async next(typeUrl?: string, timeoutMs = 3000): Promise<ReceivedResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#unread.findIndex((r) => !typeUrl || r.type_url === typeUrl);
      if (i >= 0) return this.#unread.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${typeUrl ?? 'response'} within ${timeoutMs} ms (unread: ${this.#unread.map((r) => r.type_url).join(', ') || 'none'})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits `ms` and returns what arrived unread meanwhile (asserting silence is `[]`). */
  async drain(ms = 200): Promise<ReceivedResponse[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.#unread.splice(0);
  }

  close(): void {
    this.#call.cancel();
    this.#client.close();
  }
}

