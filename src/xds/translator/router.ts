// Envoy's router: the filter that forwards. Envoy requires it last in every chain.
import { httpFilter, type HttpFilterPlugin } from './filter-plugin.ts';

const ROUTER_FILTER = 'envoy.filters.http.router';

export const ROUTER_PLUGIN: HttpFilterPlugin = {
  name: ROUTER_FILTER,
  order: Number.MAX_SAFE_INTEGER,
  listenerFilters: () => [httpFilter(ROUTER_FILTER, { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' })],
};
