// Reading what a running Envoy has applied, from its admin API: the hosts of each cluster (EDS as served),
// and its counters.
import { waitFor } from './components.ts';

export interface ClusterHost {
  address: string;
  port: number;
}

interface ClustersJson {
  cluster_statuses?: { name: string; host_statuses?: { address?: { socket_address?: { address: string; port_value: number } } }[] }[];
}

/** `address:port` of every host of `cluster` as Envoy has it now, sorted; undefined when Envoy has no such cluster. */
export async function envoyClusterHosts(adminPort: number, cluster: string): Promise<string[] | undefined> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/clusters?format=json`);
  if (!res.ok) throw new Error(`envoy admin /clusters answered ${res.status}`);
  const status = ((await res.json()) as ClustersJson).cluster_statuses?.find((c) => c.name === cluster);
  if (!status) return undefined;
  return (status.host_statuses ?? []).flatMap((h) => (h.address?.socket_address ? [`${h.address.socket_address.address}:${h.address.socket_address.port_value}`] : [])).sort();
}

/** Waits until Envoy's hosts of `cluster` are `expected` (sorted `address:port`). */
export async function untilClusterHosts(adminPort: number, cluster: string, expected: string[]): Promise<void> {
  let last: string[] | undefined;
  await waitFor(async () => {
    last = await envoyClusterHosts(adminPort, cluster);
    return JSON.stringify(last) === JSON.stringify(expected);
  }, { timeoutMs: 15_000, intervalMs: 100, what: () => `Envoy's ${cluster} hosts to be ${expected.join(', ')} (last: ${last?.join(', ')})` });
}

/** The value of one of Envoy's counters or gauges, e.g. `listener_manager.listener_modified`. */
export async function envoyStat(adminPort: number, name: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/stats?filter=${encodeURIComponent(`^${name.replaceAll('.', '\\.')}$`)}`);
  const body = await res.text();
  const value = new RegExp(`^${name}: (\\d+)$`, 'm').exec(body)?.[1];
  if (value === undefined) throw new Error(`no stat ${name} in ${body}`);
  return Number(value);
}

/** Every counter or gauge whose name matches `pattern`, by name. */
export async function envoyStats(adminPort: number, pattern: RegExp): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/stats`);
  if (!res.ok) throw new Error(`envoy admin /stats answered ${res.status}`);
  const stats = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    const m = /^([^:]+): (\d+)$/.exec(line);
    if (m && pattern.test(m[1] as string)) stats.set(m[1] as string, Number(m[2]));
  }
  return stats;
}
