// Fault injection and request buffering act only on the routes that ask for them: both filters sit on every
// listener with `disabled: true` (as the CORS filter sits there without a policy), and a route turns one on
// with its typed_per_filter_config. Enabling either option then changes RDS only, never the listener.
import type { BufferIr, FaultsIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { duration } from './config-source.ts';
import { fractionalPercent } from './forward-policies.ts';
import type { HttpFilterPlugin } from './http-filters.ts';

export const FAULT_FILTER = 'envoy.filters.http.fault';
export const BUFFER_FILTER = 'envoy.filters.http.buffer';

const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

/** Before CORS, as in Gloo's chain: an injected abort or delay happens before anything else answers. */
export const FAULT_PLUGIN: HttpFilterPlugin = {
  name: FAULT_FILTER,
  order: 50,
  disabled: true,
  build: () => ({ '@type': FAULT_TYPE }),
};

/** Envoy requires a limit even on a filter that is off; a route's own setting replaces it. */
const DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;

export const BUFFER_PLUGIN: HttpFilterPlugin = {
  name: BUFFER_FILTER,
  order: 200,
  disabled: true,
  build: () => ({ '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer', max_request_bytes: DEFAULT_MAX_REQUEST_BYTES }),
};

export function faultsPerFilterConfig(faults: FaultsIr): XdsObject {
  return {
    [FAULT_FILTER]: {
      '@type': FAULT_TYPE,
      ...(faults.delay && { delay: { fixed_delay: duration(faults.delay.delayMs), percentage: percent(faults.delay.percent) } }),
      ...(faults.abort && { abort: { http_status: faults.abort.status, percentage: percent(faults.abort.percent) } }),
    },
  };
}

export function bufferPerFilterConfig(buffer: BufferIr): XdsObject {
  const config = 'disabled' in buffer ? { disabled: true } : { buffer: { max_request_bytes: buffer.maxRequestBytes } };
  return { [BUFFER_FILTER]: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute', ...config } };
}

/** A percentage with fractions (Gloo's floats), in millionths. */
function percent(p: number): XdsObject {
  return fractionalPercent(Math.round(p * 10_000), 1_000_000);
}
