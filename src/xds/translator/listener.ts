// Gateway listeners → Envoy Listener with an HTTP connection manager whose routes come by RDS,
// so that a route change never touches (or drains) the listener. An HTTPS port has one filter chain per
// Gateway listener, chosen by SNI (the TLS inspector reads it), each with its own routes.
import type { GatewayIr, ListenerIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { ADS_CONFIG_SOURCE } from './config-source.ts';
import type { HttpFilter, HttpFilterPlugin } from './filter-plugin.ts';
import { buildDownstreamTls } from './secret.ts';

const TLS_INSPECTOR = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' },
};

/** The `http_filters` of every listener of the gateway: the plug-ins' filters in chain order (the router last). */
export function buildHttpFilters(plugins: readonly HttpFilterPlugin[], gateway: GatewayIr): HttpFilter[] {
  return [...plugins].sort((a, b) => a.order - b.order).flatMap((p) => p.listenerFilters(gateway));
}

export function buildListener(listener: ListenerIr, filters: readonly HttpFilter[]): XdsObject {
  const address = { socket_address: { address: listener.address, port_value: listener.port } };
  if (!listener.tlsChains) return { name: listener.name, address, filter_chains: [{ filters: [hcm(listener, listener.name, filters)] }] };
  const chains = listener.tlsChains.map((chain) => ({
    name: chain.name,
    ...(chain.serverNames.length && { filter_chain_match: { server_names: chain.serverNames } }),
    filters: [hcm(listener, chain.name, filters)],
    transport_socket: buildDownstreamTls(chain),
  }));
  return { name: listener.name, address, listener_filters: [TLS_INSPECTOR], filter_chains: chains };
}

function hcm(listener: ListenerIr, routeConfigName: string, filters: readonly HttpFilter[]): XdsObject {
  return { name: 'envoy.filters.network.http_connection_manager', typed_config: hcmConfig(listener, routeConfigName, filters) };
}

function hcmConfig(listener: ListenerIr, routeConfigName: string, filters: readonly HttpFilter[]): XdsObject {
  return {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: listener.name.replaceAll('/', '_'),
    rds: { config_source: ADS_CONFIG_SOURCE, route_config_name: routeConfigName },
    http_filters: filters,
    // The gateway is the edge: it sets X-Forwarded-For from the peer and trusts no incoming value.
    use_remote_address: true,
    normalize_path: true,
    upgrade_configs: [{ upgrade_type: 'websocket' }],
    access_log: [
      { name: 'envoy.access_loggers.stdout', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog' } },
    ],
  };
}
