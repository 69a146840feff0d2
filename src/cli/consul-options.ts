// The Consul flags (and PORTICO_* variables) shared by `portico controller` and `portico get`: the one
// connection (address, datacenter, token file, TLS) and the KV layout (root key, status prefix). They
// override the config file's `consul` block and `sources.consulKv`. The token has no flag (it would show in
// `ps`): PORTICO_CONSUL_TOKEN or a token file.
import { Option } from 'commander';
import type { ConfigFile } from '../app/config.ts';

export function consulOptions(): Option[] {
  return [
    new Option('--consul-kv-root <key>', 'root key of the resources in Consul KV (sources.consulKv.rootKey, e.g. portico)').env('PORTICO_CONSUL_KV_ROOT'),
    new Option('--consul-status-prefix <key>', 'where statuses are in Consul KV (default <root>-status)').env('PORTICO_CONSUL_STATUS_PREFIX'),
    new Option('--consul-address <url>', 'Consul HTTP API (default http://127.0.0.1:8500)').env('PORTICO_CONSUL_ADDRESS'),
    new Option('--consul-datacenter <dc>', "Consul datacenter (default: the agent's)").env('PORTICO_CONSUL_DATACENTER'),
    new Option('--consul-token-file <file>', 'Consul ACL token in a file (or PORTICO_CONSUL_TOKEN; never a flag, it would show in ps)').env('PORTICO_CONSUL_TOKEN_FILE'),
    new Option('--consul-ca-file <file>', "CA of Consul's HTTPS certificate (PEM)").env('PORTICO_CONSUL_CA_FILE'),
    new Option('--consul-cert-file <file>', 'client certificate for Consul (PEM)').env('PORTICO_CONSUL_CERT_FILE'),
    new Option('--consul-key-file <file>', 'key of --consul-cert-file (PEM)').env('PORTICO_CONSUL_KEY_FILE'),
  ];
}

/** What the Consul flags given set, in the config file's shape (`consul`, and `sources.consulKv` when a KV flag is given). */
export function consulOverrides(given: (name: string) => string | undefined): Pick<ConfigFile, 'consul'> & { consulKv?: { rootKey?: string; statusPrefix?: string } } {
  const kv = { rootKey: given('consulKvRoot'), statusPrefix: given('consulStatusPrefix') };
  const tls = { caFile: given('consulCaFile'), certFile: given('consulCertFile'), keyFile: given('consulKeyFile') };
  return {
    ...((kv.rootKey || kv.statusPrefix) && { consulKv: kv }),
    consul: {
      address: given('consulAddress'),
      datacenter: given('consulDatacenter'),
      tokenFile: given('consulTokenFile'),
      token: process.env.PORTICO_CONSUL_TOKEN || undefined,
      ...(Object.values(tls).some(Boolean) && { tls }),
    },
  };
}
