// The intermediate representation between the gateway translator and the xDS translator.
// Plain, serialisable JSON: no classes, no Maps, no undefined-vs-missing distinctions that matter.
// Every list is sorted (or deliberately ordered, like routes) so the IR is deterministic.
import type { RateLimitActionSpec } from '../api/ratelimit-types.ts';
import type { DescriptorConfig } from '../contracts/ratelimit.ts';
import type { AuthConfigIr, AuthRefIr } from '../contracts/extauth.ts';

export interface Ir {
  /** One entry per Gateway that is programmed; sorted by `key`. */
  gateways: GatewayIr[];
  /** What the rate-limit service matches the descriptors routes send against; absent when no route limits. */
  rateLimit?: RateLimitIr;
  /** Every valid AuthConfig, Secrets resolved (absent when none): what the ext-auth service is streamed; sorted by name. */
  authConfigs?: AuthConfigIr[];
}

/** The rate-limit service's descriptor tree: one root per RateLimitConfig (and ratelimitBasic) in use, sorted. */
export interface RateLimitIr {
  descriptors: DescriptorConfig[];
}

/** One descriptor Envoy builds per request: an entry per action, in order (none when an action finds nothing). */
export interface RateLimitPolicyIr {
  actions: RateLimitActionIr[];
}

/** Gloo's actions, plus the descriptor keys Envoy lets us choose (Portico's own root entries). */
export type RateLimitActionIr = Omit<RateLimitActionSpec, 'genericKey' | 'headerValueMatch'> & {
  genericKey?: { descriptorValue: string; descriptorKey?: string };
  headerValueMatch?: NonNullable<RateLimitActionSpec['headerValueMatch']> & { descriptorKey?: string };
};

/** A header condition of a headerValueMatch action, as Gloo writes it. */
export type RateLimitHeaderMatcherIr = NonNullable<RateLimitActionIr['headerValueMatch']>['headers'][number];

export interface GatewayIr {
  /** `<namespace>/<name>`: the Envoy `node.cluster` this config is served to. */
  key: string;
  namespace: string;
  name: string;
  /** One per distinct port (Gateway listeners on one port share an Envoy listener); sorted by port. */
  listeners: ListenerIr[];
  /** Every cluster a route of this gateway forwards to; sorted by name. */
  clusters: ClusterIr[];
  /** The certificates its HTTPS listeners serve (absent when none); sorted by name. */
  secrets?: SecretIr[];
}

export interface ListenerIr {
  /** e.g. `default/gw/80` */
  name: string;
  address: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  /** HTTP only (empty for HTTPS). Sorted: most specific domain first, the catch-all `*` last. */
  virtualHosts: VirtualHostIr[];
  /** HTTPS only: one filter chain per Gateway listener on the port, chosen by SNI; sorted by name. */
  tlsChains?: TlsChainIr[];
}

/** One HTTPS Gateway listener: the SNI names it answers, its certificates, and its own routes. */
export interface TlsChainIr {
  /** e.g. `default/gw/443/https-shop` (`<listener name>/<Gateway listener name>`); also its route config's name. */
  name: string;
  /** SNI names (`shop.example.com`, `*.example.com`); empty: any SNI, or none. */
  serverNames: string[];
  /** Names of SecretIr, in certificateRefs order: Envoy picks by SNI among them, the first by default. */
  certificates: string[];
  minVersion?: TlsVersionIr;
  maxVersion?: TlsVersionIr;
  /** TLS 1.2 cipher suites (BoringSSL names), in preference order. */
  cipherSuites?: string[];
  /**
   * Sorted like ListenerIr.virtualHosts. Hostnames of the port's other listeners answer 421 Misdirected
   * Request here: the connection's SNI chose this listener, so it cannot serve them.
   */
  virtualHosts: VirtualHostIr[];
}

export type TlsVersionIr = '1.0' | '1.1' | '1.2' | '1.3';

/** A certificate and its key, PEM. Secret material: never log it. */
export interface SecretIr {
  /** e.g. `secret/default/shop-cert` */
  name: string;
  certificateChain: string;
  privateKey: string;
}

export interface VirtualHostIr {
  /** e.g. `default/gw/http/foo.example.com` (`<gw>/<listener name>/<hostname or *>`) */
  name: string;
  /** Envoy domains: `foo.example.com`, `*.example.com`, or `*`. */
  domains: string[];
  /** In match precedence order: Envoy takes the first that matches. */
  routes: RouteIr[];
  /** Settings of the whole virtual host (a VirtualHostOption); a route's own setting of the same kind wins. */
  requestHeaders?: HeaderModIr;
  responseHeaders?: HeaderModIr;
  cors?: CorsIr;
  retry?: RetryIr;
  /** Descriptors sent for every request to the host (a VirtualHostOption's rate limits). */
  rateLimits?: RateLimitPolicyIr[];
  /** External authorization for every route of the host, unless a route says otherwise. */
  auth?: AuthRefIr;
}

