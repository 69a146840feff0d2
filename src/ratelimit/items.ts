// Service side of the rate-limit service's configuration: the service config stream's items (one per domain,
// built by app/pipeline.ts) read back as domain configs.
import type { JsonObject } from '../contracts/service-config.ts';
import { checkDomainConfig, type DomainConfig } from '../contracts/ratelimit.ts';

/** The domains in a configuration the service received; throws (and the service NACKs) when one is malformed. */
export function domainsOf(items: ReadonlyMap<string, JsonObject>): DomainConfig[] {
  return [...items].map(([name, config]) => checkDomainConfig(config, `service config ${name}`));
}
