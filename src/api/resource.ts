// The envelope every declarative resource shares, whatever its kind and source.
import type { SourceRef } from '../lib/errors.ts';

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Increases on every spec change; kept by the store, not by the user. */
  generation?: number;
  /** As written (Kubernetes manifests carry it); never used for precedence, since anyone can write any value. */
  creationTimestamp?: string;
  /**
   * Creation order, set by a source every controller reads alike, never read from the document: Consul KV's
   * CreateIndex of the key. Route and option precedence ties go to the lowest; unset (watched folder) ranks
   * first. See docs/security.md.
   */
  creationIndex?: number;
}

export interface Resource<Spec = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  /** Where it was read from. Not part of the user's document. */
  source?: SourceRef;
  /** The line of each field path (`spec.rules[0].matches[0]`) in the source, so that problems found later
   *  (a bad reference, a conflict) can point at the exact line too. */
  fieldLines?: Readonly<Record<string, number>>;
}

/** Where a field of a resource is: its own line when known, else its nearest parent's, else the document's. */
export function fieldSource(r: Pick<Resource, 'source' | 'fieldLines'>, field: string): SourceRef | undefined {
  if (!r.source) return undefined;
  for (let path = field; path; path = parentPath(path)) {
    const line = r.fieldLines?.[path];
    if (line !== undefined) return { ...r.source, line };
  }
  return r.source;
}

/** `spec.rules[0].matches` → `spec.rules[0]` → `spec.rules` → `spec` → `` */
function parentPath(path: string): string {
  const last = /(?:\.[^.[\]]+|\[[^\]]*\])$/.exec(path);
  return last ? path.slice(0, last.index) : '';
}

/** `Kind namespace/name` (`Kind name` when cluster-scoped), the way every error and log line names a resource. */
export function resourceId(r: Pick<Resource, 'kind' | 'metadata'>): string {
  const { namespace, name } = r.metadata;
  return namespace ? `${r.kind} ${namespace}/${name}` : `${r.kind} ${name}`;
}

/** Stable key for maps: `group/Kind/namespace/name`. */
export function resourceKey(r: Pick<Resource, 'apiVersion' | 'kind' | 'metadata'>): string {
  return `${groupOf(r.apiVersion)}/${r.kind}/${r.metadata.namespace}/${r.metadata.name}`;
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';
export const GLOO_GROUP = 'gloo.solo.io';
/** Gloo's gateway-level extension kinds (RouteOption, VirtualHostOption). */
export const GLOO_GATEWAY_GROUP = 'gateway.solo.io';
/** Gloo Enterprise kinds (AuthConfig). */
export const GLOO_ENTERPRISE_GROUP = 'enterprise.gloo.solo.io';
/** Gloo's RateLimitConfig. */
export const RATELIMIT_GROUP = 'ratelimit.solo.io';

/** How a document names itself, even when it is too broken to become a Resource. */
export interface ResourceIdentity {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

export function identityRef(id: ResourceIdentity): Pick<Resource, 'apiVersion' | 'kind' | 'metadata'> {
  return { apiVersion: id.apiVersion, kind: id.kind, metadata: { name: id.name, namespace: id.namespace } };
}