export interface RouteIr {
  /** e.g. `httproute/default/web/rule/0/match/1` */
  name: string;
  match: RouteMatchIr;
  requestHeaders?: HeaderModIr;
  responseHeaders?: HeaderModIr;
  /** Cross-origin resource sharing: preflights are answered by the gateway. */
  cors?: CorsIr;
  /** Turns the virtual host's CORS policy off on this route (Gloo's `cors.disableForRoute`). */
  corsDisabled?: true;
  faults?: FaultsIr;
  buffer?: BufferIr;
  /** Descriptors sent for requests on this route (a RouteOption's rate limits), besides the host's. */
  rateLimits?: RateLimitPolicyIr[];
  /** External authorization (a RouteOption's `extauth`); overrides the virtual host's. */
  auth?: AuthRefIr;
  action: RouteActionIr;
}

/** Fault injection; percentages are of requests, 0 to 100 with fractions. */
export interface FaultsIr {
  abort?: { percent: number; status: number };
  delay?: { percent: number; delayMs: number };
}

/** Request buffering on a route: up to maxRequestBytes, or explicitly off. */
export type BufferIr = { maxRequestBytes: number } | { disabled: true };

export interface CorsIr {
  /** Gateway API origins: `*`, or `<scheme>://<host>[:<port>]` where the host may start with `*` (any labels). */
  allowOrigins: string[];
  /** RE2 regexes an origin may match instead (Gloo's allowOriginRegex). */
  allowOriginRegexes?: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  /** Absent: no max-age header (the browser's default). */
  maxAgeSeconds?: number;
  allowCredentials: boolean;
}

export interface RouteMatchIr {
  path: PathMatchIr;
  headers?: ValueMatchIr[];
  queryParams?: ValueMatchIr[];
  method?: string;
}

/** `PathPrefix` has Gateway API semantics: it matches whole path segments. */
export interface PathMatchIr {
  type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  value: string;
}

export interface ValueMatchIr {
  name: string;
  type: 'Exact' | 'RegularExpression';
  value: string;
}

export interface HeaderModIr {
  set?: { name: string; value: string }[];
  add?: { name: string; value: string }[];
  remove?: string[];
}

export type RouteActionIr = ForwardActionIr | RedirectActionIr | DirectResponseActionIr;

export interface ForwardActionIr {
  type: 'forward';
  /** Weighted split; weights are > 0 (zero-weight backends are dropped by the gateway translator). */
  backends: { cluster: string; weight: number; requestHeaders?: HeaderModIr; responseHeaders?: HeaderModIr; subset?: SubsetIr }[];
  /**
   * Combined weight of the rule's invalid backendRefs (missing, wrong kind, not permitted). The Gateway API
   * asks that this share of requests (invalidWeight / (sum of weights + invalidWeight)) be answered with 500.
   */
  invalidWeight?: number;
  rewrite?: { hostname?: string; path?: PathRewriteIr; autoHostname?: true };
  /** Copies of the requests also go to these clusters; their answers are dropped. Sorted by cluster. */
  mirrors?: MirrorIr[];
  timeouts?: TimeoutsIr;
  retry?: RetryIr;
  /** How a consistent-hash load balancer picks the endpoint, in order. */
  hashPolicies?: HashPolicyIr[];
}

export type HashPolicyIr = (
  | { header: string }
  | { cookie: { name: string; ttlMs?: number; path?: string } }
  | { sourceIp: true }
) & { terminal?: true };

export interface MirrorIr {
  cluster: string;
  /** The share of requests mirrored, numerator / denominator (absent: all of them). */
  fraction?: { numerator: number; denominator: number };
}

/** Gateway API rule timeouts in milliseconds; 0 means no limit. */
export interface TimeoutsIr {
  /** The whole exchange with the client, retries included. */
  requestMs?: number;
  /** One attempt against a backend. */
  backendRequestMs?: number;
}

export interface RetryIr {
  /** Backend answers that are retried (connection failures always are). */
  codes: number[];
  /** Retries after the first attempt; absent: Envoy's default (1). */
  attempts?: number;
  /** Base interval of Envoy's exponential back-off with jitter. */
  backoffMs?: number;
  /** Upper bound of that back-off (Envoy's default: 10 × the base). */
  maxBackoffMs?: number;
  /** Envoy `retry_on` conditions as given (Gloo's retryOn); absent: derived from `codes` and the timeouts. */
  retryOn?: string;
  /** One attempt's limit set by the retry policy itself (Gloo's perTryTimeout); else TimeoutsIr.backendRequestMs. */
  perTryTimeoutMs?: number;
}

/** Gateway API rewrites, and Envoy's own `prefix_rewrite` / `regex_rewrite` as Gloo passes them on. */
export type PathRewriteIr =
  | { type: 'ReplaceFullPath'; value: string }
  | { type: 'ReplacePrefixMatch'; value: string }
  | { type: 'Prefix'; value: string }
  | { type: 'Regex'; pattern: string; substitution: string };

export interface RedirectActionIr {
  type: 'redirect';
  scheme?: 'http' | 'https';
  hostname?: string;
  port?: number;
  path?: PathRewriteIr;
  statusCode: 301 | 302 | 303 | 307 | 308;
}

