// The RateLimitService gRPC server Envoy calls (ShouldRateLimit), on TCP or a Unix socket. When Redis cannot
// count, a domain fails open (every descriptor OK, counted in a metric, logged once per outage) unless it is
// configured to fail closed: then the call fails with UNAVAILABLE and Envoy's failure_mode_deny denies.
import { RateLimitError } from '../lib/errors.ts';
import { GrpcStatus, GrpcStatusError, UnaryGrpcServer, type GrpcServing } from '../lib/grpc-unary-server.ts';
import type { Logger } from '../lib/logger.ts';
import type { Decision, LimitRequest, Limiter } from './limiter.ts';
import { decodeRequest, encodeDecision, SHOULD_RATE_LIMIT } from './rls.ts';

export interface RateLimitServerOptions extends GrpcServing {
  limiter: Limiter;
  logger: Logger;
}

export class RateLimitServer {
  readonly #server: UnaryGrpcServer;
  readonly #limiter: Limiter;
  readonly #log: Logger;
  /** Decisions answered OK because Redis could not count, for the metrics. */
  failedOpen = 0;
  failedClosed = 0;
  #failing = false;

  constructor(opts: RateLimitServerOptions) {
    this.#limiter = opts.limiter;
    this.#log = opts.logger;
    this.#server = new UnaryGrpcServer({
      ...(opts.limits && { limits: opts.limits }),
      ...(opts.security && { security: opts.security }),
      methods: { [SHOULD_RATE_LIMIT]: (bytes) => this.#shouldRateLimit(decoded(bytes)) },
      onError: (err) => this.#log.error({ err }, 'rate limit decision failed'),
    });
  }

  /** `host:port` (port 0: any free one) or `unix:/path`; resolves to the port bound (0 for a socket). */
  listen(address: string): Promise<number> {
    return this.#server.listen(address);
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  #shouldRateLimit(req: LimitRequest): Promise<Buffer> {
    return this.#limiter.decide(req).then(
      (decision) => {
        this.#failing = false;
        return encodeDecision(decision);
      },
      (err: unknown) => encodeDecision(this.#failed(req, err)),
    );
  }

  /** The answer when Redis could not count: OK for every descriptor (fail open), or a thrown UNAVAILABLE. */
  #failed(req: LimitRequest, err: unknown): Decision {
    if (!(err instanceof RateLimitError)) throw err;
    const deny = this.#limiter.domain(req.domain)?.failureModeDeny ?? false;
    if (!this.#failing) this.#log.warn({ err: err.message, domain: req.domain }, deny ? 'cannot count: failing closed (UNAVAILABLE; Envoy denies)' : 'cannot count: failing open (every request allowed)');
    this.#failing = true;
    if (deny) {
      this.failedClosed++;
      throw new GrpcStatusError(GrpcStatus.UNAVAILABLE, err.message);
    }
    this.failedOpen++;
    return { code: 'OK', statuses: req.descriptors.map(() => ({ code: 'OK', remaining: 0, resetSeconds: 0 })) };
  }
}

/** A request that is no RateLimitRequest is the caller's mistake (INVALID_ARGUMENT), not a failure to log as ours. */
function decoded(bytes: Buffer): LimitRequest {
  try {
    return decodeRequest(bytes);
  } catch (err) {
    throw new GrpcStatusError(GrpcStatus.INVALID_ARGUMENT, `malformed RateLimitRequest: ${(err as Error).message}`);
  }
}
