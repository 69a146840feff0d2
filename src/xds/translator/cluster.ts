// IR clusters → Envoy Cluster (EDS) + ClusterLoadAssignment. Endpoints travel separately by EDS so
// that discovery churn changes only the EDS version.
import type { ClusterIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { clusterOptions, endpointMetadata } from './cluster-options.ts';
import { ADS_CONFIG_SOURCE, duration } from './config-source.ts';

export function buildCluster(cluster: ClusterIr): XdsObject {
  return {
    name: cluster.name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS_CONFIG_SOURCE },
    connect_timeout: duration(cluster.connectTimeoutMs),
    ...clusterOptions(cluster),
    // Drop a removed endpoint at once instead of waiting for active health checks to fail it.
    ignore_health_on_host_removal: true,
  };
}

export function buildLoadAssignment(cluster: ClusterIr): XdsObject {
  return {
    cluster_name: cluster.name,
    endpoints: [
      {
        lb_endpoints: cluster.endpoints.map((e) => {
          const metadata = endpointMetadata(e);
          return { endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } }, ...(metadata && { metadata }) };
        }),
      },
    ],
  };
}
