// Fault injection acts only on the routes that ask for it: the filter sits on every listener `disabled`, and a
// route turns it on with its typed_per_filter_config, so enabling faults changes RDS only, never the listener.
import type { FaultsIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { duration } from './config-source.ts';
import { httpFilter, type HttpFilterPlugin } from './filter-plugin.ts';
import { fractionalPercent } from './forward-policies.ts';

const FAULT_FILTER = 'envoy.filters.http.fault';
const FAULT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

/** Before CORS, as in Gloo's chain: an injected abort or delay happens before anything else answers. */
export const FAULT_PLUGIN: HttpFilterPlugin = {
  name: FAULT_FILTER,
  order: 50,
  listenerFilters: () => [httpFilter(FAULT_FILTER, { '@type': FAULT_TYPE }, true)],
  route: (route) => route.faults && { perFilter: { [FAULT_FILTER]: faultConfig(route.faults) } },
};

function faultConfig(faults: FaultsIr): XdsObject {
  return {
    '@type': FAULT_TYPE,
    ...(faults.delay && { delay: { fixed_delay: duration(faults.delay.delayMs), percentage: percent(faults.delay.percent) } }),
    ...(faults.abort && { abort: { http_status: faults.abort.status, percentage: percent(faults.abort.percent) } }),
  };
}

/** A percentage with fractions (Gloo's floats), in millionths. */
function percent(p: number): XdsObject {
  return fractionalPercent(Math.round(p * 10_000), 1_000_000);
}
