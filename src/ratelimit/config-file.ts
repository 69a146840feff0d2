// envoyproxy/ratelimit's own YAML (domain, descriptors with key, value, rate_limit {unit, requests_per_unit},
// shadow_mode, nested descriptors) as a DomainConfig: `portico ratelimit --config-file` runs without a
// controller, with the configs users of that service already have (and the bench gives both services one file).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { RateLimitError } from '../lib/errors.ts';
import { checkDomainConfig, type DescriptorConfig, type DomainConfig, type Unit } from '../contracts/ratelimit.ts';

interface FileDescriptor {
  key: string;
  value?: string;
  rate_limit?: { unit: string; requests_per_unit: number };
  shadow_mode?: boolean;
  descriptors?: FileDescriptor[];
}

export function readConfigFile(file: string): DomainConfig {
  let doc: { domain?: string; descriptors?: FileDescriptor[] };
  try {
    doc = parse(readFileSync(file, 'utf8')) ?? {};
  } catch (err) {
    throw new RateLimitError(`${file}: ${(err as Error).message}`, { cause: err });
  }
  const config = { domain: doc.domain, descriptors: (doc.descriptors ?? []).map(descriptorOf) };
  return checkDomainConfig(config, file);
}

function descriptorOf(d: FileDescriptor): DescriptorConfig {
  return {
    key: d.key,
    ...(d.value !== undefined && { value: String(d.value) }),
    ...(d.rate_limit && { rateLimit: { requestsPerUnit: d.rate_limit.requests_per_unit, unit: String(d.rate_limit.unit).toLowerCase() as Unit } }),
    ...(d.shadow_mode !== undefined && { shadowMode: d.shadow_mode }),
    ...(d.descriptors?.length && { descriptors: d.descriptors.map(descriptorOf) }),
  };
}
