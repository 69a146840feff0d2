// Where a resource lives in Consul KV, and what a key's value must be:
//   <rootKey>/<group>/<version>/<Kind>/<namespace>/<name>    e.g. portico/gateway.networking.k8s.io/v1/HTTPRoute/default/web
//   <rootKey>/<group>/<version>/<Kind>/<name>                cluster-scoped kinds (GatewayClass, Namespace): no namespace
// The core group (`apiVersion: v1`) is spelled `core`: portico/core/v1/Namespace/team-a. The layout matches
// the status files (group/Kind/namespace/name), plus the version so a key says exactly what its value is.
// A key with any segment starting with `.` is ignored (like dot-names in the config folder), as are Consul's
// folder placeholders (keys ending in `/`). The value is one resource, YAML or JSON.
import { lookupKind } from '../../api/kinds.ts';
import { parseDocuments, type Rejected } from '../../api/parse.ts';
import { groupOf, resourceId, identityRef, type Resource, type ResourceIdentity } from '../../api/resource.ts';

export const CORE_GROUP_SEGMENT = 'core';

/** The key a resource is stored under. */
export function resourceKvKey(rootKey: string, id: ResourceIdentity): string {
  const slash = id.apiVersion.indexOf('/');
  const group = groupOf(id.apiVersion) || CORE_GROUP_SEGMENT;
  const version = slash < 0 ? id.apiVersion : id.apiVersion.slice(slash + 1);
  return [rootKey, group, version, id.kind, ...(id.namespace ? [id.namespace] : []), id.name].join('/');
}

export type KeyParse = { id: ResourceIdentity } | { ignored: true } | { problem: string };

/** What a key under `<rootKey>/` names, why it names nothing valid, or that it is not a resource key at all. */
export function parseKvKey(rootKey: string, key: string): KeyParse {
  const rest = key.slice(rootKey.length + 1);
  if (!key.startsWith(`${rootKey}/`) || rest === '' || rest.endsWith('/') || rest.split('/').some((s) => s.startsWith('.'))) return { ignored: true };
  const parts = rest.split('/');
  const [group = '', version = '', kind = ''] = parts;
  const apiVersion = group === CORE_GROUP_SEGMENT ? version : `${group}/${version}`;
  const found = parts.length >= 4 ? lookupKind(apiVersion, kind) : undefined;
  if (!found) return { problem: `the key must be ${rootKey}/<group>/<version>/<Kind>/<namespace>/<name> (cluster-scoped kinds: ${rootKey}/<group>/<version>/<Kind>/<name>)` };
  if (!('def' in found)) return { problem: `the key's ${found.field === 'kind' ? 'Kind' : 'group/version'}: ${found.message}` };
  const tail = parts.slice(3);
  const want = found.def.namespaced ? 2 : 1;
  if (tail.length !== want) {
    const shape = found.def.namespaced ? '<namespace>/<name>' : '<name> (no namespace: the kind is cluster-scoped)';
    return { problem: `a ${kind} key ends in ${shape} after ${rootKey}/${group}/${version}/${kind}/` };
  }
  const [namespace, name] = found.def.namespaced ? (tail as [string, string]) : ['', tail[0] as string];
  return { id: { apiVersion, kind, namespace, name } };
}

export type KeyResult = { resource: Resource } | { rejected: Rejected } | { ignored: true };

/** Parses one KV entry: the resource it holds, or why it is rejected (every problem names the key). */
export function parseKvEntry(rootKey: string, key: string, value: string | null): KeyResult {
  const parsedKey = parseKvKey(rootKey, key);
  if ('ignored' in parsedKey) return parsedKey;
  const reject = (message: string, id?: ResourceIdentity): KeyResult => ({ rejected: { ...(id && { id }), source: { key }, problems: [{ source: { key }, ...(id && { resource: resourceId(identityRef(id)) }), message }] } });
  if ('problem' in parsedKey) return reject(parsedKey.problem);
  const id = parsedKey.id;
  if (value === null || value.trim() === '') return reject('the value is empty; it must be one resource in YAML or JSON', id);
  const result = parseDocuments(value, { key });
  const found = [...result.resources, ...result.rejected];
  if (found.length !== 1) return reject(`the value must hold exactly one resource (found ${found.length})`, id);
  const [resource] = result.resources;
  // A value that names a different resource than its key would be served under two names at once
  // (or moved silently): it is rejected, and the status lands on the resource the key names.
  const named = resource ? { apiVersion: resource.apiVersion, kind: resource.kind, namespace: resource.metadata.namespace, name: resource.metadata.name } : result.rejected[0]?.id;
  const mismatch = named && describeMismatch(id, named);
  if (mismatch) return reject(mismatch, id);
  if (resource) return { resource };
  const rejected = result.rejected[0] as Rejected;
  return { rejected: { ...rejected, id } };
}

function describeMismatch(key: ResourceIdentity, doc: ResourceIdentity): string | undefined {
  const fields = (['apiVersion', 'kind', 'namespace', 'name'] as const).filter((f) => key[f] !== doc[f]);
  if (!fields.length) return undefined;
  const shown = (id: ResourceIdentity) => `${id.apiVersion} ${resourceId(identityRef(id))}`;
  return `the key names ${shown(key)} but the value is ${shown(doc)} (${fields.join(', ')} differ); the key and the resource must agree`;
}
