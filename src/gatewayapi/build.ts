// A Gateway's IR: one Envoy listener per port, one virtual host per (Gateway listener, hostname) with its
// routes in precedence order, and the clusters those routes forward to. On an HTTPS port each Gateway
// listener is a filter chain of its own, chosen by SNI, with its certificates and its own virtual hosts.
import type { ClusterIr, GatewayIr, ListenerIr, RouteIr, SecretIr, TlsChainIr, VirtualHostIr } from '../ir/types.ts';
import { byKey } from '../lib/stable.ts';
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
  /** Every cluster by name, and the client certificates (SDS Secrets) clusters name. */
  backends: { clusters: Map<string, ClusterIr>; clientCertificates: Map<string, SecretIr> },
  hostPolicies: HostPolicies,
): { ir: GatewayIr; drops: Drop[] } {
  const drops: Drop[] = [];
  const ports = [...new Set(gateway.listeners.filter(isReady).map((l) => l.spec.port))].sort((a, b) => a - b);
  const listeners = ports.map((port): ListenerIr => {
    const name = `${gateway.key}/${port}`;
    const onPort = gateway.listeners.filter((l) => isReady(l) && l.spec.port === port);
    const placedHere = placed.filter((p) => p.listener.spec.port === port);
    // Conflict checks leave one protocol per port.
    if (onPort[0]?.spec.protocol !== 'HTTPS') {
      return { name, address: ANY_ADDRESS, port, protocol: 'HTTP', virtualHosts: virtualHostsOn(gateway, placedHere, hostPolicies, drops) };
    }
    const tlsChains = onPort.map((l) => tlsChain(gateway, name, l, onPort, placedHere, hostPolicies, drops)).sort(byKey((c) => c.name));
    return { name, address: ANY_ADDRESS, port, protocol: 'HTTPS', virtualHosts: [], tlsChains };
  });
  const { namespace, name } = gateway.resource.metadata;
  const clusters = usedClusters(listeners, backends.clusters);
  const secrets = usedSecrets(gateway, clusters, backends.clientCertificates);
  return { ir: { key: gateway.key, namespace, name, listeners, clusters, ...(secrets.length && { secrets }) }, drops };
}

function tlsChain(
  gateway: GatewayContext,
  listenerName: string,
  l: ListenerContext,
  onPort: ListenerContext[],
  placed: HostPlacement[],
  hostPolicies: HostPolicies,
  drops: Drop[],
): TlsChainIr {
  const own = virtualHostsOn(gateway, placed.filter((p) => p.listener === l), hostPolicies, drops);
  const misdirected = misdirectedHost(gateway, l, onPort, own);
  return {
    name: `${listenerName}/${l.spec.name}`,
    serverNames: l.spec.hostname ? [l.spec.hostname] : [],
    certificates: (l.tls?.secrets ?? []).map((s) => s.name),
    ...l.tls?.params,
    virtualHosts: misdirected ? [...own, misdirected].sort(bySpecificity) : own,
  };
}

/**
 * A request whose Host belongs to another listener on the port than the one its SNI chose must not be served
 * with this listener's routes (or certificate): the Gateway API asks for 421 Misdirected Request, and the
 * client retries on a connection of its own for that host.
 */
function misdirectedHost(gateway: GatewayContext, l: ListenerContext, onPort: ListenerContext[], own: VirtualHostIr[]): VirtualHostIr | undefined {
  const taken = new Set(own.flatMap((vh) => vh.domains));
  const domains = [...new Set(onPort.filter((o) => o !== l).map((o) => o.spec.hostname ?? '*'))].filter((d) => !taken.has(d)).sort(compareHostSpecificity);
  if (!domains.length) return undefined;
  const name = `${gateway.key}/${l.spec.name}:misdirected`;
  return { name, domains, routes: [{ name, match: { path: { type: 'PathPrefix', value: '/' } }, action: { type: 'directResponse', status: 421 } }] };
}

/** Every certificate a ready HTTPS listener serves, and every client certificate its clusters present, once. */
function usedSecrets(gateway: GatewayContext, clusters: ClusterIr[], clientCertificates: Map<string, SecretIr>): SecretIr[] {
  const listenerCertificates = gateway.listeners.filter(isReady).flatMap((l) => l.tls?.secrets ?? []);
  const clientCerts = clusters.flatMap((c) => clientCertificates.get(c.tls?.clientCertificate ?? '') ?? []);
  const byName = new Map([...listenerCertificates, ...clientCerts].map((s) => [s.name, s]));
  return [...byName.values()].sort(byKey((s) => s.name));
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
  const hosts = [...groups].map(([name, group]): VirtualHostIr => {
    const ordered = orderRoutes(group.map((p) => p.placement));
    const { host, listener } = group[0] as HostPlacement;
    drops.push(...ordered.shadowed.map((s) => ({ ...s, host })));
    const { authUnresolved, ...policies } = hostPolicies(listener);
    const routes = ordered.kept.map((p) => (authUnresolved && !p.ir.auth ? denied(p.ir) : p.ir));
    return { name, domains: [host], routes, ...policies };
  });
  return hosts.sort(bySpecificity);
}

/** A route that would inherit an auth check that cannot be made: denied rather than served unchecked. */
function denied(route: RouteIr): RouteIr {
  return { name: route.name, match: route.match, action: { type: 'directResponse', status: 403 } };
}

/** Virtual hosts have one domain each, except the misdirected one, which sorts by its most specific. */
function bySpecificity(a: VirtualHostIr, b: VirtualHostIr): number {
  return compareHostSpecificity(a.domains[0] as string, b.domains[0] as string) || (a.name < b.name ? -1 : 1);
}

function usedClusters(listeners: ListenerIr[], clusters: Map<string, ClusterIr>): ClusterIr[] {
  const names = new Set<string>();
  const virtualHosts = listeners.flatMap((l) => [...l.virtualHosts, ...(l.tlsChains ?? []).flatMap((c) => c.virtualHosts)]);
  for (const route of virtualHosts.flatMap((vh) => vh.routes)) {
    if (route.action.type !== 'forward') continue;
    for (const b of route.action.backends) names.add(b.cluster);
    for (const m of route.action.mirrors ?? []) names.add(m.cluster);
  }
  return [...names].sort().flatMap((n) => clusters.get(n) ?? []);
}
