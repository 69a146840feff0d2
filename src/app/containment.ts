// Containment of Envoy's rejections, one gateway at a time. Envoy accepts or rejects a whole resource type
// (one RouteConfiguration holds every route of a port), and the ADS server never resends a rejected version:
// without containment one tenant's bad route would freeze every later edit on the port. So when Envoy rejects
// a version, the resources that changed since the version every Envoy of the gateway last accepted are the
// suspects: they are withheld (the controller serves them at their last accepted version, or leaves them out)
// and tried again a group at a time; a rejected group is halved until each resource Envoy refuses is found
// alone and stays withheld, while every other resource, and every edit arriving meanwhile, is served.
// With nothing accepted yet to fall back on (a controller that just started, whose Envoys still serve what the
// previous one gave them), a withheld resource would be left out, so halving would serve Envoy halves of its
// config; there, windows of the suspects are left out one at a time first, each refused window costing nothing
// (Envoy keeps its config), until one is accepted: then only that window is halved.
// What the platform owns (the GatewayClass, the Gateway) is never a suspect and never withheld: withholding it
// takes the whole gateway away, and what it does wrong is the gateway owner's to fix. A refusal explained by it
// alone (nothing else changed, or a refused listener that is refused still with every suspect withheld: a port
// Envoy cannot bind) is the gateway's own: nothing is withheld for it, the refused version of that type stops
// deciding pushes (Envoy applies the rest of its listeners one by one) until a version of it is accepted.
//
// Pure: the controller feeds it resource changes, its pushes and Envoy's answers, and asks what to withhold.
// `T` is whatever the controller needs back once a push is accepted (its inputs, the new fall-back).

/** The versions a push carries, per type URL (only the types whose answer decides the push). */
export type Versions = Readonly<Record<string, string>>;

/** Why a resource is withheld: the Envoy answer that convicted it. */
export interface Rejection {
  nodeId: string;
  typeUrl: string;
  version: string;
  message: string;
}

/** What became of a push: decided at once (nothing new for Envoy, or a version it already refused) or later. */
export type PushResult = 'accepted' | 'rejected' | 'pending';

interface Push<T> {
  versions: Versions;
  /** Per awaited type, the Envoys yet to accept it; `undefined` when no Envoy was connected (the first answer decides). */
  waiting: Map<string, Set<string> | undefined>;
  /** The awaited types some Envoy has accepted already. */
  answered: Set<string>;
  /** What the push tried (while containing); absent for an ordinary push. */
  trial?: Trial;
  /** An ordinary push: the changed keys it carried and their change sequence numbers. */
  carried: ReadonlyMap<string, number>;
  payload: T;
}

/**
 * A group served to see if Envoy accepts it, a window left out to see if Envoy accepts the rest, or the base:
 * every suspect left out, to see if the refusal is the gateway's own.
 */
type Trial = { include: readonly string[] } | { exclude: readonly string[] } | { base: readonly string[] };

/** The cold search: windows still to leave out, and what to halve if every one of them is refused. */
interface Windows {
  left: string[][];
  suspects: readonly string[];
  rejection: Rejection;
}

/** Into how many windows the suspects are cut when there is nothing to fall back on; fewer suspects are halved. */
const COLD_WINDOWS = 16;

/** What the controller pushed for a plan: the versions to wait on, the Envoys connected, its payload. */
export interface Pushed<T> {
  versions: Versions;
  nodes: readonly string[];
  payload: T;
}

/** A safety net: pushes settled at once in one serve() (each one shrinks a group or convicts a resource). */
const MAX_PUSHES_PER_SERVE = 256;

/** How many refused versions per type are remembered, so a plan that reproduces one is settled without Envoy. */
const REMEMBERED_REJECTIONS = 32;

