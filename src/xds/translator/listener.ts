// Gateway listeners → Envoy Listener with an HTTP connection manager whose routes come by RDS,
// so that a route change never touches (or drains) the listener.
import type { ListenerIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { ADS_CONFIG_SOURCE } from './config-source.ts';
import { buildHttpFilters, type HttpFilterPlugin } from './http-filters.ts';

export function buildListener(listener: ListenerIr, filters: readonly HttpFilterPlugin[]): XdsObject {
  return {
    name: listener.name,
    address: { socket_address: { address: listener.address, port_value: listener.port } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm(listener, filters) }] }],
  };
}

function hcm(listener: ListenerIr, filters: readonly HttpFilterPlugin[]): XdsObject {
  return {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: listener.name.replaceAll('/', '_'),
    rds: { config_source: ADS_CONFIG_SOURCE, route_config_name: listener.name },
    http_filters: buildHttpFilters(listener, filters),
    // The gateway is the edge: it sets X-Forwarded-For from the peer and trusts no incoming value.
    use_remote_address: true,
    normalize_path: true,
    upgrade_configs: [{ upgrade_type: 'websocket' }],
    access_log: [
      { name: 'envoy.access_loggers.stdout', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog' } },
    ],
  };
}
