// IR clusters → Envoy Cluster (EDS) + ClusterLoadAssignment. Endpoints travel separately by EDS so
// that discovery churn changes only the EDS version.
import type { ClusterIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { ADS_CONFIG_SOURCE, duration } from './config-source.ts';

export function buildCluster(cluster: ClusterIr): XdsObject {
  return {
    name: cluster.name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS_CONFIG_SOURCE },
    connect_timeout: duration(cluster.connectTimeoutMs),
    lb_policy: 'ROUND_ROBIN',
    // Drop a removed endpoint at once instead of waiting for active health checks to fail it.
    ignore_health_on_host_removal: true,
    ...(cluster.http2 && { typed_extension_protocol_options: { [HTTP_PROTOCOL_OPTIONS]: http2Options() } }),
  };
}

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function http2Options(): XdsObject {
  return { '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`, explicit_http_config: { http2_protocol_options: {} } };
}

export function buildLoadAssignment(cluster: ClusterIr): XdsObject {
  return {
    cluster_name: cluster.name,
    endpoints: [
      {
        lb_endpoints: cluster.endpoints.map((e) => ({
          endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
        })),
      },
    ],
  };
}