export interface ContainmentOptions {
  /**
   * Orders suspects before a group is halved: lower ranks first. Resources depend on each other (a route
   * produces nothing without its Gateway, an option nothing without its route), and a group tried while what it
   * depends on is withheld would be accepted without being tested; so what others depend on goes first.
   * Rank 0 resources are never left out to try the rest (without them there may be nothing to try).
   */
  rank?(key: string): number;
  /** Resources the platform owns: never suspects, never withheld (see the top of this file). */
  platform?(key: string): boolean;
  /**
   * Types the platform shapes first of all (listeners: the Gateway's ports and addresses). Their refusal is
   * first tried with every suspect withheld: refused so too, it is the gateway's own.
   */
  platformTypes?: readonly string[];
}

/** A refusal that is the gateway's own: the rejection, and the versions of its type it covers. */
interface Own {
  rejection: Rejection;
  versions: ReadonlySet<string>;
}

export class Containment<T> {
  readonly #rank: (key: string) => number;
  readonly #platform: (key: string) => boolean;
  readonly #platformTypes: ReadonlySet<string>;
  /** Per type, the gateway's own refusal, until a version of that type is accepted. */
  readonly #own = new Map<string, Own>();
  /** A refusal of a platform type, to be tried with every suspect withheld before any is accused. */
  #base?: { suspects: readonly string[]; rejection: Rejection; tried: boolean };
  /** Per type, the version every Envoy of the gateway last accepted. */
  #accepted: Record<string, string> = {};
  #acceptedPayload?: T;
  readonly #refused = new Map<string, Map<string, Rejection>>();
  #seq = 0;
  /** Keys served but not yet accepted, with the sequence number of their latest change. */
  readonly #unconfirmed = new Map<string, number>();
  /** Keys changed while containing, tried next as one group (edits by other tenants are served first). */
  #fresh = new Set<string>();
  /** Suspect groups still to try, first first. */
  readonly #queue: string[][] = [];
  readonly #bad = new Map<string, Rejection>();
  #push?: Push<T>;
  #windows?: Windows;
  /** What the last plan() tries, handed to the push that follows. */
  #trying?: Trial;

  constructor(opts: ContainmentOptions = {}) {
    this.#rank = opts.rank ?? (() => 0);
    this.#platform = opts.platform ?? (() => false);
    this.#platformTypes = new Set(opts.platformTypes ?? []);
  }

