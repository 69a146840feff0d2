// Gloo's Upstream and UpstreamGroup (gloo.solo.io/v1), with Gloo's field names so that Gloo Edge YAML carries
// over. Gloo fields Portico does not implement are named with the reason rather than dropped silently.
import { isIP } from 'node:net';
import { PROTO_DURATION_PATTERN, protoDurationMs } from '../duration.ts';
import { controlCharProblem, headerValue, namespaceName, objectName, portNumber } from './common.ts';
import { bool, int, list, map, obj, oneOf, required, str, unsupported, type Rule, type StringSchema } from './schema.ts';

const UINT32_MAX = 4_294_967_295;
const uint32 = int(0, UINT32_MAX);
const percent = int(0, 100);
/** Envoy's limit for ring hash sizes (8M entries). */
const RING_SIZE_MAX = 8_388_608;

/** Protobuf JSON durations, as Gloo's YAML writes them. */
const duration = str({
  pattern: PROTO_DURATION_PATTERN,
  patternName: 'duration (seconds with an "s", as protobuf JSON writes them: 5s, 0.25s)',
  check: (d) => ((protoDurationMs(d) ?? 0) < 1 ? 'must be at least 1ms' : undefined),
});

/** Envoy does not resolve names in endpoints served by EDS, so a static host must be an IP address. */
const hostAddr = str({
  minLength: 1,
  check: (addr) => (isIP(addr) ? undefined : `${JSON.stringify(addr)} is not an IP address (endpoints are served by EDS, which does not resolve names)`),
});

const staticSpec = obj({
  hosts: required(list(obj({ addr: required(hostAddr), port: required(portNumber), sniAddr: str() }), { min: 1 })),
  useTls: bool,
});

// ── loadBalancerConfig ──────────────────────────────────────────────────────────────────────────────

const LB_POLICIES = ['roundRobin', 'leastRequest', 'random', 'ringHash', 'maglev'];

const onePolicy: Rule = (c: Record<string, unknown>, report) => {
  const set = LB_POLICIES.filter((k) => c[k] !== undefined);
  if (set.length > 1) report([set[1] as string], `only one load balancing policy may be set (found ${set.join(' and ')})`);
};

const ringSizesInOrder: Rule = (c: { minimumRingSize?: number; maximumRingSize?: number }, report) => {
  if (c.minimumRingSize !== undefined && c.maximumRingSize !== undefined && c.minimumRingSize > c.maximumRingSize) {
    report(['minimumRingSize'], `must not be greater than maximumRingSize (${c.maximumRingSize})`);
  }
};

const slowStart = unsupported('slowStartConfig is not supported by Portico yet');

const loadBalancerConfig = obj(
  {
    roundRobin: obj({ slowStartConfig: slowStart }),
    leastRequest: obj({ choiceCount: int(2, UINT32_MAX), slowStartConfig: slowStart }),
    random: obj({}),
    ringHash: obj({ ringHashConfig: obj({ minimumRingSize: int(1, RING_SIZE_MAX), maximumRingSize: int(1, RING_SIZE_MAX) }, ringSizesInOrder) }),
    maglev: obj({}),
    healthyPanicThreshold: unsupported('healthyPanicThreshold is not supported by Portico yet'),
    updateMergeWindow: unsupported('updateMergeWindow is not supported by Portico yet'),
    localityWeightedLbConfig: unsupported('locality weighted load balancing is not supported by Portico'),
    useHostnameForHashing: unsupported('useHostnameForHashing is not supported by Portico (static hosts are IP addresses)'),
  },
  onePolicy,
);

// ── connections, circuit breakers, outlier detection, health checks ─────────────────────────────────

const connectionConfig = obj({
  connectTimeout: duration,
  maxRequestsPerConnection: uint32,
  tcpKeepalive: unsupported('tcpKeepalive is not supported by Portico yet'),
  perConnectionBufferLimitBytes: unsupported('perConnectionBufferLimitBytes is not supported by Portico yet'),
  commonHttpProtocolOptions: unsupported('commonHttpProtocolOptions is not supported by Portico yet'),
});

const circuitBreakers = obj({ maxConnections: uint32, maxPendingRequests: uint32, maxRequests: uint32, maxRetries: uint32 });

