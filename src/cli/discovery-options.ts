// Flags (and PORTICO_* variables) of endpoint discovery; they override the config file's `discovery` block.
// Consul catalog discovery uses the one Consul connection (`consul` in the file, the --consul-* flags).
import { Option } from 'commander';
import type { PorticoConfig } from '../app/config.ts';
import type { ControllerDiscoveryOptions } from '../app/controller.ts';
import type { ConsulOptions } from '../consul/client.ts';
import { ConfigError } from '../lib/errors.ts';
import { DISCOVERY_KINDS, type DiscoveryKind } from '../providers/discovery/discovery.ts';

export interface DiscoveryFlags {
  discovery?: string;
  consulWait?: string;
  ec2Endpoint?: string;
  ec2Interval?: string;
}

export function discoveryOptions(): Option[] {
  return [
    new Option('--discovery <kinds>', `endpoint discovery to run, comma-separated: ${DISCOVERY_KINDS.join(', ')} (discovery.* in the config file; default none)`).env('PORTICO_DISCOVERY'),
    new Option('--consul-wait <seconds>', 'longest a catalog blocking query is held by Consul (discovery.consul.waitSeconds; default 300, at most 600)').env('PORTICO_CONSUL_WAIT'),
    new Option('--ec2-endpoint <url>', "EC2 API endpoint instead of the region's, e.g. a VPC endpoint or moto (discovery.ec2.endpoint)").env('PORTICO_EC2_ENDPOINT'),
    new Option('--ec2-interval <seconds>', 'how often EC2 instances are listed (discovery.ec2.intervalSeconds; default 30)').env('PORTICO_EC2_INTERVAL'),
  ];
}

/**
 * The controller's discovery options from the config file's `discovery` block and the flags given (which win);
 * undefined when neither turns any on. Throws ConfigError on a bad flag.
 */
export function discoveryFrom(flags: DiscoveryFlags, file: PorticoConfig['discovery'], consul: ConsulOptions): ControllerDiscoveryOptions | undefined {
  const kinds = flags.discovery === undefined ? new Set(Object.keys(file ?? {}) as DiscoveryKind[]) : parseKinds(flags.discovery);
  if (!kinds.size) return undefined;
  const waitS = flags.consulWait === undefined ? file?.consul?.waitSeconds : seconds(flags.consulWait, '--consul-wait', 600);
  const intervalS = flags.ec2Interval === undefined ? file?.ec2?.intervalSeconds : seconds(flags.ec2Interval, '--ec2-interval', 86_400);
  const endpoint = flags.ec2Endpoint ?? file?.ec2?.endpoint;
  return {
    ...(kinds.has('consul') && { consul: { ...consul, ...(waitS && { waitMs: waitS * 1000 }) } }),
    ...(kinds.has('ec2') && { ec2: { ...(endpoint && { endpoint }), ...(intervalS && { intervalMs: intervalS * 1000 }) } }),
  };
}

function parseKinds(value: string): Set<DiscoveryKind> {
  const kinds = new Set<DiscoveryKind>();
  for (const k of value.split(',').map((s) => s.trim()).filter(Boolean)) {
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
