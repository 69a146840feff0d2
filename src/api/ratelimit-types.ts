// Spec types of Gloo's RateLimitConfig (ratelimit.solo.io/v1alpha1) and of the rate-limit options of RouteOption
// and VirtualHostOption, shaped like Gloo's YAML so that existing configs carry over.

export type RateLimitUnit = 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY';

export interface RateLimitSpec {
  requestsPerUnit: number;
  unit: RateLimitUnit;
}

/** A node of the server's descriptor tree (envoyproxy/ratelimit's `descriptors`). */
export interface RateLimitDescriptor {
  key: string;
  /** Absent: a counter per value the request carries. */
  value?: string;
  rateLimit?: RateLimitSpec;
  descriptors?: RateLimitDescriptor[];
  weight?: number;
  alwaysApply?: boolean;
  /** Portico (and envoyproxy/ratelimit's shadow_mode): count and report, never deny. */
  shadowMode?: boolean;
}

export interface SetDescriptor {
  simpleDescriptors: { key: string; value?: string }[];
  rateLimit: RateLimitSpec;
  alwaysApply?: boolean;
  shadowMode?: boolean;
}

export interface HeaderMatcherSpec {
  name: string;
  exactMatch?: string;
  regexMatch?: string;
  rangeMatch?: { start: number; end: number };
  presentMatch?: boolean;
  prefixMatch?: string;
  suffixMatch?: string;
  invertMatch?: boolean;
}

/** Exactly one member is set: how Envoy builds one entry of a descriptor from the request. */
export interface RateLimitActionSpec {
  sourceCluster?: Record<string, never>;
  destinationCluster?: Record<string, never>;
  requestHeaders?: { headerName: string; descriptorKey: string };
  remoteAddress?: Record<string, never>;
  genericKey?: { descriptorValue: string };
  headerValueMatch?: { descriptorValue: string; expectMatch?: boolean; headers: HeaderMatcherSpec[] };
  metadata?: {
    descriptorKey: string;
    metadataKey: { key: string; path: { key: string }[] };
    defaultValue?: string;
    source?: 'DYNAMIC' | 'ROUTE_ENTRY';
  };
}

/** Exactly one of actions (descriptor-style) and setActions (set-style). */
export interface RateLimitActions {
  actions?: RateLimitActionSpec[];
  setActions?: RateLimitActionSpec[];
}

export interface RateLimitConfigSpec {
  raw: {
    descriptors?: RateLimitDescriptor[];
    setDescriptors?: SetDescriptor[];
    rateLimits: RateLimitActions[];
  };
}

/** `options.rateLimitConfigs` of a RouteOption or VirtualHostOption. */
export interface RateLimitConfigRefs {
  refs: { name: string; namespace?: string }[];
}

/** `options.ratelimitBasic`: per client address without a user id, per user id with one. */
export interface RateLimitBasic {
  anonymousLimits?: RateLimitSpec;
  authorizedLimits?: RateLimitSpec;
}
