// Runs one Containment (app/containment.ts) per gateway for the controller: tells each which resources
// changed, forwards Envoy's answers to the gateway they concern, decides what each push withholds (and with
// which fall-back versions), gives up waiting on an Envoy that does not answer, and sends a listener Envoy
// refused for the gateway's own reason (a port it cannot bind) again, backing off, until Envoy accepts it. One gateway's containment
// never changes what another gateway is served: a gateway with something withheld is translated on its own.
import { GATEWAY_GROUP, resourceKey, type Resource } from '../api/resource.ts';
import type { Logger } from '../lib/logger.ts';
import type { Snapshot } from '../xds/cache/snapshot-cache.ts';
import { TYPE_URLS } from '../xds/resources.ts';
import type { AckEvent, DisconnectEvent, NackEvent } from '../xds/server/ads.ts';
import { Containment, type PushResult, type Rejection } from './containment.ts';
import type { Withheld } from './nacks.ts';
import { pinned } from './pipeline.ts';

/** The resources a gateway is served, by store key. */
export type Inputs = ReadonlyMap<string, Resource>;

/**
 * Envoy accepts or refuses these types as a whole (a port's routes are one RouteConfiguration); listeners and
 * clusters are subscribed by every Envoy, routes by every one with an HTTP listener, so each push is answered.
 * Endpoints and secrets are left out: an Envoy asks for some of them only, and a NACK of them is still
 * reported on the Gateway.
 */
const DECIDING_TYPES = [TYPE_URLS.listener, TYPE_URLS.route, TYPE_URLS.cluster] as const;

/** How long a tried group waits for Envoy's answer before it is put back and containment moves on. */
const ANSWER_TIMEOUT_MS = 10_000;

/** A listener refused for the gateway's own reason is sent again after 1 s, doubling up to this. */
const RETRY_MAX_MS = 30_000;
const RETRY_FIRST_MS = 1_000;

export interface GatewayContainmentOptions {
  /**
   * Serves the gateway `inputs` (`withheld` empty: the store as it is) and returns what the cache now holds
   * for it. Throwing is not expected: a push that cannot be encoded keeps the previous snapshot.
   */
  push(gateway: string, inputs: Inputs, withheld: ReadonlySet<string>): Snapshot | undefined;
  /** Sends one type of the gateway again under a new version, unchanged (SnapshotCache.resend). */
  resend(gateway: string, typeUrl: string): void;
  /** The node ids of the Envoys of the gateway connected now. */
  nodes(gateway: string): string[];
  /** Called when what is withheld (and so the statuses) changed. */
  onWithheldChange(): void;
  logger: Logger;
  answerTimeoutMs?: number;
  retryFirstMs?: number;
}

interface State {
  machine: Containment<Inputs>;
  timer?: NodeJS.Timeout;
  /** The next resend of what the gateway itself gets refused, and the delay after it. */
  retry?: NodeJS.Timeout;
  retryMs: number;
  /** The types last logged as refused for the gateway's own reason, to log a change once. */
  ownLogged: string;
  /** The last pinned inputs and what they were made of: the same plan gets the same object (translated once). */
  pinned?: { resources: Resource[]; fallback: Inputs | undefined; withheld: string; inputs: Inputs };
  /** The bad keys last reported, to notice a change. */
  reported: string;
}

export class GatewayContainment {
  readonly #opts: GatewayContainmentOptions;
  readonly #gateways = new Map<string, State>();
  #resources: Resource[] = [];
  #byKey: Inputs = new Map();

  constructor(opts: GatewayContainmentOptions) {
    this.#opts = opts;
  }

