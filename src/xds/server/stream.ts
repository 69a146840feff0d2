// One Envoy's ADS stream (state of the world): which types it subscribed to, what was sent with which
// nonce, and what it accepted or rejected. Pure protocol state; the gRPC call is behind `StreamIo`.
import type { Logger } from '../../lib/logger.ts';
import type { Snapshot, SnapshotCache } from '../cache/snapshot-cache.ts';
import { TYPE_URLS, type TypeUrl } from '../resources.ts';
import type { DiscoveryRequest, DiscoveryResponse } from './discovery.ts';
import { allows, formatIdentity, type XdsIdentity } from './identity.ts';

export interface AckEvent {
  nodeId: string;
  nodeKey: string;
  typeUrl: string;
  version: string;
}

/** `version` is the version Envoy rejected; it keeps serving its last accepted one. */
export interface NackEvent extends AckEvent {
  message: string;
}

export interface ProxyTypeStatus {
  sentVersion?: string;
  ackedVersion?: string;
  lastNack?: { version: string; message: string };
}

export interface ProxyStatus {
  nodeId: string;
  nodeKey: string;
  /** Who the proxy proved to be (identity.ts), e.g. `gateway/default/gw`; `anonymous` without client authentication. */
  identity: string;
  connectedSince: string;
  types: Partial<Record<TypeUrl, ProxyTypeStatus>>;
}

/** What a stream needs from its surroundings. */
export interface StreamIo {
  send(response: DiscoveryResponse): void;
  /** Ends the stream with a gRPC status (used when the first request names no node, or one its identity may not have). */
  fail(code: 'INVALID_ARGUMENT' | 'PERMISSION_DENIED', details: string): void;
  ack(event: AckEvent): void;
  nack(event: NackEvent): void;
}

/**
 * Make before break: clusters (and their endpoints) before the listeners and routes that point at them.
 * Secrets are only ever sent once requested by name, so their place is for readability.
 */
const PUSH_ORDER: readonly TypeUrl[] = [
  TYPE_URLS.secret,
  TYPE_URLS.cluster,
  TYPE_URLS.endpoint,
  TYPE_URLS.listener,
  TYPE_URLS.route,
  TYPE_URLS.serviceConfig,
];

/**
 * Envoy subscribes to all listeners and clusters; routes, endpoints and secrets are requested by name.
 * Portico's services take their whole configuration.
 */
const WILDCARD: ReadonlySet<string> = new Set([TYPE_URLS.listener, TYPE_URLS.cluster, TYPE_URLS.serviceConfig]);

interface TypeState extends ProxyTypeStatus {
  /** undefined: every resource of the type. */
  names?: ReadonlySet<string>;
  nonce?: string;
  /** The subscription the last response answered, to notice when Envoy asks for other names. */
  sentNames?: string;
}

export class AdsStream {
  readonly connectedSince = new Date();
  readonly #cache: SnapshotCache;
  readonly #io: StreamIo;
  readonly #identity: XdsIdentity;
  #log: Logger;
  /** Refused: every later request of the stream is ignored (it is being ended). */
  #refused = false;
  #node?: { id: string; key: string };
  #snapshot?: Snapshot;
  #unwatch?: () => void;
  #warnedWaiting = false;
  #nonce = 0;
  readonly #types = new Map<TypeUrl, TypeState>();

  constructor(cache: SnapshotCache, io: StreamIo, log: Logger, identity: XdsIdentity) {
    this.#cache = cache;
    this.#io = io;
    this.#log = log;
    this.#identity = identity;
  }

