// Envoy's own verdict on translated resources: one static bootstrap holding every listener, route, cluster,
// endpoint and secret the translator produced, checked with `envoy --mode validate`. What the controller serves
// over xDS is made static here so that Envoy checks all of it: route configurations go inline into their
// listeners' HCM (RDS is not fetched in validate mode), EDS clusters become STATIC with their endpoints, and SDS
// secrets become static secrets.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TYPE_URLS, type NamedResource, type XdsObject, type XdsResources } from '../../../src/xds/resources.ts';

const run = promisify(execFile);

/** Listeners get ports from here on, one each, so that Gateways sharing a port never clash in one bootstrap. */
const FIRST_PORT = 30_000;

export function staticBootstrap(xds: Map<string, XdsResources>): XdsObject {
  const clusters = new Map<string, XdsObject>();
  const secrets = new Map<string, XdsObject>();
  const listeners: XdsObject[] = [];
  for (const [gateway, res] of xds) {
    const routes = byName(res[TYPE_URLS.route]);
    const endpoints = byName(res[TYPE_URLS.endpoint]);
    for (const { name, resource } of res[TYPE_URLS.cluster] ?? []) clusters.set(name, staticCluster(resource, endpoints.get(name)));
    for (const { name, resource } of res[TYPE_URLS.secret] ?? []) secrets.set(name, resource);
    for (const { name, resource } of res[TYPE_URLS.listener] ?? []) {
      const port = FIRST_PORT + listeners.length;
      listeners.push(inline({ ...resource, name: `${gateway}/${name}`, address: { socket_address: { address: '127.0.0.1', port_value: port } } }, routes) as XdsObject);
    }
  }
  return {
    node: { id: 'corpus', cluster: 'corpus' },
    static_resources: { listeners, clusters: [...clusters.values()], secrets: [...secrets.values()] },
  };
}

function byName(list: NamedResource[] | undefined): Map<string, XdsObject> {
  return new Map((list ?? []).map((r) => [r.name, r.resource]));
}

function staticCluster(cluster: XdsObject, endpoints: XdsObject | undefined): XdsObject {
  if (cluster.type !== 'EDS') return inline(cluster, new Map()) as XdsObject;
  const { eds_cluster_config: _eds, ...rest } = cluster;
  return { ...inline(rest, new Map()) as XdsObject, type: 'STATIC', load_assignment: endpoints ?? { cluster_name: cluster.name, endpoints: [] } };
}

/** Replaces every `rds` with its route configuration and drops every `sds_config` (the secret is static). */
function inline(value: unknown, routes: Map<string, XdsObject>): unknown {
  if (Array.isArray(value)) return value.map((v) => inline(v, routes));
  if (typeof value !== 'object' || value === null) return value;
  const out: XdsObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'sds_config') continue;
    if (key === 'rds') {
      const name = (v as { route_config_name: string }).route_config_name;
      out.route_config = routes.get(name) ?? { name };
    } else {
      out[key] = inline(v, routes);
    }
  }
  return out;
}

export interface EnvoyVerdict {
  ok: boolean;
  /** Envoy's error line when it refused. */
  error?: string;
}

let runs = 0;

/** `envoy --mode validate` on this bootstrap. */
export async function envoyValidate(envoy: string, dir: string, bootstrap: XdsObject): Promise<EnvoyVerdict> {
  const file = join(dir, `bootstrap-${runs++}.json`);
  await writeFile(file, JSON.stringify(bootstrap));
  try {
    await run(envoy, ['--mode', 'validate', '-c', file, '--log-level', 'error', '--disable-hot-restart'], { maxBuffer: 64 * 1024 * 1024 });
    return { ok: true };
  } catch (err) {
    const output = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}`;
    // "[time][pid][critical][main] [file:line] error initializing configuration '<file>': <why, maybe on several lines>"
    const why = output.replace(/\[[^\]]*\]\[\d+\]\[\w+\]\[\w+\] \[[^\]]*\] /g, '').replace(/error initializing configuration '[^']*': /, '');
    return { ok: false, error: why.replace(/\s+/g, ' ').trim().slice(0, 400) || String(err) };
  }
}

/**
 * The items whose translation Envoy refuses: `check` the whole set, and when it fails, halves until each
 * offender stands alone (every offender is found, not only the first).
 */
export async function bisect<T>(items: readonly T[], check: (subset: readonly T[]) => Promise<EnvoyVerdict>): Promise<{ item: T; error: string }[]> {
  const verdict = await check(items);
  if (verdict.ok) return [];
  if (items.length === 1) return [{ item: items[0] as T, error: verdict.error ?? 'refused' }];
  const half = Math.ceil(items.length / 2);
  const found = [...(await bisect(items.slice(0, half), check)), ...(await bisect(items.slice(half), check))];
  // Refused as a set while each half passes: report the set rather than nothing.
  return found.length ? found : items.map((item) => ({ item, error: `refused only together: ${verdict.error}` }));
}