  /** A new store snapshot: each gateway (a new one sees every resource as changed) learns what changed. */
  update(resources: Resource[], gateways: Iterable<string>): void {
    const byKey = new Map(resources.map((r) => [resourceKey(r), r]));
    const changed = changedKeys(this.#byKey, byKey);
    this.#resources = resources;
    this.#byKey = byKey;
    const live = new Set(gateways);
    for (const [key, state] of this.#gateways) {
      if (live.has(key)) continue;
      clearTimeout(state.timer);
      clearTimeout(state.retry);
      this.#gateways.delete(key);
    }
    for (const key of live) {
      const state = this.#gateways.get(key);
      if (state) state.machine.changed(changed);
      else {
        const machine = new Containment<Inputs>({ rank: dependencyRank, platform: isPlatform, platformTypes: [TYPE_URLS.listener] });
        machine.changed(byKey.keys());
        this.#gateways.set(key, { machine, reported: '', ownLogged: '', retryMs: this.#opts.retryFirstMs ?? RETRY_FIRST_MS });
      }
    }
  }

  /** Pushes the gateway what its containment allows now (nothing while a tried group awaits its answer). */
  serve(gateway: string): void {
    const state = this.#gateways.get(gateway);
    if (!state) return;
    state.machine.serve((withheld) => {
      const inputs = withheld.size ? this.#pinnedInputs(state, withheld) : this.#byKey;
      const snapshot = this.#opts.push(gateway, inputs, withheld);
      return { versions: decidingVersions(snapshot), nodes: this.#opts.nodes(gateway), payload: inputs };
    });
    this.#watchTimeout(gateway, state);
    this.#scheduleRetry(gateway, state);
    this.#reportIfChanged(gateway, state);
  }

  ack(e: AckEvent): void {
    this.#answered(e.nodeKey, (m) => m.ack(e.nodeId, e.typeUrl, e.version));
  }

  nack(e: NackEvent): void {
    this.#answered(e.nodeKey, (m) => m.nack({ nodeId: e.nodeId, typeUrl: e.typeUrl, version: e.version, message: e.message }));
  }

  disconnected(e: DisconnectEvent): void {
    this.#answered(e.nodeKey, (m) => m.disconnected(e.nodeId));
  }

  /** Every withheld resource, by store key, with the gateways that refuse it (for the statuses). */
  withheld(): Map<string, Withheld[]> {
    const out = new Map<string, Withheld[]>();
    for (const [gateway, { machine }] of this.#gateways) {
      for (const [key, rejection] of machine.bad()) {
        const entries = out.get(key) ?? [];
        out.set(key, entries);
        entries.push({ gateway, rejection, previousServes: machine.accepted()?.has(key) ?? false });
      }
    }
    return out;
  }

  close(): void {
    for (const state of this.#gateways.values()) {
      clearTimeout(state.timer);
      clearTimeout(state.retry);
    }
  }

  #pinnedInputs(state: State, withheld: ReadonlySet<string>): Inputs {
    const fallback = state.machine.accepted();
    const key = [...withheld].sort().join('\n');
    const last = state.pinned;
    if (last && last.resources === this.#resources && last.fallback === fallback && last.withheld === key) return last.inputs;
    const inputs = pinned(this.#resources, withheld, fallback);
    state.pinned = { resources: this.#resources, fallback, withheld: key, inputs };
    return inputs;
  }

  #answered(gateway: string, answer: (m: Containment<Inputs>) => PushResult | undefined): void {
    const state = this.#gateways.get(gateway);
    if (!state) return;
    const result = answer(state.machine);
    // Accepted while suspects remain, or rejected: the next plan goes out. Accepted otherwise: nothing is new.
    if (result === 'rejected' || (result === 'accepted' && state.machine.containing())) this.serve(gateway);
    else {
      this.#watchTimeout(gateway, state);
      this.#scheduleRetry(gateway, state);
    }
  }

  /**
   * What Envoy refuses for the gateway's own reason is sent again, backing off: a port taken by another process
   * may be freed, and Envoy tries to bind it only when it gets the listener again. Accepted once: back to 1 s.
   */
  #scheduleRetry(gateway: string, state: State): void {
    const own = state.machine.own();
    this.#logOwn(gateway, state, own);
    if (own.size === 0) {
      clearTimeout(state.retry);
      state.retry = undefined;
      state.retryMs = this.#opts.retryFirstMs ?? RETRY_FIRST_MS;
      return;
    }
    if (state.retry) return;
    state.retry = setTimeout(() => {
      state.retry = undefined;
      if (state.machine.busy() || this.#gateways.get(gateway) !== state) return this.#scheduleRetry(gateway, state);
      state.retryMs = Math.min(state.retryMs * 2, RETRY_MAX_MS);
      for (const typeUrl of state.machine.own().keys()) this.#opts.resend(gateway, typeUrl);
      this.serve(gateway);
    }, state.retryMs);
    state.retry.unref();
  }

  #watchTimeout(gateway: string, state: State): void {
    if (!state.machine.busy()) {
      clearTimeout(state.timer);
      state.timer = undefined;
      return;
    }
    if (state.timer) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (!state.machine.busy()) return;
      this.#opts.logger.warn({ gateway }, 'no Envoy answered a containment push in time; trying the next suspects');
      state.machine.expire();
      this.serve(gateway);
    }, this.#opts.answerTimeoutMs ?? ANSWER_TIMEOUT_MS);
    state.timer.unref();
  }

  #logOwn(gateway: string, state: State, own: ReadonlyMap<string, Rejection>): void {
    const logged = [...own.keys()].join('\n');
    if (logged === state.ownLogged) return;
    state.ownLogged = logged;
    const refused = [...own.values()].map((r) => ({ type: r.typeUrl.split('.').pop(), message: r.message.slice(0, 500) }));
    if (refused.length) this.#opts.logger.warn({ gateway, refused }, "Envoy refuses the gateway's own config (a port it cannot bind, say): nothing is withheld, it is reported on the Gateway and sent again until Envoy accepts it");
    else this.#opts.logger.info({ gateway }, "Envoy accepts the gateway's own config again");
  }

