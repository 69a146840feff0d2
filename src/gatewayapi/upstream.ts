// A Gloo Upstream → IR clusters (one per protocol): its static hosts or the source of its discovered ones
// (Consul catalog, EC2), and its options (load balancing,
// connection limits, outlier detection, health checks, HTTP/2, TLS). The validator has checked every field.
import type { HealthCheck, LoadBalancerConfig, OutlierDetection, UpstreamSpec } from '../api/gloo-types.ts';
import type { Resource } from '../api/resource.ts';
import { protoDurationMs } from '../api/duration.ts';
import type { ClusterIr, EndpointIr, EndpointSourceIr, HealthCheckIr, LoadBalancerIr, OutlierDetectionIr, SecretIr, UpstreamTlsIr } from '../ir/types.ts';
import { condition, statusEntry, type StatusEntry } from './status.ts';
import type { UpstreamSecret } from './upstream-tls.ts';

/** Gloo's default too. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** A duration the validator accepted. */
const ms = (d: string): number => protoDurationMs(d) ?? 0;

/** The wire protocol a cluster speaks to its endpoints: gRPC backends get HTTP/2 (h2c, or over TLS when set). */
export type BackendProtocol = 'http1' | 'h2c';

/** How a route's backends are reached: gRPC needs HTTP/2. */
export function backendProtocol(route: Resource): BackendProtocol {
  return route.kind === 'GRPCRoute' ? 'h2c' : 'http1';
}

export function upstreamClusterName(namespace: string, name: string, protocol: BackendProtocol = 'http1'): string {
  return `upstream/${namespace}/${name}${protocol === 'h2c' ? '/h2c' : ''}`;
}

/**
 * An Upstream's clusters, one per protocol: an Upstream referenced by both an HTTPRoute and a GRPCRoute gets
 * an HTTP/1.1 and an h2c cluster, so neither route changes how the other reaches it. Both carry the
 * Upstream's options. Only referenced clusters are served.
 */
export function upstreamClusters(u: Resource<UpstreamSpec>, secret?: UpstreamSecret): ClusterIr[] {
  if (secret && 'unresolved' in secret) return []; // fail closed (upstream-tls.ts)
  return [upstreamCluster(u, 'http1', secret), upstreamCluster(u, 'h2c', secret)];
}

function upstreamCluster(u: Resource<UpstreamSpec>, protocol: BackendProtocol, secret?: UpstreamSecret): ClusterIr {
  const spec = u.spec;
  const http2 = protocol === 'h2c' || spec.useHttp2 === true;
  const tls = tlsOf(spec, secret && 'secret' in secret ? secret : undefined);
  const endpoints = endpointsOf(spec, tls !== undefined);
  const discovery = discoveryOf(spec);
  const timeout = spec.connectionConfig?.connectTimeout;
  const loadBalancer = loadBalancerOf(spec.loadBalancerConfig);
  const { maxRequestsPerConnection } = spec.connectionConfig ?? {};
  return {
    name: upstreamClusterName(u.metadata.namespace, u.metadata.name, protocol),
    endpoints,
    ...(discovery && { discovery }),
    connectTimeoutMs: timeout ? ms(timeout) : DEFAULT_CONNECT_TIMEOUT_MS,
    ...(loadBalancer && { loadBalancer }),
    ...(spec.circuitBreakers && Object.keys(spec.circuitBreakers).length && { circuitBreakers: { ...spec.circuitBreakers } }),
    ...(spec.outlierDetection && { outlierDetection: outlierDetectionOf(spec.outlierDetection) }),
    ...(spec.healthChecks?.length && { healthChecks: spec.healthChecks.map(healthCheckOf) }),
    ...(http2 && { http2: true as const }),
    ...(maxRequestsPerConnection && { maxRequestsPerConnection }),
    ...(tls && { tls }),
  };
}

/** Unique and sorted; a host's `sniAddr` matters only when Envoy speaks TLS to it. */
function endpointsOf(spec: UpstreamSpec, tls: boolean): EndpointIr[] {
  const hosts = spec.static?.hosts ?? [];
  const unique = new Map(hosts.map((h) => [`${h.addr}:${h.port}`, { address: h.addr, port: h.port, ...(tls && h.sniAddr && { sni: h.sniAddr }) }]));
  return [...unique.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
}

/** Gloo's default EC2 port. */
const DEFAULT_EC2_PORT = 80;

/** Where a consul or awsEc2 Upstream's endpoints come from; lists sorted so that equal specs give equal IR. */
function discoveryOf(spec: UpstreamSpec): EndpointSourceIr | undefined {
  if (spec.consul) {
    const { serviceName, serviceTags = [], instanceTags = [], dataCenters = [] } = spec.consul;
    const tags = [...new Set([...serviceTags, ...instanceTags])].sort();
    const dcs = [...new Set(dataCenters)].sort();
    return { consul: { service: serviceName, ...(tags.length && { tags }), ...(dcs.length && { dataCenters: dcs }) } };
  }
  if (spec.awsEc2) {
    const { region, filters = [], port = DEFAULT_EC2_PORT, publicIp } = spec.awsEc2;
    const tagFilters = filters.map((f) => ('kvPair' in f ? { key: f.kvPair.key, value: f.kvPair.value } : { key: f.key }));
    const unique = [...new Map(tagFilters.map((f) => [JSON.stringify(f), f])).values()];
    unique.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : (a.value ?? '') < (b.value ?? '') ? -1 : 1));
    return { ec2: { region, filters: unique, port, ...(publicIp && { publicIp: true as const }) } };
  }
  return undefined;
}

