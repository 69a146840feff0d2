// Request buffering acts only on the routes that ask for it: the filter sits on every listener `disabled`, and a
// route turns it on (or keeps it off) with its typed_per_filter_config, so the option changes RDS only.
import type { BufferIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { httpFilter, type HttpFilterPlugin } from './filter-plugin.ts';

const BUFFER_FILTER = 'envoy.filters.http.buffer';

/** Envoy requires a limit even on a filter that is off; a route's own setting replaces it. */
const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

export const BUFFER_PLUGIN: HttpFilterPlugin = {
  name: BUFFER_FILTER,
  order: 200,
  listenerFilters: () => [
    httpFilter(BUFFER_FILTER, { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer', max_request_bytes: DEFAULT_MAX_REQUEST_BYTES }, true),
  ],
  route: (route) => route.buffer && { perFilter: { [BUFFER_FILTER]: bufferPerRoute(route.buffer) } },
};

function bufferPerRoute(buffer: BufferIr): XdsObject {
  const config = 'disabled' in buffer ? { disabled: true } : { buffer: { max_request_bytes: buffer.maxRequestBytes } };
  return { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute', ...config };
}
