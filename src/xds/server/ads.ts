// The ADS gRPC server Envoys connect to (state of the world over one stream, AggregatedDiscoveryService).
// Each Envoy is keyed by `node.cluster` = `<namespace>/<gateway>` and served that key's snapshot.
// Emits `ack` and `nack` events; `proxies()` is the view for the admin endpoint.
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { bearerMatches } from '../../lib/bearer.ts';
import { ConfigError, XdsError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { byKey } from '../../lib/stable.ts';
import type { SnapshotCache } from '../cache/snapshot-cache.ts';
import { adsService, type DiscoveryResponse, type IncomingRequest } from './discovery.ts';
import { ADS_SERVER_OPTIONS } from './limits.ts';
import { type AckEvent, AdsStream, type NackEvent, type ProxyStatus, type StreamIo } from './stream.ts';

export type { AckEvent, NackEvent, ProxyStatus, ProxyTypeStatus } from './stream.ts';

export interface AdsTlsOptions {
  /** PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS). */
  ca?: string;
  cert?: string;
  key?: string;
}

export interface AdsServerOptions {
  cache: SnapshotCache;
  logger: Logger;
  /** Without it the server speaks plaintext (fine on loopback, not across hosts). */
  tls?: AdsTlsOptions;
  /** When set, every stream must send `authorization: Bearer <token>` metadata. */
  token?: string;
}

type AdsCall = grpc.ServerDuplexStream<IncomingRequest, DiscoveryResponse>;

/** How long close() lets streams end by themselves before cutting the connections. */
const SHUTDOWN_GRACE_MS = 2000;

export class AdsServer extends EventEmitter<{ ack: [AckEvent]; nack: [NackEvent] }> {
  readonly #opts: AdsServerOptions;
  readonly #log: Logger;
  readonly #server = new grpc.Server(ADS_SERVER_OPTIONS);
  readonly #streams = new Map<AdsCall, AdsStream>();

  constructor(opts: AdsServerOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger;
    this.#server.addService(adsService, {
      StreamAggregatedResources: (call: AdsCall) => this.#onStream(call),
      DeltaAggregatedResources: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'Portico serves state-of-the-world ADS only (api_type: GRPC, not DELTA_GRPC)' });
      },
    });
  }

  /** Binds and starts serving; resolves to the port (useful with port 0). */
  listen(host = '127.0.0.1', port = 0): Promise<number> {
    const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(address, credentials(this.#opts.tls), (err, bound) => {
        if (err) reject(new XdsError(`cannot listen for xDS on ${address}: ${err.message}`, { cause: err }));
        else {
          this.#log.info({ address, port: bound, tls: Boolean(this.#opts.tls), auth: Boolean(this.#opts.token) }, 'ADS server listening');
          resolve(bound);
        }
      });
    });
  }

  /** The connected proxies that have identified themselves, for the admin endpoint. */
  proxies(): ProxyStatus[] {
    const statuses = [...this.#streams.values()].flatMap((s) => s.status() ?? []);
    return statuses.sort(byKey((p) => `${p.nodeKey}\u0000${p.nodeId}`));
  }

  /** Ends every stream (Envoys keep their config and reconnect to the next control plane) and stops. */
  async close(): Promise<void> {
    for (const [call, stream] of this.#streams) {
      stream.close();
      call.end();
    }
    this.#streams.clear();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#server.forceShutdown(), SHUTDOWN_GRACE_MS);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #onStream(call: AdsCall): void {
    const log = this.#log.child({ peer: call.getPeer() });
    if (!this.#authorized(call.metadata)) {
      log.warn('rejecting an ADS stream without a valid bearer token');
      call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'missing or wrong bearer token' });
      return;
    }
    const stream = new AdsStream(this.#opts.cache, this.#io(call), log);
    this.#streams.set(call, stream);
    const end = () => {
      if (!this.#streams.delete(call)) return;
      stream.close();
      log.info('proxy disconnected');
    };
    call.on('data', (incoming: IncomingRequest) => this.#onRequest(stream, incoming, log));
    // The proxy half-closed: finish our side too so the call completes.
    call.on('end', () => {
      end();
      if (!call.writableEnded) call.end();
    });
    call.on('cancelled', end);
    call.on('error', (err) => {
      log.debug({ err }, 'ADS stream error');
      end();
    });
  }

  #onRequest(stream: AdsStream, incoming: IncomingRequest, log: Logger): void {
    if (!incoming.ok) {
      log.warn({ error: incoming.error }, 'ignoring an undecodable DiscoveryRequest');
      return;
    }
    try {
      stream.handle(incoming.request);
    } catch (err) {
      // A bug in handling one request must not take the control plane down; the stream carries on.
      log.error({ err }, 'failed to handle a DiscoveryRequest');
    }
  }

  #io(call: AdsCall): StreamIo {
    return {
      send: (response: DiscoveryResponse) => {
        if (!call.writableEnded) call.write(response);
      },
      fail: (code: 'INVALID_ARGUMENT', details: string) => {
        call.emit('error', { code: grpc.status[code], details });
      },
      ack: (event: AckEvent) => this.emit('ack', event),
      nack: (event: NackEvent) => this.emit('nack', event),
    };
  }

  #authorized(metadata: grpc.Metadata): boolean {
    const token = this.#opts.token;
    if (!token) return true;
    const header = metadata.get('authorization')[0];
    return bearerMatches(typeof header === 'string' ? header : undefined, token);
  }
}

function credentials(tls: AdsTlsOptions | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  if (!tls.cert || !tls.key) throw new ConfigError('xDS TLS needs both a certificate and a private key');
  const ca = tls.ca ? Buffer.from(tls.ca) : null;
  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], ca !== null);
}