  /** Resources (store keys) whose content changed, appeared or went away. */
  changed(keys: Iterable<string>): void {
    for (const key of keys) {
      const wasBad = this.#bad.delete(key);
      this.#dropFromQueue(key);
      this.#dropFromWindows(key);
      // A changed bad resource (its owner's fix) is tried again before it is served; so is every edit while
      // suspects remain, or it could be blamed for their rejection.
      if ((wasBad || this.containing()) && !this.#platform(key)) this.#fresh.add(key);
      else this.#unconfirmed.set(key, ++this.#seq);
    }
    // Once containing, what was served but never accepted is tried with the fresh edits, never pushed
    // alongside a group (a rejection would then blame the group for it).
    if (!this.containing()) return;
    for (const key of this.#unconfirmed.keys()) if (!this.#platform(key)) this.#fresh.add(key);
    for (const key of this.#fresh) this.#unconfirmed.delete(key);
  }

  /** Whether suspects remain to be tried (or one group is being tried). */
  containing(): boolean {
    return this.#fresh.size > 0 || this.#queue.length > 0 || this.#windows !== undefined || this.#base !== undefined || this.busy() || this.#trying !== undefined;
  }

  /** While a tried group awaits Envoy's answer nothing else may be pushed: its answer would be lost. */
  busy(): boolean {
    return this.#push?.trial !== undefined;
  }

  /**
   * Pushes until Envoy's answer is needed: `push` serves the gateway with the keys given withheld. A push
   * settled at once (nothing new for Envoy, or a version it refused before) is followed by the next plan, and
   * a rejection that convicted a resource by the push that leaves it out.
   */
  serve(push: (withheld: ReadonlySet<string>) => Pushed<T>): void {
    for (let i = 0; i < MAX_PUSHES_PER_SERVE && !this.busy(); i++) {
      const convicted = this.#bad.size;
      const withheld = this.plan();
      const base = this.#trying !== undefined && 'base' in this.#trying;
      const p = push(withheld);
      const result = this.pushed(p.versions, p.nodes, p.payload);
      if (result === 'pending') return;
      // The base check served less than the plan: whatever it found, the plan is served next.
      if (base) continue;
      if (!this.containing() && (result === 'accepted' || this.#bad.size === convicted)) return;
    }
  }

  /**
   * The keys to withhold in the next push. While containing, it also picks what to try next (a window of the
   * cold search, then the fresh edits, then the queue), which the next push carries.
   */
  plan(): ReadonlySet<string> {
    if (!this.busy() && !this.#trying) this.#trying = this.#nextTrial();
    const trial = this.#trying;
    const included = new Set(trial && 'include' in trial ? trial.include : []);
    const withheld = new Set<string>(this.#bad.keys());
    for (const key of this.#fresh) if (!included.has(key)) withheld.add(key);
    for (const group of this.#queue) for (const key of group) withheld.add(key);
    if (trial && 'exclude' in trial) for (const key of trial.exclude) withheld.add(key);
    if (trial && 'base' in trial) for (const key of trial.base) withheld.add(key);
    return withheld;
  }

  /**
   * Records a push of `versions` to the Envoys connected now (`nodes`, node ids). `payload` comes back from
   * accepted() once Envoy accepts it.
   */
  pushed(versions: Versions, nodes: readonly string[], payload: T): PushResult {
    const trial = this.#trying;
    this.#trying = undefined;
    const waiting = new Map<string, Set<string> | undefined>();
    // A trial carries nothing unconfirmed (changed() moved it to the fresh edits when containment began).
    const carried = trial ? new Map<string, number>() : new Map(this.#unconfirmed);
    this.#push = { versions, waiting, answered: new Set(), carried, payload, ...(trial && { trial }) };
    for (const [typeUrl, version] of Object.entries(versions)) {
      if (this.#accepted[typeUrl] === version || this.#own.get(typeUrl)?.versions.has(version)) continue;
      const refused = this.#refused.get(typeUrl)?.get(version);
      if (refused) {
        this.#reject(refused);
        return 'rejected';
      }
      waiting.set(typeUrl, nodes.length ? new Set(nodes) : undefined);
    }
    return this.#settle();
  }

  /** An Envoy accepted `version` of `typeUrl`; undefined when that says nothing about the current push. */
  ack(nodeId: string, typeUrl: string, version: string): PushResult | undefined {
    const push = this.#push;
    if (!push || push.versions[typeUrl] !== version || !push.waiting.has(typeUrl)) return undefined;
    const nodes = push.waiting.get(typeUrl);
    nodes?.delete(nodeId);
    push.answered.add(typeUrl);
    if (!nodes || nodes.size === 0) this.#typeAccepted(push, typeUrl);
    return this.#settle();
  }

  /**
   * An Envoy refused a version. Only a refusal of the current push counts: a late one is history, and one of
   * a version accepted already (a newly started Envoy disagreeing) names no suspect.
   */
  nack(rejection: Rejection): PushResult | undefined {
    const push = this.#push;
    const { typeUrl, version } = rejection;
    if (!push || push.versions[typeUrl] !== version || this.#accepted[typeUrl] === version || this.#own.get(typeUrl)?.versions.has(version)) return undefined;
    this.#reject(rejection);
    return 'rejected';
  }

  /** An Envoy went away: the current push no longer waits for it. */
  disconnected(nodeId: string): PushResult | undefined {
    const push = this.#push;
    if (!push) return undefined;
    for (const [typeUrl, nodes] of push.waiting) {
      if (!nodes?.delete(nodeId) || nodes.size > 0) continue;
      // Every other Envoy accepted it: done. Nobody did: like a push to no Envoy, the next to answer decides.
      if (push.answered.has(typeUrl)) this.#typeAccepted(push, typeUrl);
      else push.waiting.set(typeUrl, undefined);
    }
    return this.#settle();
  }

  /** The trial got no answer in time: it goes back to the end of its queue and containment moves on. */
  expire(): void {
    const trial = this.#push?.trial;
    if (!trial) return;
    this.#push = undefined;
    if ('exclude' in trial) {
      this.#windows?.left.push([...trial.exclude]);
      return;
    }
    if ('base' in trial) {
      if (this.#base) this.#base.tried = false;
      return;
    }
    const untouched = trial.include.filter((k) => !this.#fresh.has(k));
    if (untouched.length) this.#queue.push(untouched);
  }

  /** What the last accepted push carried (the fall-back for withheld resources); undefined before any. */
  accepted(): T | undefined {
    return this.#acceptedPayload;
  }

  /** The gateway's own refusals (nothing withheld for them), by type, until a version of the type is accepted. */
  own(): ReadonlyMap<string, Rejection> {
    return new Map([...this.#own].map(([typeUrl, own]) => [typeUrl, own.rejection]));
  }

  /** The resources found bad, each with the rejection that convicted it. */
  bad(): ReadonlyMap<string, Rejection> {
    return this.#bad;
  }

  /**
   * Every Envoy accepted this type's version: that holds even if another type of the push is refused, and a
   * later push with the same version of it (which the ADS server does not send again) must not wait for it.
   */
  #typeAccepted(push: Push<T>, typeUrl: string): void {
    push.waiting.delete(typeUrl);
    this.#accepted[typeUrl] = push.versions[typeUrl] as string;
    this.#own.delete(typeUrl);
  }

  #settle(): PushResult {
    if (!this.#push) return 'accepted';
    if (this.#push.waiting.size > 0) return 'pending';
    this.#accept();
    return 'accepted';
  }

  #accept(): void {
    const push = this.#push;
    if (!push) return;
    this.#push = undefined;
    for (const [typeUrl, version] of Object.entries(push.versions)) if (!this.#own.get(typeUrl)?.versions.has(version)) this.#accepted[typeUrl] = version;
    this.#acceptedPayload = push.payload;
    for (const [key, seq] of push.carried) if (this.#unconfirmed.get(key) === seq) this.#unconfirmed.delete(key);
    const windows = this.#windows;
    if (windows && push.trial && 'exclude' in push.trial) {
      // Everything but this window is accepted: what Envoy refuses is in it.
      this.#windows = undefined;
      this.#split(push.trial.exclude, windows.rejection);
    }
    const base = this.#base;
    if (base && push.trial && 'base' in push.trial) {
      // Accepted without the suspects: the refusal was theirs after all.
      this.#base = undefined;
      this.#accuse(base.suspects, base.rejection);
    }
  }

  #reject(rejection: Rejection): void {
    const push = this.#push;
    if (!push) return;
    this.#push = undefined;
    this.#remember(rejection);
    const trial = push.trial;
    if (trial && 'base' in trial) {
      // Refused with every suspect withheld: the gateway's own; the suspects are served as they are.
      const base = this.#base;
      this.#base = undefined;
      if (base) this.#ownRefusal(base.rejection, rejection);
      for (const key of trial.base) if (!this.#fresh.has(key)) this.#unconfirmed.set(key, ++this.#seq);
      return;
    }
    if (trial && 'exclude' in trial) {
      // Refused without this window too. Every window refused: several are at fault; halve them all.
      const windows = this.#windows;
      if (windows?.left.length) return;
      this.#windows = undefined;
      if (windows) this.#split(windows.suspects, windows.rejection);
      return;
    }
    if (trial) {
      // Keys edited since the push are fresh: their new content is tried on its own.
      this.#split(trial.include.filter((k) => !this.#fresh.has(k)), rejection);
      return;
    }
    // An ordinary push was refused: what it carried since the last accepted version is suspect. Keys changed
    // after it was pushed never reached Envoy: they are tried first, as fresh edits.
    const suspects = [...push.carried.keys()].filter((k) => !this.#platform(k));
    for (const key of this.#unconfirmed.keys()) if (!push.carried.has(key) && !this.#platform(key)) this.#fresh.add(key);
    this.#unconfirmed.clear();
    if (suspects.length === 0) this.#ownRefusal(rejection);
    else if (this.#platformTypes.has(rejection.typeUrl)) this.#base = { suspects, rejection, tried: false };
    else this.#accuse(suspects, rejection);
  }

  /** The suspects of a refusal are searched: by windows when nothing accepted is there to fall back on. */
  #accuse(suspects: readonly string[], rejection: Rejection): void {
    if (this.#acceptedPayload === undefined) this.#windows = this.#coldWindows(suspects, rejection);
    if (!this.#windows) this.#split(suspects, rejection);
  }

  /** Records the gateway's own refusal of a type: those versions no longer decide a push. */
  #ownRefusal(...rejections: Rejection[]): void {
    const [first] = rejections;
    if (!first) return;
    this.#own.set(first.typeUrl, { rejection: first, versions: new Set(rejections.filter((r) => r.typeUrl === first.typeUrl).map((r) => r.version)) });
  }

  /** Windows of the suspects that may be left out (rank above 0), when there are enough of them to cut. */
  #coldWindows(suspects: readonly string[], rejection: Rejection): Windows | undefined {
    const windowable = suspects.filter((k) => this.#rank(k) > 0);
    if (windowable.length < 2 * COLD_WINDOWS) return undefined;
    const size = Math.ceil(windowable.length / COLD_WINDOWS);
    const left: string[][] = [];
    for (let i = 0; i < windowable.length; i += size) left.push(windowable.slice(i, i + size));
    return { left, suspects, rejection };
  }

  #split(group: readonly string[], rejection: Rejection): void {
    if (group.length === 0) return;
    if (group.length === 1) {
      this.#bad.set(group[0] as string, rejection);
      return;
    }
    const ordered = [...group].sort((a, b) => this.#rank(a) - this.#rank(b));
    const half = Math.ceil(ordered.length / 2);
    this.#queue.unshift(ordered.slice(0, half), ordered.slice(half));
  }

  #remember(rejection: Rejection): void {
    const versions = this.#refused.get(rejection.typeUrl) ?? new Map<string, Rejection>();
    this.#refused.set(rejection.typeUrl, versions);
    versions.set(rejection.version, rejection);
    if (versions.size > REMEMBERED_REJECTIONS) versions.delete(versions.keys().next().value as string);
  }

  #nextTrial(): Trial | undefined {
    if (this.#base && !this.#base.tried) {
      this.#base.tried = true;
      return { base: this.#base.suspects };
    }
    const window = this.#windows?.left.shift();
    if (window) return { exclude: window };
    if (this.#fresh.size > 0) {
      const include = [...this.#fresh];
      this.#fresh = new Set();
      return { include };
    }
    const group = this.#queue.shift();
    return group && { include: group };
  }

  /** A changed key's new content is tried as a fresh edit, not as part of the cold search. */
  #dropFromWindows(key: string): void {
    const windows = this.#windows;
    if (!windows) return;
    windows.suspects = windows.suspects.filter((k) => k !== key);
    for (const window of windows.left) {
      const at = window.indexOf(key);
      if (at >= 0) window.splice(at, 1);
    }
    windows.left = windows.left.filter((w) => w.length > 0);
  }

  #dropFromQueue(key: string): void {
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      const group = this.#queue[i] as string[];
      const at = group.indexOf(key);
      if (at < 0) continue;
      group.splice(at, 1);
      if (group.length === 0) this.#queue.splice(i, 1);
    }
  }
}