const outlierDetection = obj({
  consecutive5xx: uint32,
  interval: duration,
  baseEjectionTime: duration,
  maxEjectionPercent: percent,
  enforcingConsecutive5xx: percent,
  enforcingSuccessRate: percent,
  successRateMinimumHosts: uint32,
  successRateRequestVolume: uint32,
  successRateStdevFactor: uint32,
  consecutiveGatewayFailure: uint32,
  enforcingConsecutiveGatewayFailure: percent,
  splitExternalLocalOriginErrors: bool,
  consecutiveLocalOriginFailure: uint32,
  enforcingConsecutiveLocalOriginFailure: percent,
  enforcingLocalOriginSuccessRate: percent,
});

/** A rule, not `required`: with an unsupported checker set, "unsupported" alone is the useful message. */
const httpCheckerRequired: Rule = (hc: { httpHealthCheck?: unknown }, report) => {
  if (!hc.httpHealthCheck) report(['httpHealthCheck'], 'required: Portico runs HTTP health checks (set httpHealthCheck.path)');
};

const otherChecker = unsupported('only httpHealthCheck is supported by Portico yet');

const healthCheck = obj(
  {
    timeout: required(duration),
    interval: required(duration),
    // Optional in Gloo's schema, but Envoy rejects a health check without them.
    unhealthyThreshold: required(uint32),
    healthyThreshold: required(uint32),
    noTrafficInterval: duration,
    httpHealthCheck: obj({
      // Envoy sends both as header values (:path, :authority).
      path: required(str({ minLength: 1, maxLength: 1024, check: (p) => (p.startsWith('/') ? controlCharProblem(p) : "must be an absolute path starting with '/'") })),
      host: headerValue(253, 1),
    }),
    tcpHealthCheck: otherChecker,
    grpcHealthCheck: otherChecker,
    customHealthCheck: otherChecker,
  },
  httpCheckerRequired,
);

// ── sslConfig ───────────────────────────────────────────────────────────────────────────────────────

/**
 * A certificate file on the Envoy host: Envoy reads it, so key material never passes through Portico.
 * The message never quotes the value, which may be a pasted key.
 */
const certFile: StringSchema = str({
  minLength: 1,
  check: (path) => {
    if (path.includes('-----BEGIN')) return 'must be a file path on the Envoy host, not PEM content (inline certificates and keys are not supported)';
    return path.startsWith('/') ? undefined : 'must be an absolute file path on the Envoy host';
  },
});

const certWithKey: Rule = (f: { tlsCert?: string; tlsKey?: string }, report) => {
  if (f.tlsCert && !f.tlsKey) report(['tlsKey'], 'required when tlsCert is set (a client certificate needs its key)');
  if (f.tlsKey && !f.tlsCert) report(['tlsCert'], 'required when tlsKey is set');
};

const sanNeedsRootCa: Rule = (c: { sslFiles?: { rootCa?: string }; secretRef?: unknown; verifySubjectAltName?: string[] }, report) => {
  // With secretRef, the CA is the Secret's ca.crt: the translator checks it is there.
  if (c.verifySubjectAltName?.length && !c.sslFiles?.rootCa && !c.secretRef) report(['verifySubjectAltName'], 'needs sslFiles.rootCa (or a secretRef whose Secret has ca.crt) to verify the certificate against');
};

/** Gloo's oneof: the certificates come from files or from a Secret, not both. */
const filesOrSecret: Rule = (c: { sslFiles?: unknown; secretRef?: unknown }, report) => {
  if (c.sslFiles && c.secretRef) report(['secretRef'], 'sslFiles and secretRef are alternatives (Gloo: one of them)');
};

const sslConfig = obj(
  {
    sslFiles: obj({ tlsCert: certFile, tlsKey: certFile, rootCa: certFile, ocspStaple: unsupported('ocspStaple applies to servers, not to upstream TLS') }, certWithKey),
    // Envoy's limit is 255 bytes (PGV max_bytes), which fewer characters reach in UTF-8.
    sni: str({ minLength: 1, maxLength: 255, check: (s) => (Buffer.byteLength(s) > 255 ? `must be at most 255 bytes in UTF-8 (got ${Buffer.byteLength(s)})` : undefined) }),
    verifySubjectAltName: list(str({ minLength: 1 }), { min: 1 }),
    alpnProtocols: list(str({ minLength: 1 }), { min: 1 }),
    // A TLS Secret (secrets folder or Vault): tls.crt + tls.key as the client certificate, ca.crt as the root CA.
    secretRef: obj({ name: required(objectName), namespace: namespaceName }),
    sds: unsupported('sds is not supported by Portico; use secretRef (Secrets from the folder or Vault, served by SDS) or sslFiles'),
    parameters: unsupported('parameters (TLS versions and ciphers) are not supported by Portico yet'),
    allowRenegotiation: unsupported('allowRenegotiation is not supported by Portico'),
  },
  sanNeedsRootCa,
  filesOrSecret,
);

