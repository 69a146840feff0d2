// The Envoy bootstrap for one Gateway: identity (node.cluster = gateway key), the ADS cluster, the admin port,
// and how Envoy proves itself to the controller (TLS, bearer token). Everything else comes over ADS.
import { isIP } from 'node:net';
import { ConfigError } from '../../lib/errors.ts';
import type { XdsObject } from '../resources.ts';
import { ADS_CONFIG_SOURCE, duration } from './config-source.ts';

export interface BootstrapOptions {
  /** `<namespace>/<name>` of the Gateway this Envoy serves. */
  gateway: string;
  /** Unique per Envoy; defaults to `<gateway>/<hostname-pid>` style ids chosen by the caller. */
  nodeId: string;
  /** The controllers' ADS servers; with several (HA), Envoy fails over to another when its stream breaks. */
  xds: readonly XdsAddress[];
  adminHost?: string;
  adminPort: number;
  /** Connect to the controller over TLS; without it the ADS stream is plaintext (fine on loopback only). */
  tls?: BootstrapTls;
  /** Sent on the ADS stream as `authorization: Bearer <token>`: this Gateway's token from the controller's --xds-tokens-file. */
  token?: string;
}

export interface XdsAddress {
  host: string;
  port: number;
}

/** Files are referenced by (absolute) path: Envoy reads them, and no key material lands in the bootstrap. */
export interface BootstrapTls {
  /** PEM CA bundle that signed the controller's certificate. */
  caFile: string;
  /** Client certificate and key Envoy presents, for a controller that requires mutual TLS. */
  certFile?: string;
  keyFile?: string;
  /**
   * The name the controller's certificate must carry (default: the xDS host, when there is one). A DNS name is also sent as
   * SNI and matched as a DNS SAN; an IP address is matched as an IP SAN (TLS sends no IP as SNI).
   */
  serverName?: string;
}

export const XDS_CLUSTER = 'portico_xds';

/**
 * Envoy accepts downstream connections without limit unless told otherwise (and warns about it at start):
 * a flood of idle connections could exhaust the gateway's file descriptors. This cap is well above what
 * one gateway serves; beyond it Envoy refuses new connections and counts them in its stats.
 */
export const MAX_DOWNSTREAM_CONNECTIONS = 100_000;

export function renderBootstrap(o: BootstrapOptions): XdsObject {
  return {
    node: { id: o.nodeId, cluster: o.gateway },
    admin: { address: socketAddress(o.adminHost ?? '127.0.0.1', o.adminPort) },
    dynamic_resources: {
      ads_config: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [
          {
            envoy_grpc: { cluster_name: XDS_CLUSTER },
            ...(o.token !== undefined ? { initial_metadata: [{ key: 'authorization', value: `Bearer ${o.token}` }] } : {}),
          },
        ],
        set_node_on_first_message_only: true,
      },
      lds_config: ADS_CONFIG_SOURCE,
      cds_config: ADS_CONFIG_SOURCE,
    },
    static_resources: { clusters: [xdsCluster(o)] },
    overload_manager: {
      resource_monitors: [
        {
          name: 'envoy.resource_monitors.global_downstream_max_connections',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig',
            max_active_downstream_connections: MAX_DOWNSTREAM_CONNECTIONS,
          },
        },
      ],
    },
  };
}

function xdsCluster(o: BootstrapOptions): XdsObject {
  return {
    name: XDS_CLUSTER,
    // A DNS name (e.g. Consul DNS `portico-xds.service.consul`) is re-resolved as controllers come and go.
    type: o.xds.every((a) => isIP(a.host) !== 0) ? 'STATIC' : 'STRICT_DNS',
    connect_timeout: duration(1000),
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        // gRPC needs HTTP/2; keepalives notice a vanished control plane so Envoy reconnects.
        explicit_http_config: { http2_protocol_options: { connection_keepalive: { interval: duration(15_000), timeout: duration(5_000) } } },
      },
    },
    load_assignment: {
      cluster_name: XDS_CLUSTER,
      endpoints: [{ lb_endpoints: o.xds.map((a) => ({ endpoint: { address: socketAddress(a.host, a.port) } })) }],
    },
    ...(o.tls ? { transport_socket: tlsTransportSocket(o.tls, o.xds) } : {}),
  };
}

function tlsTransportSocket(tls: BootstrapTls, xds: readonly XdsAddress[]): XdsObject {
  const hosts = new Set(xds.map((a) => a.host));
  const serverName = tls.serverName ?? (hosts.size === 1 ? xds[0]!.host : undefined);
  // Each controller's certificate must then carry one shared name; guessing one of the hosts would fail the others.
  if (!serverName) throw new ConfigError('several xDS hosts over TLS need the one name their certificates share (--xds-tls-server-name)');
  const ip = isIP(serverName) !== 0;
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      ...(ip ? {} : { sni: serverName }),
      common_tls_context: {
        // gRPC servers (grpc-js among them) only speak HTTP/2 negotiated by ALPN.
        alpn_protocols: ['h2'],
        // Envoy's client default tops out at TLS 1.2; the controller speaks 1.3.
        tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' },
        ...(tls.certFile && tls.keyFile ? { tls_certificates: [{ certificate_chain: { filename: tls.certFile }, private_key: { filename: tls.keyFile } }] } : {}),
        validation_context: {
          trusted_ca: { filename: tls.caFile },
          // Without a SAN match any certificate the CA signed would do, not just the controller's.
          match_typed_subject_alt_names: [{ san_type: ip ? 'IP_ADDRESS' : 'DNS', matcher: { exact: serverName } }],
        },
      },
    },
  };
}

function socketAddress(address: string, port: number): XdsObject {
  return { socket_address: { address, port_value: port } };
}
