// The options of an IR cluster → the fields of an Envoy Cluster: load balancing, circuit breakers, outlier
// detection, active health checks, the upstream HTTP protocol and TLS. Each builder returns the fields it
// owns, or nothing, so an Upstream without options gives the plain cluster. Endpoint and route metadata
// (socket matches, subsets) are built here too, next to the cluster fields they must agree with.
import { isIP } from 'node:net';
import type { CircuitBreakersIr, ClusterIr, EndpointIr, HealthCheckIr, LoadBalancerIr, OutlierDetectionIr, SubsetIr, UpstreamTlsIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { ADS_CONFIG_SOURCE, duration } from './config-source.ts';

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const UPSTREAM_TLS_CONTEXT = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

export function clusterOptions(c: ClusterIr): XdsObject {
  return {
    ...loadBalancing(c.loadBalancer),
    ...(c.circuitBreakers && { circuit_breakers: { thresholds: [thresholds(c.circuitBreakers)] } }),
    ...(c.outlierDetection && { outlier_detection: outlierDetection(c.outlierDetection) }),
    ...(c.healthChecks && { health_checks: c.healthChecks.map(healthCheck) }),
    ...httpProtocol(c),
    ...(c.tls && tlsSockets(c.tls, c.endpoints)),
    ...(c.subsetSelectors && { lb_subset_config: { fallback_policy: 'ANY_ENDPOINT', subset_selectors: c.subsetSelectors.map((keys) => ({ keys })) } }),
  };
}

/** Envoy's metadata namespace for load-balancer subsets (endpoint labels and routes' metadata_match). */
const LB_METADATA = 'envoy.lb';

/**
 * An endpoint's metadata: the socket of `transport_socket_matches` its SNI picks (see tlsSockets) and its
 * subset labels (see lb_subset_config); undefined when it has neither.
 */
export function endpointMetadata(e: EndpointIr): XdsObject | undefined {
  if (!e.sni && !e.subset) return undefined;
  return {
    filter_metadata: {
      ...(e.sni && { 'envoy.transport_socket_match': stringStruct({ sni: e.sni }) }),
      ...(e.subset && { [LB_METADATA]: stringStruct(e.subset) }),
    },
  };
}

/** A route's metadata_match: the endpoints whose subset labels have these values. */
export function subsetMatch(subset: SubsetIr): XdsObject {
  return { filter_metadata: { [LB_METADATA]: stringStruct(subset) } };
}

/**
 * A google.protobuf.Struct of strings in its proto form, which our strict encoder takes (not the JSON
 * shorthand); the well-known types come from protobufjs's bundled definitions, whose field names are camelCase.
 */
function stringStruct(values: Record<string, string>): XdsObject {
  return { fields: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { stringValue: v }])) };
}

/**
 * The cluster's TLS socket, plus one per host-specific server name: Envoy picks the socket whose `match`
 * equals the endpoint's socketMatchMetadata (buildLoadAssignment writes it).
 */
function tlsSockets(tls: UpstreamTlsIr, endpoints: EndpointIr[]): XdsObject {
  const names = [...new Set(endpoints.flatMap((e) => e.sni ?? []))].sort();
  return {
    transport_socket: transportSocket(tls),
    ...(names.length && {
      transport_socket_matches: names.map((sni) => ({ name: `sni/${sni}`, match: stringStruct({ sni }), transport_socket: transportSocket({ ...tls, sni }) })),
    }),
  };
}

const LB_POLICIES: Record<LoadBalancerIr['policy'], string> = {
  RoundRobin: 'ROUND_ROBIN',
  LeastRequest: 'LEAST_REQUEST',
  Random: 'RANDOM',
  RingHash: 'RING_HASH',
  Maglev: 'MAGLEV',
};

function loadBalancing(lb: LoadBalancerIr = { policy: 'RoundRobin' }): XdsObject {
  const out: XdsObject = { lb_policy: LB_POLICIES[lb.policy] };
  if (lb.policy === 'LeastRequest' && lb.choiceCount !== undefined) out.least_request_lb_config = { choice_count: { value: lb.choiceCount } };
  if (lb.policy === 'RingHash' && (lb.minimumRingSize ?? lb.maximumRingSize) !== undefined) {
    out.ring_hash_lb_config = wrapped({ minimum_ring_size: lb.minimumRingSize, maximum_ring_size: lb.maximumRingSize });
  }
  return out;
}

function thresholds(cb: CircuitBreakersIr): XdsObject {
  return wrapped({
    max_connections: cb.maxConnections,
    max_pending_requests: cb.maxPendingRequests,
    max_requests: cb.maxRequests,
    max_retries: cb.maxRetries,
  });
}