// ── consul and awsEc2 (discovered endpoints) ────────────────────────────────────────────────────────

const tagList = list(str({ minLength: 1 }), { max: 64 });

const consulSpec = obj({
  serviceName: required(str({ minLength: 1, maxLength: 255 })),
  serviceTags: tagList,
  instanceTags: tagList,
  dataCenters: list(str({ minLength: 1, pattern: /^[A-Za-z0-9_-]+$/, patternName: 'datacenter name' }), { min: 1, max: 16 }),
  subsetTags: tagList,
  instanceBlacklistTags: tagList,
  connectEnabled: unsupported('connectEnabled (Consul service mesh) is not supported by Portico'),
  serviceSpec: unsupported('serviceSpec is not supported by Portico'),
  consistencyMode: oneOf('ConsistentMode', 'StaleMode', 'DefaultMode'),
  queryOptions: unsupported('queryOptions is not supported by Portico'),
});

const awsCredentials =
  'Portico reads AWS credentials from secretRef or from the standard chain (environment, ~/.aws files with role_arn profiles, web identity, instance role): configure the role there';

const ec2Filter = obj(
  { key: str({ minLength: 1, maxLength: 128 }), kvPair: obj({ key: required(str({ minLength: 1, maxLength: 128 })), value: required(str({ maxLength: 256 })) }) },
  (f: { key?: string; kvPair?: unknown }, report) => {
    if ((f.key === undefined) === (f.kvPair === undefined)) report([], 'set exactly one of key (the tag is present) and kvPair (the tag has this value)');
  },
);

const awsEc2Spec = obj({
  region: required(str({ minLength: 1, pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/, patternName: 'AWS region (us-east-1)' })),
  filters: list(ec2Filter, { max: 50 }),
  port: portNumber,
  publicIp: bool,
  roleArn: unsupported(`roleArn: ${awsCredentials}`),
  secretRef: obj({ name: required(objectName), namespace: namespaceName }),
});

const UPSTREAM_TYPES = ['static', 'consul', 'awsEc2'];

const oneType: Rule = (spec: Record<string, unknown>, report) => {
  const set = UPSTREAM_TYPES.filter((k) => spec[k] !== undefined);
  if (set.length === 0) report([], `one of ${UPSTREAM_TYPES.join(', ')} is required`);
  if (set.length > 1) report([set[1] as string], `only one upstream type may be set (found ${set.join(' and ')})`);
};

const otherType = unsupported('only static, consul and awsEc2 upstreams are supported by Portico');

export const upstreamSpec = obj({
  // The upstream types Portico serves; Gloo's others are named so that a ported config says why.
  static: staticSpec,
  consul: consulSpec,
  awsEc2: awsEc2Spec,
  kube: otherType,
  aws: otherType,
  azure: otherType,
  gcp: otherType,
  pipe: otherType,
  loadBalancerConfig,
  connectionConfig,
  circuitBreakers,
  outlierDetection,
  healthChecks: list(healthCheck, { max: 16 }),
  useHttp2: bool,
  sslConfig,
}, oneType);

// ── UpstreamGroup ───────────────────────────────────────────────────────────────────────────────────

const someWeight: Rule = (destinations: { weight?: number }[], report) => {
  if (!destinations.some((d) => (d.weight ?? 0) > 0)) report([], 'at least one destination needs a weight above 0 (an unset weight is 0, as in Gloo)');
};

const otherDestination = unsupported('Portico routes only to gloo.solo.io Upstreams here (destination.upstream)');

const weightedDestination = obj({
  destination: required(
    obj({
      upstream: required(obj({ name: required(objectName), namespace: namespaceName })),
      kube: otherDestination,
      consul: otherDestination,
      destinationSpec: unsupported('destinationSpec is not supported by Portico'),
      subset: obj({ values: required(map(str({ minLength: 1, maxLength: 255 }), str({ maxLength: 255 }))) }),
    }),
  ),
  weight: int(0, 1_000_000),
  options: unsupported('per-destination options are not supported by Portico yet'),
});

export const upstreamGroupSpec = obj({
  destinations: required(list(weightedDestination, { min: 1, max: 64 }, someWeight)),
});
