// A Gloo Upstream → IR clusters (one per protocol): its static hosts or the source of its discovered ones
// (Consul catalog, EC2), and its options (load balancing,
// connection limits, outlier detection, health checks, HTTP/2, TLS). The validator has checked every field.
import type { HealthCheck, LoadBalancerConfig, OutlierDetection, UpstreamSpec } from '../api/gloo-types.ts';
import type { Resource } from '../api/resource.ts';
import { protoDurationMs } from '../api/duration.ts';
import type { ClusterIr, EndpointIr, EndpointSourceIr, HealthCheckIr, LoadBalancerIr, OutlierDetectionIr, SecretRefIr, UpstreamTlsIr } from '../ir/types.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { ec2SecretRef, SECRET_REF_FIELD } from './ec2-secret.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import { consulSubsetTags, subsetSelectors } from './subsets.ts';
import { condition, statusEntry, type StatusEntry } from './status.ts';
import { clientCertificateProblems, upstreamClientCertificate, type UpstreamSecret } from './upstream-tls.ts';

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
export function upstreamClusters(u: Resource<UpstreamSpec>, index: ResourceIndex): ClusterIr[] {
  const client = upstreamClientCertificate(u, index);
  if (client && 'unresolved' in client) return []; // fail closed (upstream-tls.ts)
  return [upstreamCluster(u, index, 'http1', client), upstreamCluster(u, index, 'h2c', client)];
}

