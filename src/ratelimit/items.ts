// Controller side of the rate-limit service's configuration: the IR's descriptor tree and the `rateLimit`
// settings as the service config stream's items (one per domain), and the way back on the service side.
import type { RateLimitIr } from '../ir/types.ts';
import type { JsonObject, ServiceConfigItem } from '../xds/service-config.ts';
import type { RateLimitSettings } from '../xds/translator/rate-limit.ts';
import { checkDomainConfig, type DomainConfig } from './config.ts';

/** Served even when no route limits anything, so the service knows its domain and failure mode. */
export function rateLimitItems(ir: RateLimitIr | undefined, settings: RateLimitSettings | undefined): ServiceConfigItem[] {
  if (!settings) return [];
  const config: DomainConfig = { domain: settings.domain, descriptors: ir?.descriptors ?? [], failureModeDeny: settings.denyOnFail };
  return [{ name: settings.domain, config: config as unknown as JsonObject }];
}

/** The domains in a configuration the service received; throws (and the service NACKs) when one is malformed. */
export function domainsOf(items: ReadonlyMap<string, JsonObject>): DomainConfig[] {
  return [...items].map(([name, config]) => checkDomainConfig(config, `service config ${name}`));
}