  handle(req: DiscoveryRequest): void {
    if (this.#refused || (!this.#node && !this.#identify(req))) return;
    const typeUrl = req.type_url ?? '';
    if (!isTypeUrl(typeUrl)) {
      this.#log.warn({ typeUrl }, 'ignoring a request for a resource type Portico does not serve');
      return;
    }
    const state = this.#types.get(typeUrl) ?? {};
    this.#types.set(typeUrl, state);
    const nonce = req.response_nonce ?? '';
    if (nonce && nonce !== state.nonce) {
      // Answers an older response; a request for the newest one will follow (xDS "stale nonce").
      this.#log.debug({ typeUrl, nonce, current: state.nonce }, 'ignoring a request with a stale nonce');
      return;
    }
    if (nonce) this.#acknowledge(typeUrl, state, req);
    state.names = WILDCARD.has(typeUrl) ? undefined : new Set(req.resource_names ?? []);
    // No nonce: Envoy has nothing from this stream for this type yet, so it always gets an answer.
    if (!nonce || this.#changed(typeUrl, state)) this.#push(typeUrl, state);
  }

  /** Stops watching the cache; call when the stream ends. */
  close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  status(): ProxyStatus | undefined {
    if (!this.#node) return undefined;
    const types: Partial<Record<TypeUrl, ProxyTypeStatus>> = {};
    for (const [typeUrl, { sentVersion, ackedVersion, lastNack }] of this.#types) {
      types[typeUrl] = { sentVersion, ackedVersion, lastNack };
    }
    return { nodeId: this.#node.id, nodeKey: this.#node.key, identity: formatIdentity(this.#identity), connectedSince: this.connectedSince.toISOString(), types };
  }

  /**
   * The first request carries the node; `node.cluster` says which gateway's config it gets — if the stream's
   * identity allows it. A refused stream never watches the cache, so nothing is sent and no ACK or NACK of it
   * is ever reported.
   */
  #identify(req: DiscoveryRequest): boolean {
    const key = req.node?.cluster;
    if (!key) {
      this.#log.warn({ node: req.node }, 'rejecting an ADS stream whose first request has no node.cluster');
      this.#refused = true;
      this.#io.fail('INVALID_ARGUMENT', 'node.cluster must name the gateway as <namespace>/<gateway> (or a Portico service, e.g. portico:extauth)');
      return false;
    }
    if (!allows(this.#identity, key)) {
      this.#log.warn({ nodeId: req.node?.id, requestedNodeKey: key }, `refusing an ADS stream: identity ${formatIdentity(this.#identity)} may not receive the config of ${key}`);
      this.#refused = true;
      this.#io.fail('PERMISSION_DENIED', `identity ${formatIdentity(this.#identity)} may not receive the config of ${key}`);
      return false;
    }
    this.#node = { id: req.node?.id || '(no node id)', key };
    this.#log = this.#log.child({ nodeId: this.#node.id, nodeKey: key });
    this.#log.info('proxy connected');
    this.#unwatch = this.#cache.watch(key, (snapshot) => this.#onSnapshot(snapshot));
    return true;
  }

  #onSnapshot(snapshot: Snapshot | undefined): void {
    this.#snapshot = snapshot;
    if (!snapshot) {
      this.#log.warn('the gateway has no config any more; the proxy keeps what it has');
      return;
    }
    for (const typeUrl of PUSH_ORDER) {
      const state = this.#types.get(typeUrl);
      if (state && this.#changed(typeUrl, state)) this.#push(typeUrl, state);
    }
  }

  #acknowledge(typeUrl: TypeUrl, state: TypeState, req: DiscoveryRequest): void {
    const node = this.#node!;
    if (req.error_detail) {
      // The rejected version is the one sent with this nonce; it is not sent again (it would be rejected
      // again), and the next different snapshot is pushed as usual.
      const message = req.error_detail.message || '(Envoy gave no reason)';
      const version = state.sentVersion ?? '';
      state.lastNack = { version, message };
      this.#log.warn({ typeUrl, version, keptVersion: req.version_info, error: message }, 'proxy rejected config (NACK)');
      this.#io.nack({ nodeId: node.id, nodeKey: node.key, typeUrl, version, message });
      return;
    }
    const version = req.version_info ?? '';
    state.ackedVersion = version;
    if (state.lastNack && state.lastNack.version !== version) state.lastNack = undefined;
    this.#log.debug({ typeUrl, version }, 'proxy accepted config (ACK)');
    this.#io.ack({ nodeId: node.id, nodeKey: node.key, typeUrl, version });
  }

  /** Whether the proxy lacks what the current snapshot has for its subscription to this type. */
  #changed(typeUrl: TypeUrl, state: TypeState): boolean {
    if (!this.#snapshot) return false;
    return state.sentVersion !== this.#snapshot.versions[typeUrl] || state.sentNames !== namesKey(state.names);
  }

  #push(typeUrl: TypeUrl, state: TypeState): void {
    const snapshot = this.#snapshot;
    if (!snapshot) {
      if (!this.#warnedWaiting) this.#log.warn('no config for this gateway yet; the proxy waits for one');
      this.#warnedWaiting = true;
      return;
    }
    const all = snapshot.encoded(typeUrl);
    const names = state.names;
    const resources = names ? all.filter((r) => names.has(r.name)) : all;
    state.nonce = String(++this.#nonce);
    state.sentVersion = snapshot.versions[typeUrl];
    state.sentNames = namesKey(names);
    this.#log.debug({ typeUrl, version: state.sentVersion, nonce: state.nonce, count: resources.length }, 'pushing config');
    this.#io.send({ version_info: state.sentVersion, resources: resources.map((r) => r.any), type_url: typeUrl, nonce: state.nonce });
  }
}

function isTypeUrl(typeUrl: string): typeUrl is TypeUrl {
  return (PUSH_ORDER as readonly string[]).includes(typeUrl);
}

function namesKey(names: ReadonlySet<string> | undefined): string {
  return names ? JSON.stringify([...names].sort()) : '*';
}
