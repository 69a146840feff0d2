// The controller's admin endpoint: /healthz, /readyz, /metrics and /debug/* read at request time from what
// the controller last applied, and its certificate files re-read when they change (as xDS's are).
import { redactSecrets } from '../ir/redact.ts';
import { parseHostPort } from '../lib/address.ts';
import { formatProblem } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { StoreSnapshot } from '../store/store.ts';
import type { ProxyStatus } from '../xds/server/ads.ts';
import { contextOptions, ServingCertificate, watchCertificateFiles, type CertificateFiles } from '../xds/server/serving-certificate.ts';
import { startAdmin, type AdminSecurity, type AdminServer } from '../lib/admin-http.ts';
import { controllerMetrics } from './metrics.ts';
import type { PipelineOutput } from './pipeline.ts';

/** What the admin endpoint reads from the running controller. */
export interface AdminView {
  /** The last store snapshot translated, and its output; undefined before the first. */
  last(): { snapshot: StoreSnapshot; output: PipelineOutput } | undefined;
  /** Why the controller is degraded (empty when all is well). */
  degraded(): string[];
  proxies(): ProxyStatus[];
}

export interface ControllerAdmin {
  port: number;
  close(): Promise<void>;
}

export async function startControllerAdmin(opts: { address: string; security?: AdminSecurity; tlsFiles?: CertificateFiles; view: AdminView; logger: Logger }): Promise<ControllerAdmin> {
  const { view, logger } = opts;
  const address = parseHostPort(opts.address, 'admin address');
  const ready = () => view.last() !== undefined;
  const output = () => view.last()?.output;
  const admin = await startAdmin(address.host, address.port, {
    ready,
    degraded: view.degraded,
    metrics: controllerMetrics({
      ready,
      degraded: view.degraded,
      proxies: () => view.proxies().length,
      configVersion: () => view.last()?.snapshot.version ?? 0,
      problems: () => output()?.problems.length ?? 0,
      certificates: () => output()?.ir.gateways.flatMap((g) => g.secrets ?? []) ?? [],
    }),
    debug: {
      proxies: view.proxies,
      statuses: () => output()?.statuses ?? [],
      problems: () => (output()?.problems ?? []).map(formatProblem),
      ir: () => {
        const ir = output()?.ir;
        return ir ? redactSecrets(ir) : {};
      },
    },
    onError: (err, path) => logger.error({ path, error: (err as Error).message }, 'admin request failed'),
  }, opts.security);
  const stopWatch = watchAdminCertificate(admin, opts.security, opts.tlsFiles, logger.child({ component: 'admin' }));
  return {
    port: admin.port,
    close: async () => {
      stopWatch();
      await admin.close();
    },
  };
}

/** The admin endpoint's certificate files, re-read when they change, as xDS's. */
function watchAdminCertificate(admin: AdminServer, security: AdminSecurity | undefined, files: CertificateFiles | undefined, logger: Logger): () => void {
  const tls = security?.tls;
  if (!tls || !files) return () => {};
  const serving = new ServingCertificate(tls, 'admin TLS');
  serving.onChange((pems) => admin.renew(contextOptions(pems)));
  return watchCertificateFiles(serving, files, logger);
}
