// Prometheus metrics of the controller, read at scrape time from the same handlers the admin endpoint's
// /healthz, /readyz and /debug/* use, plus Node's process metrics. One registry per controller, so several
// controllers in one process (tests) do not collide.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { SecretIr } from '../ir/types.ts';
import { notAfterOf } from '../lib/certificates.ts';
import { registerBuildInfo } from '../lib/build-info-metric.ts';
import type { AdminHandlers } from '../lib/admin-http.ts';

export interface MetricsSources {
  /** Components that are degraded (Consul unreachable, a status target failing…). */
  degraded(): string[];
  ready(): boolean;
  proxies(): number;
  configVersion(): number;
  problems(): number;
  /** The certificates served by SDS now (listener certificates, upstream client certificates). */
  certificates(): SecretIr[];
}

export function controllerMetrics(src: MetricsSources): NonNullable<AdminHandlers['metrics']> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'portico_' });
  registerBuildInfo(registry);
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  gauge('portico_degraded_components', 'components currently degraded (e.g. Consul unreachable); the last good config keeps serving', () => src.degraded().length);
  gauge('portico_ready', '1 once the first configuration has been translated', () => Number(src.ready()));
  gauge('portico_xds_connected_proxies', 'Envoy ADS streams connected now', src.proxies);
  gauge('portico_config_version', 'version of the last store snapshot translated', src.configVersion);
  gauge('portico_config_problems', 'problems found in the resources (see /debug/problems)', src.problems);
  new Gauge({
    name: 'portico_certificate_expiry_timestamp_seconds',
    help: 'when each certificate served by SDS expires (Unix time): alert well before it, e.g. while Vault is away',
    labelNames: ['secret'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of new Map(src.certificates().map((c) => [c.name, c])).values()) {
        const notAfter = notAfterOf(s.certificateChain);
        if (notAfter !== undefined) this.set({ secret: s.name }, notAfter / 1000);
      }
    },
  });
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}
