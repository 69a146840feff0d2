// HTTP filters as small plug-ins with an explicit order. The ones every listener gets (fault, CORS, buffer, the
// router) are listed here; translate.ts adds ext_authz and rate limiting when they are configured. The router is
// always last because Envoy requires it.
import type { ListenerIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { CORS_PLUGIN } from './cors.ts';
import { BUFFER_PLUGIN, FAULT_PLUGIN } from './per-route-filters.ts';

export interface HttpFilterPlugin {
  name: string;
  /** Lower runs first. */
  order: number;
  /** Off unless a route enables it with its typed_per_filter_config (Envoy's HttpFilter.disabled). */
  disabled?: true;
  /** The filter config for this listener, or undefined when the listener does not need it. */
  build(listener: ListenerIr): XdsObject | undefined;
}

const ROUTER: HttpFilterPlugin = {
  name: 'envoy.filters.http.router',
  order: Number.MAX_SAFE_INTEGER,
  build: () => ({ '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' }),
};

export const DEFAULT_HTTP_FILTERS: readonly HttpFilterPlugin[] = [FAULT_PLUGIN, CORS_PLUGIN, BUFFER_PLUGIN, ROUTER];

export function buildHttpFilters(listener: ListenerIr, plugins: readonly HttpFilterPlugin[]): XdsObject[] {
  return [...plugins]
    .sort((a, b) => a.order - b.order)
    .flatMap((p) => {
      const typed = p.build(listener);
      return typed ? [{ name: p.name, typed_config: typed, ...(p.disabled && { disabled: true }) }] : [];
    });
}