function loadBalancerOf(c: LoadBalancerConfig | undefined): LoadBalancerIr | undefined {
  if (c?.leastRequest) return { policy: 'LeastRequest', ...c.leastRequest };
  if (c?.ringHash) return { policy: 'RingHash', ...c.ringHash.ringHashConfig };
  if (c?.maglev) return { policy: 'Maglev' };
  if (c?.random) return { policy: 'Random' };
  if (c?.roundRobin) return { policy: 'RoundRobin' };
  return undefined;
}

function healthCheckOf(hc: HealthCheck): HealthCheckIr {
  return {
    timeoutMs: ms(hc.timeout),
    intervalMs: ms(hc.interval),
    ...(hc.noTrafficInterval && { noTrafficIntervalMs: ms(hc.noTrafficInterval) }),
    unhealthyThreshold: hc.unhealthyThreshold,
    healthyThreshold: hc.healthyThreshold,
    http: { ...hc.httpHealthCheck },
  };
}

function outlierDetectionOf(o: OutlierDetection): OutlierDetectionIr {
  const { interval, baseEjectionTime, ...counts } = o;
  return {
    ...counts,
    ...(interval && { intervalMs: ms(interval) }),
    ...(baseEjectionTime && { baseEjectionTimeMs: ms(baseEjectionTime) }),
  };
}

/**
 * `sslConfig` configures TLS; Gloo's `static.useTls` alone means TLS without verifying the upstream; a client
 * certificate (secretRef or Vault PKI, see upstream-tls.ts) means TLS too.
 * Without `alpnProtocols`, Envoy offers the ALPN of the protocol it speaks (`h2` with HTTP/2).
 */
function tlsOf(spec: UpstreamSpec, secret?: { secret: SecretIr; trustedCa?: string }): UpstreamTlsIr | undefined {
  const ssl = spec.sslConfig;
  if (!ssl && !spec.static?.useTls && !secret) return undefined;
  const files = ssl?.sslFiles;
  const alpn = ssl?.alpnProtocols;
  return {
    ...(ssl?.sni && { sni: ssl.sni }),
    ...(files?.rootCa && { caFile: files.rootCa }),
    ...(files?.tlsCert && { certFile: files.tlsCert }),
    ...(files?.tlsKey && { keyFile: files.tlsKey }),
    ...(secret && { clientCertificate: secret.secret.name }),
    ...(secret?.trustedCa && { trustedCa: secret.trustedCa }),
    ...(ssl?.verifySubjectAltName && { verifySubjectAltNames: [...ssl.verifySubjectAltName] }),
    ...(alpn && { alpnProtocols: [...alpn] }),
  };
}

/** Gloo reports an Upstream's `state`; Portico writes Gateway-API-style conditions instead. */
export function upstreamStatus(u: Resource<UpstreamSpec>, secret?: UpstreamSecret): StatusEntry {
  if (secret && 'unresolved' in secret) {
    return statusEntry(u, { conditions: [condition(u, 'Accepted', true, { reason: 'Accepted', message: 'not served until its secretRef resolves' }), condition(u, 'ResolvedRefs', false, secret.unresolved)] });
  }
  const cluster = upstreamCluster(u, 'http1', secret);
  const options = [
    cluster.loadBalancer && `${cluster.loadBalancer.policy} load balancing`,
    cluster.http2 && 'HTTP/2',
    cluster.tls && (cluster.tls.clientCertificate ? 'TLS with the client certificate of its secretRef' : 'TLS'),
    cluster.healthChecks && 'health checks',
    cluster.outlierDetection && 'outlier detection',
    cluster.circuitBreakers && 'circuit breakers',
  ].filter(Boolean);
  const message = `${kindOf(cluster)}${options.length ? `; ${options.join(', ')}` : ''}`;
  return statusEntry(u, { conditions: [condition(u, 'Accepted', true, { reason: 'Accepted', message })] });
}

function kindOf(cluster: ClusterIr): string {
  const source = cluster.discovery;
  if (!source) return `static upstream with ${cluster.endpoints.length} host(s)`;
  if ('consul' in source) return `passing instances of Consul service ${source.consul.service}${source.consul.tags ? ` tagged ${source.consul.tags.join(', ')}` : ''}`;
  return `running EC2 instances in ${source.ec2.region}${source.ec2.filters.length ? ` matching ${source.ec2.filters.length} tag filter(s)` : ''}`;
}