  #reportIfChanged(gateway: string, state: State): void {
    const reported = [...state.machine.bad().keys()].join('\n');
    if (reported === state.reported) return;
    state.reported = reported;
    const withheld = [...state.machine.bad().keys()];
    if (withheld.length) this.#opts.logger.warn({ gateway, withheld }, 'Envoy rejects these resources: they are withheld, the rest of the gateway is served');
    else this.#opts.logger.info({ gateway }, 'no resource is withheld from the gateway any more');
    this.#opts.onWithheldChange();
  }
}

/** The GatewayClass and the Gateways: what the platform owns, never withheld (see app/containment.ts). */
function isPlatform(key: string): boolean {
  const [group, kind] = key.split('/');
  return group === GATEWAY_GROUP && (kind === 'GatewayClass' || kind === 'Gateway');
}

/**
 * Routes depend on Gateways, backends and the rest; route and virtual-host options depend on the routes and
 * Gateways they attach to. Containment tries what others depend on first (see ContainmentOptions.rank).
 */
function dependencyRank(key: string): number {
  const kind = key.split('/')[1];
  if (kind === 'HTTPRoute' || kind === 'GRPCRoute') return 1;
  return kind === 'RouteOption' || kind === 'VirtualHostOption' ? 2 : 0;
}

function decidingVersions(snapshot: Snapshot | undefined): Record<string, string> {
  const versions: Record<string, string> = {};
  if (!snapshot) return versions;
  for (const typeUrl of DECIDING_TYPES) if (snapshot.resources[typeUrl].length) versions[typeUrl] = snapshot.versions[typeUrl];
  return versions;
}

function changedKeys(before: Inputs, after: Inputs): string[] {
  const changed: string[] = [];
  for (const [key, r] of after) if (before.get(key) !== r) changed.push(key);
  for (const key of before.keys()) if (!after.has(key)) changed.push(key);
  return changed;
}
