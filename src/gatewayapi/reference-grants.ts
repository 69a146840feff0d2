// ReferenceGrant: whether a reference from one namespace into another is permitted. A grant lives in the
// target's namespace; it permits a reference when one `from` entry matches the referring resource's
// group, kind and namespace and one `to` entry matches the target's group and kind (and name, if given).
import type { ReferenceGrantSpec } from '../api/gateway-types.ts';
import type { Resource } from '../api/resource.ts';

export interface RefEnd {
  group: string;
  kind: string;
  namespace: string;
}

export interface RefTarget extends RefEnd {
  name: string;
}

export type RefPermission = (from: RefEnd, to: RefTarget) => boolean;

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
