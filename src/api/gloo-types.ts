// Spec types of the Gloo-style extension kinds (gloo.solo.io/v1), shaped like Gloo's YAML so that
// existing Gloo Edge configs carry over. Durations are protobuf JSON strings (`5s`, `0.25s`).

export interface UpstreamSpec {
  static?: {
    hosts: { addr: string; port: number; sniAddr?: string }[];
    useTls?: boolean;
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

/** TLS from Envoy to the upstream. Certificates are files on the Envoy host (Gloo's `sslFiles`). */
export interface UpstreamSslConfig {
  sslFiles?: { tlsCert?: string; tlsKey?: string; rootCa?: string };
  sni?: string;
  verifySubjectAltName?: string[];
  alpnProtocols?: string[];
}

export interface UpstreamGroupSpec {
  destinations: WeightedDestination[];
}

export interface WeightedDestination {
  destination: { upstream: { name: string; namespace?: string } };
  /** Gloo's default is 0: no traffic. */
  weight?: number;
}
