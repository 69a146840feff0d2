// The join between the IR and discovery: which watches the IR's endpoint sources need (one per Consul
// service and datacenter, one per distinct EC2 query), and the pure step that fills a discovered cluster's
// endpoints from what those watches last published. Running only this step on an endpoint change is what
// keeps listeners, routes and clusters (and their xDS versions) untouched.
import { stableStringify } from '../lib/stable.ts';
import type { ClusterIr, ConsulSourceIr, Ec2SourceIr, EndpointIr, EndpointSourceIr, GatewayIr, SubsetIr } from './types.ts';

/** One discovered instance, as a provider publishes it. */
export interface DiscoveredEndpoint {
  address: string;
  /** Absent or 0: registered without a port (the source's `port` applies). */
  port?: number;
  tags?: readonly string[];
}

/** What the discovery providers last published, by watch key. A key with no entry has not answered yet. */
export type EndpointSets = ReadonlyMap<string, readonly DiscoveredEndpoint[]>;

/** One blocking query: a Consul service in one datacenter (`dc` absent: the agent's own), in one consistency mode. */
export interface ConsulWatch {
  service: string;
  dc?: string;
  consistency?: ConsulSourceIr['consistency'];
}

/** One EC2 query: everything that changes the DescribeInstances call or which IP is read. */
export type Ec2Watch = Omit<Ec2SourceIr, 'port'>;

export interface Watches {
  consul: Map<string, ConsulWatch>;
  ec2: Map<string, Ec2Watch>;
}

export function consulWatchKey(w: ConsulWatch): string {
  return `consul/${w.dc ?? ''}/${w.service}${w.consistency ? `?${w.consistency}` : ''}`;
}

export function ec2WatchKey(w: Ec2Watch): string {
  return `ec2/${stableStringify(w)}`;
}

function consulWatches(s: ConsulSourceIr): ConsulWatch[] {
  const mode = s.consistency && { consistency: s.consistency };
  return s.dataCenters?.length ? s.dataCenters.map((dc) => ({ service: s.service, dc, ...mode })) : [{ service: s.service, ...mode }];
}

function ec2Watch({ port: _port, ...query }: Ec2SourceIr): Ec2Watch {
  return query;
}

/** The watches the gateways' discovered clusters need; tags are filtered here, so they never widen a watch. */
export function watchesOf(gateways: readonly GatewayIr[]): Watches {
  const out: Watches = { consul: new Map(), ec2: new Map() };
  for (const source of gateways.flatMap((g) => g.clusters.flatMap((c) => c.discovery ?? []))) {
    if ('consul' in source) for (const w of consulWatches(source.consul)) out.consul.set(consulWatchKey(w), w);
    else out.ec2.set(ec2WatchKey(ec2Watch(source.ec2)), ec2Watch(source.ec2));
  }
  return out;
}

/** The watch keys whose endpoint sets make up a source's endpoints. */
export function sourceKeys(source: EndpointSourceIr): string[] {
  return 'consul' in source ? consulWatches(source.consul).map(consulWatchKey) : [ec2WatchKey(ec2Watch(source.ec2))];
}

/** Gloo's endpoint label for a consul subset tag (its value is "1" or "0"). */
export function subsetLabel(tag: string): string {
  return `tag_${tag}`;
}

/** Each subset tag as a label: "1" when the instance carries the tag, else "0" (as Gloo labels them). */
function subsetLabels(subsetTags: readonly string[], tags: readonly string[] = []): SubsetIr {
  return Object.fromEntries(subsetTags.map((t) => [subsetLabel(t), tags.includes(t) ? '1' : '0']));
}

/**
 * The endpoints of a discovered cluster: instances with every required tag and no excluded one, labelled
 * with their subset tags, de-duplicated and sorted.
 */
export function discoveredEndpoints(source: EndpointSourceIr, sets: EndpointSets): EndpointIr[] {
  const { tags = [], excludedTags = [], subsetTags = [], port } = 'consul' in source ? source.consul : { port: source.ec2.port };
  const unique = new Map<string, EndpointIr>();
  for (const e of sourceKeys(source).flatMap((k) => sets.get(k) ?? [])) {
    const p = e.port || port;
    if (!p || !tags.every((t) => e.tags?.includes(t)) || excludedTags.some((t) => e.tags?.includes(t))) continue;
    unique.set(`${e.address}:${p}`, { address: e.address, port: p, ...(subsetTags.length && { subset: subsetLabels(subsetTags, e.tags) }) });
  }
  return [...unique.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
}

/** The cluster with its discovered endpoints filled in; a static cluster is returned as is. */
export function joinCluster(cluster: ClusterIr, sets: EndpointSets): ClusterIr {
  return cluster.discovery ? { ...cluster, endpoints: discoveredEndpoints(cluster.discovery, sets) } : cluster;
}
