// The xDS resources each gateway's Envoys are served, keyed by node key (`node.cluster`, which Portico sets
// to `<namespace>/<gateway>`). Each type URL has its own version, the content hash of that type's
// resources, so an endpoint-only change moves only the EDS version and nothing else is re-sent.
import { ProtoError, XdsError } from '../../lib/errors.ts';
import { type Logger, silentLogger } from '../../lib/logger.ts';
import { byKey, fastHashOf } from '../../lib/stable.ts';
import { type AnyMessage, packAny } from '../encode.ts';
import { type NamedResource, TYPE_URLS, type TypeUrl, type XdsObject, type XdsResources } from '../resources.ts';
import { serviceConfigName } from '../service-config.ts';

const ALL_TYPE_URLS: readonly TypeUrl[] = Object.values(TYPE_URLS);

export interface EncodedResource {
  name: string;
  any: AnyMessage;
}

/** A consistent set of resources for one node key. Serialises to JSON as `{versions, resources}`. */
export class Snapshot {
  /** Per type URL (every known one, even when it has no resources), the content hash of its resources. */
  readonly versions: Readonly<Record<TypeUrl, string>>;
  /** The resources as given, each list sorted by name. */
  readonly resources: Readonly<Record<TypeUrl, readonly NamedResource[]>>;
  readonly #encoded: Readonly<Record<TypeUrl, readonly EncodedResource[]>>;

  constructor(
    versions: Record<TypeUrl, string>,
    resources: Record<TypeUrl, readonly NamedResource[]>,
    encoded: Record<TypeUrl, readonly EncodedResource[]>,
  ) {
    this.versions = versions;
    this.resources = resources;
    this.#encoded = encoded;
  }

  /** The resources of one type packed as Any, encoded once when the snapshot was set. */
  encoded(typeUrl: TypeUrl): readonly EncodedResource[] {
    return this.#encoded[typeUrl];
  }
}

/** Called with the current snapshot, or `undefined` when the node key was deleted. */
export type SnapshotListener = (snapshot: Snapshot | undefined) => void;

export interface SnapshotCacheOptions {
  /** Where a throwing listener is reported; it never stops the other listeners. */
  logger?: Logger;
}

export class SnapshotCache {
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #listeners = new Map<string, Set<SnapshotListener>>();
  readonly #log: Logger;

  constructor(opts: SnapshotCacheOptions = {}) {
    this.#log = opts.logger ?? silentLogger;
  }

  /**
   * Replaces what `nodeKey` is served and notifies its watchers when any type's version changed.
   * Every resource is encoded here, so a resource Envoy could never parse throws (ProtoError, XdsError)
   * to the caller and the previous snapshot stays in place. Resource objects must not be changed once
   * passed: an object passed again is taken to encode as it did.
   */
  set(nodeKey: string, resources: XdsResources): Snapshot {
    const previous = this.#snapshots.get(nodeKey);
    const next = buildSnapshot(nodeKey, resources, previous);
    if (previous && ALL_TYPE_URLS.every((t) => previous.versions[t] === next.versions[t])) return previous;
    this.#snapshots.set(nodeKey, next);
    this.#notify(nodeKey, next);
    return next;
  }

  /**
   * Sends one type of `nodeKey` again under a new version (`<content hash>~<n>`), the resources unchanged: the ADS
   * server never resends a version, and Envoy tries a refused listener again only when it gets one (a port
   * that was taken may be free now). The new version is kept while the content stays the same.
   */
  resend(nodeKey: string, typeUrl: TypeUrl): Snapshot | undefined {
    const previous = this.#snapshots.get(nodeKey);
    if (!previous) return undefined;
    const [hash = '', n = '0'] = previous.versions[typeUrl].split('~');
    const encoded = Object.fromEntries(ALL_TYPE_URLS.map((t) => [t, previous.encoded(t)])) as Record<TypeUrl, readonly EncodedResource[]>;
    const next = new Snapshot({ ...previous.versions, [typeUrl]: `${hash}~${Number(n) + 1}` }, { ...previous.resources }, encoded);
    this.#snapshots.set(nodeKey, next);
    this.#notify(nodeKey, next);
    return next;
  }

  get(nodeKey: string): Snapshot | undefined {
    return this.#snapshots.get(nodeKey);
  }

