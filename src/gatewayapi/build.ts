// A Gateway's IR: one Envoy listener per port, one virtual host per (Gateway listener, hostname) with its
// routes in precedence order, and the clusters those routes forward to.
import type { ClusterIr, GatewayIr, ListenerIr, VirtualHostIr } from '../ir/types.ts';
import type { HostPlacement } from './attach.ts';
import { isReady, type GatewayContext, type ListenerContext } from './gateway.ts';
import { compareHostSpecificity } from './hostnames.ts';
import { orderRoutes, type Drop } from './precedence.ts';
import type { VirtualHostPolicies } from './virtual-host-options.ts';

/** The settings a listener's VirtualHostOptions give each of its virtual hosts. */
export type HostPolicies = (listener: ListenerContext) => VirtualHostPolicies;

const ANY_ADDRESS = '0.0.0.0';

export function buildGatewayIr(
  gateway: GatewayContext,
  placed: HostPlacement[],
  clusters: Map<string, ClusterIr>,
  hostPolicies: HostPolicies,
): { ir: GatewayIr; drops: Drop[] } {
  const drops: Drop[] = [];
  const ports = [...new Set(gateway.listeners.filter(isReady).map((l) => l.spec.port))].sort((a, b) => a - b);
  const listeners = ports.map((port): ListenerIr => {
    const virtualHosts = virtualHostsOn(gateway, placed.filter((p) => p.listener.spec.port === port), hostPolicies, drops);
    return { name: `${gateway.key}/${port}`, address: ANY_ADDRESS, port, protocol: 'HTTP', virtualHosts };
  });
  const { namespace, name } = gateway.resource.metadata;
  return { ir: { key: gateway.key, namespace, name, listeners, clusters: usedClusters(listeners, clusters) }, drops };
}

/** Most specific hostname first and the catch-all last (Envoy itself also prefers the most specific domain). */
function virtualHostsOn(gateway: GatewayContext, placed: HostPlacement[], hostPolicies: HostPolicies, drops: Drop[]): VirtualHostIr[] {
  const groups = new Map<string, HostPlacement[]>();
  for (const p of placed) {
    const name = `${gateway.key}/${p.listener.spec.name}/${p.host}`;
    const group = groups.get(name);
    if (group) group.push(p);
    else groups.set(name, [p]);
  }
  const hosts = [...groups].map(([name, group]) => {
    const ordered = orderRoutes(group.map((p) => p.placement));
    const { host, listener } = group[0] as HostPlacement;
    drops.push(...ordered.shadowed.map((s) => ({ ...s, host })));
    return { host, vh: { name, domains: [host], routes: ordered.kept.map((p) => p.ir), ...hostPolicies(listener) } };
  });
  return hosts.sort((a, b) => compareHostSpecificity(a.host, b.host) || (a.vh.name < b.vh.name ? -1 : 1)).map((h) => h.vh);
}

function usedClusters(listeners: ListenerIr[], clusters: Map<string, ClusterIr>): ClusterIr[] {
  const names = new Set<string>();
  for (const route of listeners.flatMap((l) => l.virtualHosts.flatMap((vh) => vh.routes))) {
    if (route.action.type !== 'forward') continue;
    for (const b of route.action.backends) names.add(b.cluster);
    for (const m of route.action.mirrors ?? []) names.add(m.cluster);
  }
  return [...names].sort().flatMap((n) => clusters.get(n) ?? []);
}