function outlierDetection(o: OutlierDetectionIr): XdsObject {
  return {
    ...wrapped({
      consecutive_5xx: o.consecutive5xx,
      max_ejection_percent: o.maxEjectionPercent,
      enforcing_consecutive_5xx: o.enforcingConsecutive5xx,
      enforcing_success_rate: o.enforcingSuccessRate,
      success_rate_minimum_hosts: o.successRateMinimumHosts,
      success_rate_request_volume: o.successRateRequestVolume,
      success_rate_stdev_factor: o.successRateStdevFactor,
      consecutive_gateway_failure: o.consecutiveGatewayFailure,
      enforcing_consecutive_gateway_failure: o.enforcingConsecutiveGatewayFailure,
      consecutive_local_origin_failure: o.consecutiveLocalOriginFailure,
      enforcing_consecutive_local_origin_failure: o.enforcingConsecutiveLocalOriginFailure,
      enforcing_local_origin_success_rate: o.enforcingLocalOriginSuccessRate,
    }),
    ...(o.intervalMs !== undefined && { interval: duration(o.intervalMs) }),
    ...(o.baseEjectionTimeMs !== undefined && { base_ejection_time: duration(o.baseEjectionTimeMs) }),
    ...(o.splitExternalLocalOriginErrors !== undefined && { split_external_local_origin_errors: o.splitExternalLocalOriginErrors }),
  };
}

function healthCheck(hc: HealthCheckIr): XdsObject {
  return {
    timeout: duration(hc.timeoutMs),
    interval: duration(hc.intervalMs),
    ...(hc.noTrafficIntervalMs !== undefined && { no_traffic_interval: duration(hc.noTrafficIntervalMs) }),
    unhealthy_threshold: { value: hc.unhealthyThreshold },
    healthy_threshold: { value: hc.healthyThreshold },
    http_health_check: { path: hc.http.path, ...(hc.http.host && { host: hc.http.host }) },
  };
}

/** HTTP/2 (h2c without TLS) and per-connection request limits live in the upstream HTTP protocol options. */
export function httpProtocol(c: Pick<ClusterIr, 'http2' | 'maxRequestsPerConnection'>): XdsObject {
  if (!c.http2 && !c.maxRequestsPerConnection) return {};
  const options: XdsObject = {
    '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`,
    explicit_http_config: c.http2 ? { http2_protocol_options: {} } : { http_protocol_options: {} },
    ...(c.maxRequestsPerConnection && { common_http_protocol_options: { max_requests_per_connection: { value: c.maxRequestsPerConnection } } }),
  };
  return { typed_extension_protocol_options: { [HTTP_PROTOCOL_OPTIONS]: options } };
}

export function transportSocket(tls: UpstreamTlsIr): XdsObject {
  const common: XdsObject = {};
  if (tls.certFile && tls.keyFile) common.tls_certificates = [{ certificate_chain: { filename: tls.certFile }, private_key: { filename: tls.keyFile } }];
  // By SDS, like listener certificates: a rotated client certificate is a new Secret, the cluster stays.
  if (tls.clientCertificate) common.tls_certificate_sds_secret_configs = [{ name: tls.clientCertificate, sds_config: ADS_CONFIG_SOURCE }];
  const trustedCa = tls.caFile ? { filename: tls.caFile } : tls.trustedCa && { inline_string: tls.trustedCa };
  if (trustedCa) {
    common.validation_context = {
      trusted_ca: trustedCa,
      ...(tls.verifySubjectAltNames && { match_typed_subject_alt_names: tls.verifySubjectAltNames.map(sanMatcher) }),
    };
  }
  if (tls.alpnProtocols) common.alpn_protocols = tls.alpnProtocols;
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': UPSTREAM_TLS_CONTEXT, ...(tls.sni && { sni: tls.sni }), common_tls_context: common },
  };
}

/**
 * Gloo's `verifySubjectAltName` accepts a SAN of any type; Envoy matches typed SANs, so each value is matched
 * as the type it looks like: an IP address, a URI (SPIFFE IDs), else a DNS name.
 */
function sanMatcher(san: string): XdsObject {
  const type = isIP(san) ? 'IP_ADDRESS' : san.includes('://') ? 'URI' : 'DNS';
  return { san_type: type, matcher: { exact: san } };
}

/** Protobuf wrapper values (`{ value: n }`) for the fields that are set. */
function wrapped(fields: Record<string, number | undefined>): XdsObject {
  return Object.fromEntries(Object.entries(fields).flatMap(([k, v]) => (v === undefined ? [] : [[k, { value: v }]])));
}
