// A client of the RateLimitService (ShouldRateLimit), as Envoy calls it: for the rate-limit tests and the bench.
import * as grpc from '@grpc/grpc-js';
import type { LimitRequest } from '../../src/ratelimit/limiter.ts';
import { rateLimitService, type WireDecision } from '../../src/ratelimit/rls.ts';

type Rls = grpc.Client & {
  ShouldRateLimit(req: LimitRequest, cb: (err: grpc.ServiceError | null, res?: WireDecision) => void): void;
};

const Client = grpc.makeGenericClientConstructor(rateLimitService, 'RateLimitService');

export interface RlsClient {
  ask(req: LimitRequest): Promise<WireDecision>;
  /** `generic_key=value` entries in one descriptor, in the domain given. */
  askKeys(domain: string, ...entries: [string, string][]): Promise<WireDecision>;
  close(): void;
}

/** `host:port` or `unix:/path`. */
export function rlsClient(address: string): RlsClient {
  const client = new Client(address, grpc.credentials.createInsecure()) as unknown as Rls;
  const ask = (req: LimitRequest) =>
    new Promise<WireDecision>((resolve, reject) => client.ShouldRateLimit(req, (err, res) => (err ? reject(err) : resolve(res as WireDecision))));
  return {
    ask,
    askKeys: (domain, ...entries) => ask({ domain, descriptors: [{ entries: entries.map(([key, value]) => ({ key, value })) }] }),
    close: () => client.close(),
  };
}

export const OK = 1;
export const OVER_LIMIT = 2;
