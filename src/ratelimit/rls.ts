// Envoy's RateLimitService (envoy.service.ratelimit.v3) on the wire: the gRPC service definition with our own
// protobufjs (de)serialisers. This is the hot path, so it decodes and encodes with protobufjs directly rather
// than through xds/encode.ts, whose checks are for config we generate once: the response here always has the
// same fixed shape, built below.
import type { ServiceDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { envoyRoot } from '../xds/protos.ts';
import type { Decision, DescriptorStatus, LimitRequest } from './limiter.ts';

/** The method's path: what Envoy's gRPC client POSTs to. */
export const SHOULD_RATE_LIMIT = '/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit';

/** RateLimitResponse.Code and RateLimitResponse.RateLimit.Unit, as numbers. */
const CODE = { OK: 1, OVER_LIMIT: 2 } as const;
const UNIT = { second: 1, minute: 2, hour: 3, day: 4 } as const;

interface Types {
  request: protobuf.Type;
  response: protobuf.Type;
}

let types: Types | undefined;
function typesOf(): Types {
  types ??= {
    request: envoyRoot().lookupType('envoy.service.ratelimit.v3.RateLimitRequest'),
    response: envoyRoot().lookupType('envoy.service.ratelimit.v3.RateLimitResponse'),
  };
  return types;
}

interface WireRequest {
  domain: string;
  descriptors: { entries: { key: string; value: string }[] }[];
  hits_addend: number;
}

export function decodeRequest(bytes: Buffer): LimitRequest {
  const r = typesOf().request.decode(bytes) as unknown as WireRequest;
  return {
    domain: r.domain,
    descriptors: r.descriptors,
    hitsAddend: r.hits_addend,
  };
}

export function encodeRequest(req: LimitRequest): Buffer {
  const wire = {
    domain: req.domain,
    descriptors: req.descriptors,
    hits_addend: req.hitsAddend ?? 0,
  };
  return Buffer.from(typesOf().request.encode(wire).finish());
}

/** The response with Retry-After on a denial (Envoy adds response_headers_to_add to its 429). */
export function encodeDecision(d: Decision): Buffer {
  const response = {
    overall_code: CODE[d.code],
    statuses: d.statuses.map(statusOf),
    response_headers_to_add: d.retryAfterSeconds === undefined ? [] : [{ key: 'retry-after', value: String(d.retryAfterSeconds) }],
  };
  return Buffer.from(typesOf().response.encode(response).finish());
}

function statusOf(s: DescriptorStatus): Record<string, unknown> {
  if (!s.limit) return { code: CODE[s.code] };
  return {
    code: CODE[s.code],
    current_limit: { requests_per_unit: s.limit.requestsPerUnit, unit: UNIT[s.limit.unit] },
    limit_remaining: s.remaining,
    duration_until_reset: { seconds: s.resetSeconds, nanos: 0 },
  };
}

/** What a client (the bench, tests) reads back. */
export interface WireDecision {
  overall_code: number;
  statuses: { code: number; limit_remaining?: number }[];
  response_headers_to_add: { key: string; value: string }[];
}

export function decodeDecision(bytes: Buffer): WireDecision {
  return typesOf().response.toObject(typesOf().response.decode(bytes), { defaults: true }) as WireDecision;
}

/** For grpc-js clients (the tests'). */
export const rateLimitService: ServiceDefinition = {
  ShouldRateLimit: {
    path: SHOULD_RATE_LIMIT,
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeDecision,
    responseDeserialize: decodeDecision,
  },
};
