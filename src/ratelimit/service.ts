// `portico ratelimit`: the RLS gRPC server, counters in Redis, and its configuration either streamed by the
// controller (applied live; a bad one is NACKed and the last good one keeps serving) or read from a file.
// An admin endpoint reports health (Redis, the controller stream) and Prometheus metrics.
import { startAdmin, type AdminSecurity } from '../lib/admin-http.ts';
import { parseHostPort } from '../lib/address.ts';
import type { GrpcServing } from '../lib/grpc-unary-server.ts';
import type { Logger } from '../lib/logger.ts';
import type { ClientTls } from '../xds/client/credentials.ts';
import { ServiceConfigClient } from '../xds/client/service-config-client.ts';
import { SERVICE_NODE_KEYS } from '../contracts/service-config.ts';
import type { DomainConfig } from '../contracts/ratelimit.ts';
import { readConfigFile } from './config-file.ts';
import { domainsOf } from './items.ts';
import { Limiter } from './limiter.ts';
import { DomainMatcher } from './matcher.ts';
import { rateLimitMetrics } from './metrics.ts';
import { RedisCounter } from './redis-counter.ts';
import { RateLimitServer } from './server.ts';

export interface RateLimitServiceOptions {
  /** `host:port` or `unix:/path`. */
  listen: string;
  redisUrl: string;
  /** The controller's xDS address; exactly one of it and `configFile`. */
  xds?: { address: string; tls?: ClientTls & { serverName?: string }; token?: string; nodeId?: string };
  configFile?: string;
  /** The gRPC server's caps, TLS and token. */
  serving?: GrpcServing;
  /** `host:port`, or absent for none. */
  adminAddress?: string;
  /** TLS and a token for the admin endpoint's /debug/* and /metrics. */
  adminSecurity?: AdminSecurity;
  /** The local over-limit cache (default on). */
  localCache?: boolean;
  logger: Logger;
}

export interface RateLimitService {
  port: number;
  adminPort: number;
  limiter: Limiter;
  /** Resolves once a first configuration is applied. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export async function startRateLimitService(opts: RateLimitServiceOptions): Promise<RateLimitService> {
  const log = opts.logger;
  const counter = new RedisCounter({ url: opts.redisUrl, logger: log.child({ component: 'redis' }) });
  const limiter = new Limiter({ counter, localCache: opts.localCache ?? true });
  const apply = (domains: DomainConfig[]) => {
    limiter.configure(domains.map((d) => new DomainMatcher(d)));
    log.info({ domains: domains.map((d) => d.domain) }, 'rate limit configuration applied');
  };
  const stream = opts.xds && new ServiceConfigClient({ ...opts.xds, nodeKey: SERVICE_NODE_KEYS.ratelimit, logger: log, onConfig: (items) => apply(domainsOf(items)) });
  if (opts.configFile) apply([readConfigFile(opts.configFile)]);
  await counter.connect();
  const server = new RateLimitServer({ ...opts.serving, limiter, logger: log });
  const port = await server.listen(opts.listen);
  stream?.start();
  const admin = opts.adminAddress ? await startServiceAdmin(opts.adminAddress, opts.adminSecurity, { limiter, server, counter, stream, log }) : undefined;
  log.info({ listen: opts.listen, port, admin: admin?.port }, 'rate limit service listening');
  return {
    port,
    adminPort: admin?.port ?? 0,
    limiter,
    ready: () => stream?.ready() ?? Promise.resolve(),
    close: async () => {
      stream?.stop();
      await server.close();
      await admin?.close();
      await counter.close();
    },
  };
}

interface Parts {
  limiter: Limiter;
  server: RateLimitServer;
  counter: RedisCounter;
  stream: ServiceConfigClient | undefined;
  log: Logger;
}

function startServiceAdmin(address: string, security: AdminSecurity | undefined, p: Parts) {
  const { host, port } = parseHostPort(address, '--admin-address');
  const degraded = () => [...(p.counter.up ? [] : ['redis']), ...(p.stream && !p.stream.connected ? ['controller'] : [])];
  return startAdmin(host, port, {
    ready: () => !p.stream || p.stream.version !== '',
    degraded,
    debug: { stats: () => p.limiter.stats },
    onError: (err, path) => p.log.error({ path, error: (err as Error).message }, 'admin request failed'),
    metrics: rateLimitMetrics({
      stats: p.limiter.stats,
      failedOpen: () => p.server.failedOpen,
      failedClosed: () => p.server.failedClosed,
      redisErrors: () => p.counter.errors,
      redisUp: () => p.counter.up,
    }),
  }, security);
}
