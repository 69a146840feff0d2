// The HTTP filter plug-ins, as one explicit list (no plug-in registers itself on import). The `order` of each
// places its filters in the listener's chain; the list order is the order of the typed_per_filter_config
// entries in a route or virtual host (Envoy ignores it, but it fixes the resources' bytes and so their versions).
// To add a filter: write its plug-in (see filter-plugin.ts) in a file of its own and list it here.
import { BUFFER_PLUGIN } from './buffer.ts';
import { CORS_PLUGIN } from './cors.ts';
import { extAuthzPlugin, type ExtAuthTarget } from './ext-authz.ts';
import { FAULT_PLUGIN } from './fault.ts';
import type { HttpFilterPlugin } from './filter-plugin.ts';
import { rateLimitPlugin, type RateLimitSettings } from './rate-limit.ts';
import { ROUTER_PLUGIN } from './router.ts';

/** The services the controller configured (portico.yaml) that filters call. */
export interface FilterServices {
  /** The rate-limit service: its filter on every listener and its cluster in every gateway. */
  rateLimit?: RateLimitSettings;
  /** Portico's ext-auth service. When set, every gateway gets the ext_authz filters (off until a route asks). */
  extAuth?: ExtAuthTarget;
}

export function httpFilterPlugins(services: FilterServices): HttpFilterPlugin[] {
  return [rateLimitPlugin(services.rateLimit), FAULT_PLUGIN, CORS_PLUGIN, BUFFER_PLUGIN, extAuthzPlugin(services.extAuth), ROUTER_PLUGIN];
}

