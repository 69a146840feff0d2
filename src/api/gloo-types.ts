// Spec types of the Gloo-style extension kinds (gloo.solo.io/v1), shaped like Gloo's YAML so that
// existing Gloo Edge configs carry over. Durations are protobuf JSON strings (`5s`, `0.25s`).
import type { ExtAuthOption } from './auth-types.ts';
import type { RateLimitBasic, RateLimitConfigRefs } from './ratelimit-types.ts';

export interface UpstreamSpec {
  static?: {
    hosts: { addr: string; port: number; sniAddr?: string }[];
    useTls?: boolean;
  };
  /** Passing instances of a Consul catalog service (exactly one of static, consul and awsEc2 is set). */
  consul?: {
    serviceName: string;
    /** Gloo's deprecated name for subsetTags, read only when subsetTags is empty (as Gloo does). */
    serviceTags?: string[];
    /** Tags that split the instances into subsets an UpstreamGroup destination's `subset` can pick. */
    subsetTags?: string[];
    /** An instance must carry every one of these. */
    instanceTags?: string[];
    /** An instance carrying any of these is left out. */
    instanceBlacklistTags?: string[];
    /** Datacenters to query; absent: the agent's own. */
    dataCenters?: string[];
    /** Consul's read consistency for the catalog queries; absent: Consul's default mode. */
    consistencyMode?: 'ConsistentMode' | 'StaleMode' | 'DefaultMode';
  };
  /** Running EC2 instances matching every filter. */
  awsEc2?: {
    region: string;
    filters?: ({ key: string } | { kvPair: { key: string; value: string } })[];
    /** Default 80, as in Gloo. */
    port?: number;
    publicIp?: boolean;
    /** A Secret with Gloo's keys aws_access_key_id, aws_secret_access_key (and aws_session_token); absent: the standard AWS chain. */
    secretRef?: { name: string; namespace?: string };
  };
  loadBalancerConfig?: LoadBalancerConfig;
  connectionConfig?: { connectTimeout?: string; maxRequestsPerConnection?: number };
  circuitBreakers?: CircuitBreakerConfig;
  outlierDetection?: OutlierDetection;
  healthChecks?: HealthCheck[];
  useHttp2?: boolean;
  sslConfig?: UpstreamSslConfig;
}

/** Exactly one policy may be set; none means round robin. */
export interface LoadBalancerConfig {
  roundRobin?: Record<string, never>;
  leastRequest?: { choiceCount?: number };
  random?: Record<string, never>;
  ringHash?: { ringHashConfig?: { minimumRingSize?: number; maximumRingSize?: number } };
  maglev?: Record<string, never>;
}

export interface CircuitBreakerConfig {
  maxConnections?: number;
  maxPendingRequests?: number;
  maxRequests?: number;
  maxRetries?: number;
}

/** Gloo's copy of Envoy's OutlierDetection: counts, percentages, durations and one flag. */
export interface OutlierDetection {
  consecutive5xx?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  enforcingConsecutive5xx?: number;
  enforcingSuccessRate?: number;
  successRateMinimumHosts?: number;
  successRateRequestVolume?: number;
  successRateStdevFactor?: number;
  consecutiveGatewayFailure?: number;
  enforcingConsecutiveGatewayFailure?: number;
  splitExternalLocalOriginErrors?: boolean;
  consecutiveLocalOriginFailure?: number;
  enforcingConsecutiveLocalOriginFailure?: number;
  enforcingLocalOriginSuccessRate?: number;
}

export interface HealthCheck {
  timeout: string;
  interval: string;
  unhealthyThreshold: number;
  healthyThreshold: number;
  noTrafficInterval?: string;
  httpHealthCheck: { path: string; host?: string };
}

/** TLS from Envoy to the upstream: certificates as files on the Envoy host (`sslFiles`) or from a TLS Secret (`secretRef`). */
export interface UpstreamSslConfig {
  sslFiles?: { tlsCert?: string; tlsKey?: string; rootCa?: string };
  /** Default namespace: the Upstream's; another one needs a ReferenceGrant there. */
  secretRef?: { name: string; namespace?: string };
  sni?: string;
  verifySubjectAltName?: string[];
  alpnProtocols?: string[];
}