  /** Calls `listener` with the current snapshot (if any) at once, then on every change. */
  watch(nodeKey: string, listener: SnapshotListener): () => void {
    const listeners = this.#listeners.get(nodeKey) ?? new Set<SnapshotListener>();
    this.#listeners.set(nodeKey, listeners);
    listeners.add(listener);
    const current = this.#snapshots.get(nodeKey);
    if (current) this.#call(listener, current, nodeKey);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#listeners.get(nodeKey) === listeners) this.#listeners.delete(nodeKey);
    };
  }

  /** Forgets `nodeKey`; its watchers get `undefined` (and stay subscribed in case it comes back). */
  delete(nodeKey: string): boolean {
    if (!this.#snapshots.delete(nodeKey)) return false;
    this.#notify(nodeKey, undefined);
    return true;
  }

  keys(): string[] {
    return [...this.#snapshots.keys()].sort();
  }

  #notify(nodeKey: string, snapshot: Snapshot | undefined): void {
    for (const listener of [...(this.#listeners.get(nodeKey) ?? [])]) this.#call(listener, snapshot, nodeKey);
  }

  #call(listener: SnapshotListener, snapshot: Snapshot | undefined, nodeKey: string): void {
    try {
      listener(snapshot);
    } catch (err) {
      this.#log.error({ err, nodeKey }, 'snapshot listener failed');
    }
  }
}

function buildSnapshot(nodeKey: string, input: XdsResources, previous: Snapshot | undefined): Snapshot {
  const versions = {} as Record<TypeUrl, string>;
  const resources = {} as Record<TypeUrl, readonly NamedResource[]>;
  const encoded = {} as Record<TypeUrl, readonly EncodedResource[]>;
  for (const typeUrl of ALL_TYPE_URLS) {
    const list = [...(input[typeUrl] ?? [])].sort(byKey((r) => r.name));
    const hash = fastHashOf(list); // translator output: key order is fixed by construction
    // A version resend() gave the same content stays, so the next set() does not send it once more.
    const before = previous?.versions[typeUrl];
    versions[typeUrl] = before?.split('~')[0] === hash ? before : hash;
    resources[typeUrl] = list;
    // Unchanged types reuse the bytes encoded last time; in a changed type, so do resource objects passed
    // again (the controller keeps unchanged ClusterLoadAssignments as the same objects).
    encoded[typeUrl] =
      previous?.versions[typeUrl] === versions[typeUrl] ? previous.encoded(typeUrl) : encodeAll(nodeKey, typeUrl, list, encodedBefore(previous, typeUrl));
  }
  return new Snapshot(versions, resources, encoded);
}

/** The previous snapshot's encodings of one type, by resource object. */
function encodedBefore(previous: Snapshot | undefined, typeUrl: TypeUrl): Map<object, EncodedResource> {
  const encoded = previous?.encoded(typeUrl) ?? [];
  return new Map((previous?.resources[typeUrl] ?? []).map((r, i) => [r.resource, encoded[i] as EncodedResource]));
}

function encodeAll(nodeKey: string, typeUrl: TypeUrl, list: NamedResource[], before: Map<object, EncodedResource>): EncodedResource[] {
  const kind = typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
  const seen = new Set<string>();
  return list.map(({ name, resource }) => {
    // Envoy NACKs a response that names a resource twice, and matches RDS/EDS requests by the name
    // inside the resource: both would be translator bugs, caught here rather than by Envoy.
    if (seen.has(name)) throw new XdsError(`${nodeKey}: ${kind} '${name}' appears twice`);
    seen.add(name);
    const reused = before.get(resource);
    if (reused?.name === name) return reused;
    const inner = innerName(typeUrl, resource);
    if (inner !== name) throw new XdsError(`${nodeKey}: ${kind} '${name}' carries the name '${String(inner)}'`);
    try {
      return { name, any: packAny({ ...resource, '@type': typeUrl }) };
    } catch (err) {
      if (!(err instanceof ProtoError)) throw err;
      throw new ProtoError(`${nodeKey}: ${kind} '${name}': ${err.message}`, { cause: err });
    }
  });
}

function innerName(typeUrl: TypeUrl, resource: XdsObject): unknown {
  if (typeUrl === TYPE_URLS.endpoint) return resource.cluster_name;
  return typeUrl === TYPE_URLS.serviceConfig ? serviceConfigName(resource) : resource.name;
}
