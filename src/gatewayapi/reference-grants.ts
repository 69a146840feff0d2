// ReferenceGrant: whether a reference from one namespace into another is permitted. A grant lives in the
// target's namespace; it permits a reference when one `from` entry matches the referring resource's
// group, kind and namespace and one `to` entry matches the target's group and kind (and name, if given).
// Every reference of every kind goes through this one check (docs/security.md lists them); the referrer's
// `from` is always its own apiVersion group and kind (an Upstream is `gloo.solo.io`/`Upstream`, a RouteOption
// `gateway.solo.io`/`RouteOption`, an AuthConfig `enterprise.gloo.solo.io`/`AuthConfig`).
import type { ReferenceGrantSpec } from '../api/gateway-types.ts';
import { groupOf, type Resource } from '../api/resource.ts';
import type { Because } from './status.ts';

export interface RefEnd {
  group: string;
  kind: string;
  namespace: string;
}

export interface RefTarget extends RefEnd {
  name: string;
}

export type RefPermission = (from: RefEnd, to: RefTarget) => boolean;

/** Why a reference is refused (undefined: permitted), for the referrer's status. */
export type RefRefusal = (referrer: Pick<Resource, 'apiVersion' | 'kind' | 'metadata'>, to: RefTarget) => Because | undefined;

export const REF_NOT_PERMITTED = 'RefNotPermitted';

/** A permission check over the grants given; a reference within one namespace needs no grant. */
export function referencePermission(grants: Resource<ReferenceGrantSpec>[]): RefPermission {
  const byNamespace = new Map<string, Resource<ReferenceGrantSpec>[]>();
  for (const g of grants) {
    const list = byNamespace.get(g.metadata.namespace);
    if (list) list.push(g);
    else byNamespace.set(g.metadata.namespace, [g]);
  }
  return (from, to) =>
    from.namespace === to.namespace ||
    (byNamespace.get(to.namespace) ?? []).some(
      (g) =>
        g.spec.from.some((f) => f.group === from.group && f.kind === from.kind && f.namespace === from.namespace) &&
        g.spec.to.some((t) => t.group === to.group && t.kind === to.kind && (t.name === undefined || t.name === to.name)),
    );
}

/**
 * The refusal of a reference no grant permits. Its message is made only of what the referrer wrote and of the
 * referrer itself, and it is checked before the target is looked up: a refused reference says nothing of the
 * target (not even whether it exists), whatever the target namespace holds.
 */
export function referenceRefusal(permits: RefPermission): RefRefusal {
  return (referrer, to) => {
    const from = { group: groupOf(referrer.apiVersion), kind: referrer.kind, namespace: referrer.metadata.namespace };
    if (permits(from, to)) return undefined;
    const grant = `from ${from.group || 'core'} ${from.kind} in ${from.namespace} to ${to.group || 'core'} ${to.kind}`;
    return { reason: REF_NOT_PERMITTED, message: `${to.kind} ${to.namespace}/${to.name} is in another namespace and no ReferenceGrant there permits it (one ${grant} would)` };
  };
}