export interface UpstreamGroupSpec {
  destinations: WeightedDestination[];
}

export interface WeightedDestination {
  destination: {
    upstream: { name: string; namespace?: string };
    /** Endpoint labels the destination's instances must have; for consul Upstreams `tag_<tag>: "1"` (or "0"). */
    subset?: { values: Record<string, string> };
  };
  /** Gloo's default is 0: no traffic. */
  weight?: number;
}

/** A `targetRefs` entry of RouteOption (an HTTPRoute, sectionName = rule name) or VirtualHostOption (a Gateway,
 * sectionName = listener name); always in the option's own namespace. */
export interface PolicyTargetRef {
  group: string;
  kind: string;
  name: string;
  sectionName?: string;
  /** Must be the option's own namespace when set. */
  namespace?: string;
}

/** RouteOption (gateway.solo.io/v1): Gloo's route options for the rules of HTTPRoutes. */
/** Gloo Gateway's DirectResponse (gateway.solo.io/v1alpha1): a fixed answer, referenced from an HTTPRoute
 * rule by an ExtensionRef filter. */
export interface DirectResponseSpec {
  status: number;
  body?: string;
}

export interface RouteOptionSpec {
  targetRefs?: PolicyTargetRef[];
  options?: RouteOptions;
}

/** VirtualHostOption (gateway.solo.io/v1): options for every virtual host of a Gateway (or of one listener). */
export interface VirtualHostOptionSpec {
  targetRefs?: PolicyTargetRef[];
  options?: VirtualHostOptions;
}

/** Durations are protobuf JSON durations, as Gloo reads them: `5s`, `0.25s`. */
export interface RouteOptions {
  timeout?: string;
  retries?: GlooRetryPolicy;
  prefixRewrite?: string;
  regexRewrite?: { pattern: { regex: string }; substitution: string };
  hostRewrite?: string;
  autoHostRewrite?: boolean;
  headerManipulation?: GlooHeaderManipulation;
  cors?: GlooCorsPolicy;
  faults?: {
    abort?: { percentage?: number; httpStatus: number };
    delay?: { percentage?: number; fixedDelay: string };
  };
  shadowing?: { upstream: { name: string; namespace?: string }; percentage?: number };
  lbHash?: { hashPolicies: GlooHashPolicy[] };
  bufferPerRoute?: { disabled?: boolean; buffer?: { maxRequestBytes: number } };
  extauth?: ExtAuthOption;
  rateLimitConfigs?: RateLimitConfigRefs;
  ratelimitBasic?: RateLimitBasic;
}

export interface VirtualHostOptions {
  headerManipulation?: GlooHeaderManipulation;
  cors?: GlooCorsPolicy;
  retries?: GlooRetryPolicy;
  extauth?: ExtAuthOption;
  rateLimitConfigs?: RateLimitConfigRefs;
  ratelimitBasic?: RateLimitBasic;
}

export interface GlooRetryPolicy {
  /** Envoy's `retry_on`: comma-separated conditions. */
  retryOn?: string;
  numRetries?: number;
  perTryTimeout?: string;
  retryBackOff?: { baseInterval?: string; maxInterval?: string };
}

/** `append` absent or true adds a value; false replaces the header's values. */
export interface GlooHeaderValueOption {
  header: { key: string; value: string };
  append?: boolean;
}

export interface GlooHeaderManipulation {
  requestHeadersToAdd?: GlooHeaderValueOption[];
  requestHeadersToRemove?: string[];
  responseHeadersToAdd?: GlooHeaderValueOption[];
  responseHeadersToRemove?: string[];
}

export interface GlooCorsPolicy {
  allowOrigin?: string[];
  allowOriginRegex?: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  /** Seconds, as a string (Gloo passes it to Envoy's `max_age` as it is). */
  maxAge?: string;
  allowCredentials?: boolean;
  disableForRoute?: boolean;
}

export interface GlooHashPolicy {
  header?: string;
  cookie?: { name: string; ttl?: string; path?: string };
  sourceIp?: boolean;
  terminal?: boolean;
}
