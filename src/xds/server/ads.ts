// The ADS gRPC server Envoys connect to (state of the world over one stream, AggregatedDiscoveryService).
// Each Envoy is keyed by `node.cluster` = `<namespace>/<gateway>` and served that key's snapshot — if its
// identity (client certificate or token, see identity.ts) allows that key. Emits `ack`, `nack` and
// `disconnect` events; `proxies()` is the view for the admin endpoint.
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { XdsError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { byKey } from '../../lib/stable.ts';
import type { SnapshotCache } from '../cache/snapshot-cache.ts';
import { adsService, type DiscoveryResponse, type IncomingRequest } from './discovery.ts';
import { ANONYMOUS, DEFAULT_TRUST_DOMAIN, formatIdentity, identityFromCertificate, type TokenTable, type XdsIdentity } from './identity.ts';
import { ADS_SERVER_OPTIONS } from './limits.ts';
import { ServingCertificate, type ServingPems } from './serving-certificate.ts';
import { type AckEvent, AdsStream, type NackEvent, type ProxyStatus, type StreamIo } from './stream.ts';

export type { AckEvent, NackEvent, ProxyStatus, ProxyTypeStatus } from './stream.ts';

/** A proxy that had identified itself went away (what it ACKed or NACKed no longer stands for a live Envoy). */
export interface DisconnectEvent {
  nodeId: string;
  nodeKey: string;
}

/** PEM contents; with `ca`, clients must present a certificate it signed (mutual TLS). */
export type AdsTlsOptions = ServingPems;

export interface AdsServerOptions {
  cache: SnapshotCache;
  logger: Logger;
  /** Without it the server speaks plaintext (fine on loopback, not across hosts). A ServingCertificate can be renewed while serving. */
  tls?: AdsTlsOptions | ServingCertificate;
  /** The SPIFFE trust domain of client certificates' identities (default portico.local). */
  trustDomain?: string;
  /** Per-identity bearer tokens (`authorization: Bearer <token>`); the table may be replaced while serving. */
  tokens?: TokenTable;
}

type AdsCall = grpc.ServerDuplexStream<IncomingRequest, DiscoveryResponse>;

/** How long close() lets streams end by themselves before cutting the connections. */
const SHUTDOWN_GRACE_MS = 2000;

export class AdsServer extends EventEmitter<{ ack: [AckEvent]; nack: [NackEvent]; disconnect: [DisconnectEvent] }> {
  readonly #opts: AdsServerOptions;
  readonly #log: Logger;
  readonly #tls?: ServingCertificate;
  readonly #server = new grpc.Server(ADS_SERVER_OPTIONS);
  readonly #streams = new Map<AdsCall, AdsStream>();

  constructor(opts: AdsServerOptions) {
    super();
    this.#opts = opts;
    this.#log = opts.logger;
    if (opts.tls) this.#tls = opts.tls instanceof ServingCertificate ? opts.tls : new ServingCertificate(opts.tls);
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
      const credentials = this.#tls?.credentials() ?? grpc.ServerCredentials.createInsecure();
      this.#server.bindAsync(address, credentials, (err, bound) => {
        if (err) reject(new XdsError(`cannot listen for xDS on ${address}: ${err.message}`, { cause: err }));
        else {
          this.#log.info({ address, port: bound, tls: Boolean(this.#tls), auth: this.#authMethods() }, 'ADS server listening');
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
    const peerLog = this.#log.child({ peer: call.getPeer() });
    const auth = this.#authenticate(call);
    if (!auth.ok) {
      // The reason names what was wrong (no credential, an unknown token, a certificate without identity), never the credential.
      peerLog.warn({ reason: auth.reason }, 'refusing an ADS stream: the client did not prove an identity');
      call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: auth.reason });
      return;
    }
    const log = peerLog.child({ identity: formatIdentity(auth.identity) });
    const stream = new AdsStream(this.#opts.cache, this.#io(call), log, auth.identity);
    this.#streams.set(call, stream);
    const end = () => {
      if (!this.#streams.delete(call)) return;
      stream.close();
      const node = stream.status();
      if (node) this.emit('disconnect', { nodeId: node.nodeId, nodeKey: node.nodeKey });
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
      fail: (code: 'INVALID_ARGUMENT' | 'PERMISSION_DENIED', details: string) => {
        call.emit('error', { code: grpc.status[code], details });
      },
      ack: (event: AckEvent) => this.emit('ack', event),
      nack: (event: NackEvent) => this.emit('nack', event),
    };
  }

  /** Which client authentication is on: none means every client is anonymous (loopback or --xds-allow-insecure). */
  #authMethods(): string[] {
    return [...(this.#tls?.mutual ? ['certificate'] : []), ...(this.#opts.tokens?.size ? ['token'] : [])];
  }

  /**
   * The client's identity: from its verified certificate (mutual TLS) and/or its token. When both are
   * presented they must name the same identity. Without any client authentication configured, anonymous.
   */
  #authenticate(call: AdsCall): { ok: true; identity: XdsIdentity } | { ok: false; reason: string } {
    const methods = this.#authMethods();
    if (!methods.length) return { ok: true, identity: ANONYMOUS };
    const fromCert = this.#certificateIdentity(call);
    if (fromCert && !fromCert.ok) return fromCert;
    const fromToken = this.#tokenIdentity(call.metadata);
    if (fromToken && !fromToken.ok) return fromToken;
    const [a, b] = [fromCert?.identity, fromToken?.identity];
    if (a && b && formatIdentity(a) !== formatIdentity(b)) return { ok: false, reason: `the client certificate (${formatIdentity(a)}) and the token (${formatIdentity(b)}) name different identities` };
    const identity = a ?? b;
    return identity ? { ok: true, identity } : { ok: false, reason: `no credential: this server identifies clients by ${methods.join(' or ')}` };
  }

  #certificateIdentity(call: AdsCall): { ok: true; identity: XdsIdentity } | { ok: false; reason: string } | undefined {
    if (!this.#tls?.mutual) return undefined;
    // grpc-js gives the peer certificate only when the TLS handshake verified it against the CA.
    const peer = call.getAuthContext().sslPeerCertificate;
    if (!peer?.raw) return undefined;
    return identityFromCertificate(peer.raw, this.#opts.trustDomain ?? DEFAULT_TRUST_DOMAIN);
  }

  #tokenIdentity(metadata: grpc.Metadata): { ok: true; identity: XdsIdentity } | { ok: false; reason: string } | undefined {
    const tokens = this.#opts.tokens;
    const header = metadata.get('authorization')[0];
    if (!tokens?.size || typeof header !== 'string') return undefined;
    const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    const identity = tokens.identify(token);
    return identity ? { ok: true, identity } : { ok: false, reason: 'the bearer token is not one of this server\'s tokens' };
  }
}