/** A fixed answer, e.g. 500 for a rule whose backends are invalid (as the Gateway API asks). */
export interface DirectResponseActionIr {
  type: 'directResponse';
  status: number;
  body?: string;
}

export interface ClusterIr {
  /** e.g. `upstream/default/echo` or `service/default/echo/8080` */
  name: string;
  /**
   * Static endpoints; served through EDS so that endpoint churn never rebuilds clusters. Sorted. Empty when
   * `discovery` is set: the controller joins the discovered endpoints in (src/ir/endpoints.ts).
   */
  endpoints: EndpointIr[];
  /** Where the endpoints come from when they are discovered rather than listed. */
  discovery?: EndpointSourceIr;
  /**
   * The label sets routes pick subsets by (sorted keys, sorted lists); absent: no subset load balancing. A
   * route whose subset matches no endpoint gets any endpoint (Envoy's ANY_ENDPOINT fallback).
   */
  subsetSelectors?: string[][];
  connectTimeoutMs: number;
  /** Absent: round robin. */
  loadBalancer?: LoadBalancerIr;
  circuitBreakers?: CircuitBreakersIr;
  outlierDetection?: OutlierDetectionIr;
  healthChecks?: HealthCheckIr[];
  /** Speak HTTP/2 to the hosts (gRPC, or an Upstream's useHttp2): over TLS when `tls` is set, else h2c. */
  http2?: true;
  /** 0 or absent: no limit. */
  maxRequestsPerConnection?: number;
  tls?: UpstreamTlsIr;
}

export type LoadBalancerIr =
  | { policy: 'RoundRobin' }
  | { policy: 'LeastRequest'; choiceCount?: number }
  | { policy: 'Random' }
  | { policy: 'RingHash'; minimumRingSize?: number; maximumRingSize?: number }
  | { policy: 'Maglev' };

export interface CircuitBreakersIr {
  maxConnections?: number;
  maxPendingRequests?: number;
  maxRequests?: number;
  maxRetries?: number;
}

/** Envoy's outlier detection knobs, durations in milliseconds; absent ones take Envoy's defaults. */
export interface OutlierDetectionIr {
  consecutive5xx?: number;
  intervalMs?: number;
  baseEjectionTimeMs?: number;
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

/** An active HTTP health check: a host is healthy when `path` answers 200. */
export interface HealthCheckIr {
  timeoutMs: number;
  intervalMs: number;
  noTrafficIntervalMs?: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
  http: { path: string; host?: string };
}

/** TLS to the upstream: file paths that Envoy reads, or a Secret's certificate by SDS (the key is not here). */
export interface UpstreamTlsIr {
  sni?: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** The client certificate as the SDS Secret of that name (GatewayIr.secrets holds it). */
  clientCertificate?: string;
  /** The root CA (PEM, public) from the Secret's ca.crt. */
  trustedCa?: string;
  /** Accepted peer SANs; needs `caFile`. */
  verifySubjectAltNames?: string[];
  alpnProtocols?: string[];
}

/** Endpoint labels (Envoy's `envoy.lb` metadata) that pick a subset of a cluster's endpoints. */
export type SubsetIr = Record<string, string>;

export interface EndpointIr {
  address: string;
  port: number;
  /** Labels a route's subset is matched against (see ClusterIr.subsetSelectors). */
  subset?: SubsetIr;
  /** The TLS server name for this host (Gloo's `sniAddr`), instead of the cluster's; only with `tls`. */
  sni?: string;
}

/**
 * The endpoint source of a cluster. The gateway translator only names it; discovery providers watch it and
 * a pure join fills ClusterIr.endpoints, so endpoint churn re-sends ClusterLoadAssignments and nothing else.
 */
export type EndpointSourceIr = { consul: ConsulSourceIr } | { ec2: Ec2SourceIr };

/** Passing instances of a Consul catalog service. */
export interface ConsulSourceIr {
  service: string;
  /** An instance must carry all of them; sorted. */
  tags?: string[];
  /** An instance carrying any of them is left out; sorted. */
  excludedTags?: string[];
  /** Each becomes an endpoint label `tag_<tag>`: "1" when the instance carries it, else "0"; sorted. */
  subsetTags?: string[];
  /** Datacenters to query; absent: the agent's own. Sorted. */
  dataCenters?: string[];
  /** Read from the leader only (`consistent`) or from any server (`stale`); absent: Consul's default mode. */
  consistency?: 'consistent' | 'stale';
  /** For instances registered without a port (the Service backendRef's port). */
  port?: number;
}

/** Running EC2 instances matching every filter. */
export interface Ec2SourceIr {
  region: string;
  /** A tag key that must be present, or a tag key with a required value; sorted by key then value. */
  filters: { key: string; value?: string }[];
  port: number;
  /** Connect to the public IP (instances without one are left out); default the private IP. */
  publicIp?: true;
  /**
   * The Secret holding the credentials; absent: the standard AWS chain. Only the reference: discovery reads
   * the values from the store when it polls, so they never appear in the IR.
   */
  secretRef?: SecretRefIr;
}

/** A Secret by namespace and name. */
export interface SecretRefIr {
  namespace: string;
  name: string;
}