function upstreamCluster(u: Resource<UpstreamSpec>, index: ResourceIndex, protocol: BackendProtocol, client: ClientCertificate | undefined): ClusterIr {
  const spec = u.spec;
  const http2 = protocol === 'h2c' || spec.useHttp2 === true;
  const tls = tlsOf(spec, client);
  const endpoints = endpointsOf(spec, tls !== undefined);
  const secret = ec2SecretRef(u, index);
  // Credentials that cannot be used: nothing is discovered (Envoy answers 503), as with a source that is off.
  const discovery = secret && 'problem' in secret ? undefined : discoveryOf(spec, secret?.ref);
  const selectors = spec.consul ? subsetSelectors(u, index) : [];
  const timeout = spec.connectionConfig?.connectTimeout;
  const loadBalancer = loadBalancerOf(spec.loadBalancerConfig);
  const { maxRequestsPerConnection } = spec.connectionConfig ?? {};
  return {
    name: upstreamClusterName(u.metadata.namespace, u.metadata.name, protocol),
    endpoints,
    ...(discovery && { discovery }),
    ...(selectors.length && { subsetSelectors: selectors }),
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

/** Gloo's consistency modes as Consul's query parameters; DefaultMode sends none. */
const CONSISTENCY = { ConsistentMode: 'consistent', StaleMode: 'stale', DefaultMode: undefined } as const;

/** Gloo's default EC2 port. */
const DEFAULT_EC2_PORT = 80;

/** Where a consul or awsEc2 Upstream's endpoints come from; lists sorted so that equal specs give equal IR. */
function discoveryOf(spec: UpstreamSpec, secretRef: SecretRefIr | undefined): EndpointSourceIr | undefined {
  if (spec.consul) {
    const { serviceName, instanceTags = [], instanceBlacklistTags = [], dataCenters = [], consistencyMode } = spec.consul;
    const consistency = CONSISTENCY[consistencyMode ?? 'DefaultMode'];
    const sorted = (list: string[]) => [...new Set(list)].sort();
    const [tags, excludedTags, subsetTags, dcs] = [sorted(instanceTags), sorted(instanceBlacklistTags), consulSubsetTags(spec), sorted(dataCenters)];
    return {
      consul: {
        service: serviceName,
        ...(tags.length && { tags }),
        ...(excludedTags.length && { excludedTags }),
        ...(subsetTags.length && { subsetTags }),
        ...(dcs.length && { dataCenters: dcs }),
        ...(consistency && { consistency }),
      },
    };
  }
  if (spec.awsEc2) {
    const { region, filters = [], port = DEFAULT_EC2_PORT, publicIp } = spec.awsEc2;
    const tagFilters = filters.map((f) => ('kvPair' in f ? { key: f.kvPair.key, value: f.kvPair.value } : { key: f.key }));
    const unique = [...new Map(tagFilters.map((f) => [JSON.stringify(f), f])).values()];
    unique.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : (a.value ?? '') < (b.value ?? '') ? -1 : 1));
    return { ec2: { region, filters: unique, port, ...(publicIp && { publicIp: true as const }), ...(secretRef && { secretRef }) } };
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

type ClientCertificate = Extract<UpstreamSecret, { secret: unknown }>;

/**
 * `sslConfig` configures TLS; Gloo's `static.useTls` alone means TLS without verifying the upstream; a client
 * certificate (secretRef or Vault PKI, see upstream-tls.ts) means TLS too.
 * Without `alpnProtocols`, Envoy offers the ALPN of the protocol it speaks (`h2` with HTTP/2).
 */
function tlsOf(spec: UpstreamSpec, client: ClientCertificate | undefined): UpstreamTlsIr | undefined {
  const ssl = spec.sslConfig;
  if (!ssl && !spec.static?.useTls && !client) return undefined;
  const files = ssl?.sslFiles;
  const alpn = ssl?.alpnProtocols;
  return {
    ...(ssl?.sni && { sni: ssl.sni }),
    ...(files?.rootCa && { caFile: files.rootCa }),
    ...(files?.tlsCert && { certFile: files.tlsCert }),
    ...(files?.tlsKey && { keyFile: files.tlsKey }),
    ...(client && { clientCertificate: client.secret.name }),
    ...(client?.trustedCa && { trustedCa: client.trustedCa }),
    ...(ssl?.verifySubjectAltName && { verifySubjectAltNames: [...ssl.verifySubjectAltName] }),
    ...(alpn && { alpnProtocols: [...alpn] }),
  };
}

/** Gloo reports an Upstream's `state`; Portico writes Gateway-API-style conditions instead. */
export function upstreamStatus(u: Resource<UpstreamSpec>, index: ResourceIndex): StatusEntry {
  const client = upstreamClientCertificate(u, index);
  if (client && 'unresolved' in client) {
    const notServed = condition(u, 'Accepted', true, { reason: 'Accepted', message: 'not served until its client certificate can be used' });
    return statusEntry(u, { conditions: [notServed, condition(u, 'ResolvedRefs', false, client.unresolved)] });
  }
  const cluster = upstreamCluster(u, index, 'http1', client);
  const options = [
    cluster.loadBalancer && `${cluster.loadBalancer.policy} load balancing`,
    cluster.http2 && 'HTTP/2',
    cluster.tls && (cluster.tls.clientCertificate ? 'TLS with a client certificate' : 'TLS'),
    cluster.healthChecks && 'health checks',
    cluster.outlierDetection && 'outlier detection',
    cluster.circuitBreakers && 'circuit breakers',
  ].filter(Boolean);
  const message = `${kindOf(u.spec, cluster)}${options.length ? `; ${options.join(', ')}` : ''}`;
  const conditions = [condition(u, 'Accepted', true, { reason: 'Accepted', message })];
  // Only Upstreams that refer to something (a credentials Secret) say whether the reference resolved.
  const secret = ec2SecretRef(u, index);
  if (secret) conditions.push(condition(u, 'ResolvedRefs', 'ref' in secret, 'ref' in secret ? { reason: 'ResolvedRefs', message: 'AWS credentials from the Secret' } : secret.problem));
  return statusEntry(u, { conditions });
}

/** The problems of an Upstream's references, reported with every other problem (logs, `portico validate`). */
export function upstreamProblems(u: Resource<UpstreamSpec>, index: ResourceIndex): FieldProblem[] {
  const secret = ec2SecretRef(u, index);
  return [...(secret && 'problem' in secret ? [problemAt(u, SECRET_REF_FIELD, secret.problem.message)] : []), ...clientCertificateProblems(u, index)];
}

function kindOf(spec: UpstreamSpec, cluster: ClusterIr): string {
  const source = cluster.discovery;
  if (spec.awsEc2 && !source) return `EC2 instances in ${spec.awsEc2.region}, not discovered`;
  if (!source) return `static upstream with ${cluster.endpoints.length} host(s)`;
  if ('consul' in source) {
    const { service, tags, excludedTags, subsetTags } = source.consul;
    return `passing instances of Consul service ${service}${tags ? ` tagged ${tags.join(', ')}` : ''}${excludedTags ? `, none tagged ${excludedTags.join(', ')}` : ''}${subsetTags ? `; subsets by tag ${subsetTags.join(', ')}` : ''}`;
  }
  const { ec2 } = source;
  const credentials = ec2.secretRef ? `, credentials from Secret ${ec2.secretRef.namespace}/${ec2.secretRef.name}` : '';
  return `running EC2 instances in ${ec2.region}${ec2.filters.length ? ` matching ${ec2.filters.length} tag filter(s)` : ''}${credentials}`;
}
