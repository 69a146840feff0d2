// Prometheus metrics of the rate-limit service, read at scrape time from the running totals the limiter,
// server and Redis counter keep (the hot path only increments plain numbers).
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { AdminHandlers } from '../lib/admin-http.ts';
import { registerBuildInfo } from '../lib/build-info-metric.ts';
import type { LimiterStats } from './limiter.ts';

export interface RateLimitMetricSources {
  stats: LimiterStats;
  failedOpen(): number;
  failedClosed(): number;
  redisErrors(): number;
  redisUp(): boolean;
}

export function rateLimitMetrics(src: RateLimitMetricSources): NonNullable<AdminHandlers['metrics']> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'portico_ratelimit_' });
  registerBuildInfo(registry);
  const total = (name: string, help: string, read: () => number) =>
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(read()); } });
  total('portico_ratelimit_decisions_total', 'ShouldRateLimit calls answered', () => src.stats.decisions);
  total('portico_ratelimit_over_limit_total', 'descriptors over their limit (denied)', () => src.stats.overLimit);
  total('portico_ratelimit_shadow_over_limit_total', 'descriptors over a shadow-mode limit (reported, not denied)', () => src.stats.shadowOverLimit);
  total('portico_ratelimit_local_cache_hits_total', 'descriptors denied from the local over-limit cache, without Redis', () => src.stats.cacheHits);
  total('portico_ratelimit_redis_errors_total', 'Redis commands that failed', src.redisErrors);
  total('portico_ratelimit_failed_open_total', 'decisions allowed because Redis could not count', src.failedOpen);
  total('portico_ratelimit_failed_closed_total', 'decisions refused (UNAVAILABLE) because Redis could not count', src.failedClosed);
  new Gauge({ name: 'portico_ratelimit_redis_up', help: '1 while connected to Redis', registers: [registry], collect() { this.set(Number(src.redisUp())); } });
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}
