// A discovery query the token may not make (Consul hides the service's instances) is a configuration to fix,
// so besides /healthz it shows where people look first: the statuses of the resources using it. The
// Upstream whose cluster the query feeds, and every route forwarding or mirroring to such a cluster, get
// `ResolvedRefs: False`, reason `PermissionDenied`, with the message naming the missing ACL rule. Pure: the
// controller applies it to the records it is about to write, so the statuses return to the translator's
// once the token may read again.
import { GATEWAY_GROUP, GLOO_GROUP } from '../../api/resource.ts';
import { sourceKeys } from '../../ir/endpoints.ts';
import type { GatewayIr, RouteIr, VirtualHostIr } from '../../ir/types.ts';
import type { Condition } from '../../status/conditions.ts';
import type { StatusRecord } from '../../status/record.ts';

export const DENIED_REASON = 'PermissionDenied';

const ROUTE_KINDS: Record<string, string> = { httproute: 'HTTPRoute', grpcroute: 'GRPCRoute' };

export function withDiscoveryProblems(records: StatusRecord[], gateways: readonly GatewayIr[], denied: ReadonlyMap<string, string>): StatusRecord[] {
  if (!denied.size) return records;
  const byCluster = deniedClusters(gateways, denied);
  if (!byCluster.size) return records;
  const byResource = new Map<string, Set<string>>();
  const add = (key: string | undefined, messages: readonly string[]) => {
    if (key) for (const m of messages) byResource.set(key, (byResource.get(key) ?? new Set()).add(m));
  };
  for (const [cluster, messages] of byCluster) add(upstreamKeyOf(cluster), messages);
  for (const route of gateways.flatMap(routesOf)) {
    add(routeKeyOf(route.name), clustersOf(route).flatMap((c) => byCluster.get(c) ?? []));
  }
  return records.map((r) => {
    const messages = byResource.get(r.key);
    return messages ? withDenied(r, [...messages].join('; ')) : r;
  });
}

/** Cluster name → the messages of the denied queries feeding it. */
function deniedClusters(gateways: readonly GatewayIr[], denied: ReadonlyMap<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const cluster of gateways.flatMap((g) => g.clusters)) {
    const messages = cluster.discovery ? sourceKeys(cluster.discovery).flatMap((k) => denied.get(k) ?? []) : [];
    if (messages.length) out.set(cluster.name, messages);
  }
  return out;
}

function routesOf(g: GatewayIr): RouteIr[] {
  const hosts: VirtualHostIr[] = g.listeners.flatMap((l) => [...l.virtualHosts, ...(l.tlsChains ?? []).flatMap((c) => c.virtualHosts)]);
  return hosts.flatMap((h) => h.routes);
}

function clustersOf(route: RouteIr): string[] {
  if (route.action.type !== 'forward') return [];
  return [...route.action.backends.map((b) => b.cluster), ...(route.action.mirrors ?? []).map((m) => m.cluster)];
}

/** `upstream/<ns>/<name>[/h2c]` → the Upstream's status key. */
function upstreamKeyOf(cluster: string): string | undefined {
  const [prefix, namespace, name] = cluster.split('/');
  return prefix === 'upstream' ? `${GLOO_GROUP}/Upstream/${namespace}/${name}` : undefined;
}

/** `httproute/<ns>/<name>/rule/…` → the route's status key. */
function routeKeyOf(routeName: string): string | undefined {
  const [prefix = '', namespace, name] = routeName.split('/');
  const kind = ROUTE_KINDS[prefix];
  return kind ? `${GATEWAY_GROUP}/${kind}/${namespace}/${name}` : undefined;
}

function withDenied(r: StatusRecord, message: string): StatusRecord {
  const condition: Condition = {
    type: 'ResolvedRefs',
    status: 'False',
    reason: DENIED_REASON,
    message,
    ...(r.generation !== undefined && { observedGeneration: r.generation }),
  };
  // In place, so the conditions keep their order.
  const replace = (conditions: unknown) => {
    const list = (conditions as Condition[] | undefined) ?? [];
    return list.some((c) => c.type === condition.type) ? list.map((c) => (c.type === condition.type ? condition : c)) : [...list, condition];
  };
  const parents = r.status.parents as { conditions?: Condition[] }[] | undefined;
  const status = parents
    ? { ...r.status, parents: parents.map((p) => ({ ...p, conditions: replace(p.conditions) })) }
    : { ...r.status, conditions: replace(r.status.conditions) };
  return { ...r, status };
}
