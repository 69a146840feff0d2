// Where a Consul instance is reached, by the rule Consul itself applies to the Envoys it programs
// (structs.CheckServiceNode.BestAddress in Consul's agent/structs, used by its xDS endpoints):
//   another datacenter: the service's `wan` tagged address, the service address, the node's `wan` tagged
//                       address, the node address;
//   the agent's own:    the service address, the node address.
// `lan` tagged addresses are never picked: Consul does not either (they repeat the service or node address).
// A `wan` service tagged address brings its port when it has one.
//
// EDS does not resolve names, so an address that is a DNS name (Consul allows them) is replaced by the
// instance's IP tagged address of the same level, as Consul's DNS answers an A/AAAA query
// (agent.TranslateServiceAddress): in another datacenter wan_ipv4 else lan_ipv4, then wan_ipv6 else
// lan_ipv6; locally lan_ipv4, then lan_ipv6. With none, the instance cannot be served and is reported.
import { isIP } from 'node:net';

export interface ServiceAddress {
  Address: string;
  Port: number;
}

/** The parts of a /v1/health/service entry Portico reads. */
export interface HealthEntry {
  Node: { Node?: string; Address: string; Datacenter?: string; TaggedAddresses?: Record<string, string> | null };
  Service: { ID?: string; Address: string; Port: number; Tags?: string[] | null; TaggedAddresses?: Record<string, ServiceAddress> | null };
}

/** An instance's address and port (0: registered without one); `unusable` when only a DNS name is known. */
export type InstanceAddress = { address: string; port: number } | { unusable: string };

export function instanceAddress({ Node, Service }: HealthEntry, remote: boolean): InstanceAddress {
  const service = Service.TaggedAddresses ?? {};
  const wan = remote ? service.wan : undefined;
  const port = (wan?.Address && wan.Port) || Service.Port;
  const serviceAddress = (wan?.Address || Service.Address) ?? '';
  if (serviceAddress) {
    const ip = ipOf(serviceAddress, remote, (tag) => service[tag]);
    return ip ? { address: ip.Address, port: ip.Port || port } : { unusable: serviceAddress };
  }
  const node = Node.TaggedAddresses ?? {};
  const nodeAddress = (remote && node.wan) || Node.Address;
  if (!nodeAddress) return { unusable: '(no address)' };
  const ip = ipOf(nodeAddress, remote, (tag) => (node[tag] ? { Address: node[tag], Port: 0 } : undefined));
  return ip ? { address: ip.Address, port } : { unusable: nodeAddress };
}

type TaggedLookup = (tag: string) => ServiceAddress | undefined;

/** `address` when it is an IP, else the IP tagged address Consul's DNS would answer with. */
function ipOf(address: string, remote: boolean, tagged: TaggedLookup): ServiceAddress | undefined {
  if (isIP(address)) return { Address: address, Port: 0 };
  for (const family of ['ipv4', 'ipv6']) {
    const found = (remote ? usable(tagged(`wan_${family}`)) : undefined) ?? usable(tagged(`lan_${family}`));
    if (found) return found;
  }
  return undefined;
}

function usable(a: ServiceAddress | undefined): ServiceAddress | undefined {
  return a?.Address && isIP(a.Address) ? a : undefined;
}
