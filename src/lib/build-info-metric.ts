// The build-info metric every Portico process with a metrics registry exposes (the controller, the rate-limit
// service), so it lives here rather than in either.
import { Gauge, type Registry } from 'prom-client';
import { buildInfo } from './version.ts';

/**
 * `portico_build_info{version,commit,node} 1`, the usual Prometheus idiom: which build each process runs, to
 * join on in queries and to see a rolling upgrade progress. The rate-limit service's registry has it too.
 */
export function registerBuildInfo(registry: Registry): void {
  const info = buildInfo();
  new Gauge({ name: 'portico_build_info', help: 'the Portico build this process runs (always 1)', labelNames: ['version', 'commit', 'node'], registers: [registry] }).set(
    { version: info.version, commit: info.commit, node: info.node },
    1,
  );
}
