// The RateLimitService gRPC server Envoy calls (ShouldRateLimit), on TCP or a Unix socket. When Redis cannot
// count, a domain fails open (every descriptor OK, counted in a metric, logged once per outage) unless it is
// configured to fail closed: then the call fails with UNAVAILABLE and Envoy's failure_mode_deny denies.
import * as grpc from '@grpc/grpc-js';
import { RateLimitError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { Decision, LimitRequest, Limiter } from './limiter.ts';
import { rateLimitService } from './rls.ts';

export interface RateLimitServerOptions {
  limiter: Limiter;
  logger: Logger;
}

export class RateLimitServer {
  // Channelz bookkeeping (per-call counters and timestamps nobody reads here) costs about a quarter of the
  // service's CPU per decision.
  readonly #server = new grpc.Server({ 'grpc.enable_channelz': 0 });
  readonly #limiter: Limiter;
  readonly #log: Logger;
  /** Decisions answered OK because Redis could not count, for the metrics. */
  failedOpen = 0;
  failedClosed = 0;
  #failing = false;

  constructor(opts: RateLimitServerOptions) {
    this.#limiter = opts.limiter;
    this.#log = opts.logger;
    this.#server.addService(rateLimitService, {
      ShouldRateLimit: (call: grpc.ServerUnaryCall<LimitRequest, Decision>, callback: grpc.sendUnaryData<Decision>) => {
        this.#limiter.decide(call.request).then(
          (decision) => {
            this.#failing = false;
            callback(null, decision);
          },
          (err: unknown) => this.#failed(call.request, err, callback),
        );
      },
    });
  }

  /** `host:port` (port 0: any free one) or `unix:/path`; resolves to the port bound (0 for a socket). */
  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) reject(new RateLimitError(`cannot listen on ${address}: ${err.message}`, { cause: err }));
        else resolve(port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#server.forceShutdown(), 2000);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #failed(req: LimitRequest, err: unknown, callback: grpc.sendUnaryData<Decision>): void {
    if (!(err instanceof RateLimitError)) {
      this.#log.error({ err }, 'rate limit decision failed');
      return callback({ code: grpc.status.INTERNAL, details: 'rate limit decision failed' });
    }
    const deny = this.#limiter.domain(req.domain)?.failureModeDeny ?? false;
    if (!this.#failing) this.#log.warn({ err: err.message, domain: req.domain }, deny ? 'cannot count: failing closed (UNAVAILABLE; Envoy denies)' : 'cannot count: failing open (every request allowed)');
    this.#failing = true;
    if (deny) {
      this.failedClosed++;
      return callback({ code: grpc.status.UNAVAILABLE, details: err.message });
    }
    this.failedOpen++;
    callback(null, { code: 'OK', statuses: req.descriptors.map(() => ({ code: 'OK', remaining: 0, resetSeconds: 0 })) });
  }
}
