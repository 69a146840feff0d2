// Flags (and PORTICO_* variables) of endpoint discovery. The controller config file can map onto the same
// ControllerDiscoveryOptions later; these stay as overrides.
import { Option } from 'commander';
import type { ControllerDiscoveryOptions } from '../app/controller.ts';
import { ConfigError } from '../lib/errors.ts';
import { DISCOVERY_KINDS, type DiscoveryKind } from '../providers/discovery/discovery.ts';

export interface DiscoveryFlags {
  discovery?: string;
  consulAddress?: string;
  consulDatacenter?: string;
  consulTokenFile?: string;
  consulCaFile?: string;
  consulWait?: string;
  ec2Endpoint?: string;
  ec2Interval?: string;
}

export function discoveryOptions(): Option[] {
  return [
    new Option('--discovery <kinds>', `endpoint discovery to run, comma-separated: ${DISCOVERY_KINDS.join(', ')} (default none)`).env('PORTICO_DISCOVERY'),
    new Option('--consul-address <url>', 'Consul HTTP API for catalog discovery (default http://127.0.0.1:8500)').env('PORTICO_CONSUL_ADDRESS'),
    new Option('--consul-datacenter <dc>', "the datacenter queried when an Upstream names none (default the agent's)").env('PORTICO_CONSUL_DATACENTER'),
    new Option('--consul-token-file <file>', 'file holding the Consul ACL token').env('PORTICO_CONSUL_TOKEN_FILE'),
    new Option('--consul-ca-file <file>', "CA certificate (PEM) that signed Consul's HTTPS certificate").env('PORTICO_CONSUL_CA_FILE'),
    new Option('--consul-wait <seconds>', 'longest a blocking query is held by Consul (default 300, at most 600)').env('PORTICO_CONSUL_WAIT'),
    new Option('--ec2-endpoint <url>', 'EC2 API endpoint instead of the region\'s (e.g. a VPC endpoint, or moto)').env('PORTICO_EC2_ENDPOINT'),
    new Option('--ec2-interval <seconds>', 'how often EC2 instances are listed (default 30)').env('PORTICO_EC2_INTERVAL'),
  ];
}

/** The controller's discovery options; undefined when --discovery is not set. Throws ConfigError on a bad flag. */
export function discoveryFrom(flags: DiscoveryFlags): ControllerDiscoveryOptions | undefined {
  const kinds = parseKinds(flags.discovery);
  if (!kinds.size) return undefined;
  const waitS = flags.consulWait === undefined ? undefined : seconds(flags.consulWait, '--consul-wait', 600);
  const intervalS = flags.ec2Interval === undefined ? undefined : seconds(flags.ec2Interval, '--ec2-interval', 86_400);
  return {
    ...(kinds.has('consul') && {
      consul: {
        ...(flags.consulAddress && { address: flags.consulAddress }),
        ...(flags.consulDatacenter && { datacenter: flags.consulDatacenter }),
        ...(flags.consulTokenFile && { tokenFile: flags.consulTokenFile }),
        ...(flags.consulCaFile && { tls: { caFile: flags.consulCaFile } }),
        ...(waitS && { waitMs: waitS * 1000 }),
      },
    }),
    ...(kinds.has('ec2') && { ec2: { ...(flags.ec2Endpoint && { endpoint: flags.ec2Endpoint }), ...(intervalS && { intervalMs: intervalS * 1000 }) } }),
  };
}

function parseKinds(value: string | undefined): Set<DiscoveryKind> {
  const kinds = new Set<DiscoveryKind>();
  for (const k of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(DISCOVERY_KINDS as readonly string[]).includes(k)) throw new ConfigError(`--discovery: unknown kind '${k}' (known: ${DISCOVERY_KINDS.join(', ')})`);
    kinds.add(k as DiscoveryKind);
  }
  return kinds;
}

function seconds(value: string, flag: string, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw new ConfigError(`${flag}: '${value}' must be a number of seconds above 0 and at most ${max}`);
  return n;
}
