import { Command, Option } from 'commander';
import { ConfigError } from '../lib/errors.ts';
import { startRateLimitService } from '../ratelimit/service.ts';
import { loggerFrom, logOptions, readTokenFile, securityFrom, securityOptions, xdsClientTls, xdsClientTlsOptions } from './options.ts';
import { listenSecurityFrom, listenSecurityOptions, warnIfPlaintext } from './service-security-options.ts';
import { runUntilSignal } from './signals.ts';

export function rateLimitCommand(): Command {
  const cmd = new Command('ratelimit')
    .description("run the rate-limit service Envoy calls (envoy.service.ratelimit.v3), counting in Redis, configured by the controller's stream or a file")
    .addOption(new Option('--listen <host:port|unix:path>', 'where the gRPC service listens').default('127.0.0.1:18081').env('PORTICO_RATELIMIT_LISTEN'))
    .addOption(new Option('--redis <url>', 'Redis: redis://[user:password@]host:port[/db] (rediss:// for TLS)').default('redis://127.0.0.1:6379').env('PORTICO_RATELIMIT_REDIS'))
    .addOption(new Option('--xds-address <host:port>', "the controller's xDS address, to stream the configuration from").env('PORTICO_XDS_ADDRESS'))
    .addOption(new Option('--xds-token-file <file>', "bearer token for the controller's xDS server").env('PORTICO_XDS_TOKEN_FILE'))
    .addOption(new Option('--config-file <file>', "instead of --xds-address: a static configuration in envoyproxy/ratelimit's YAML").env('PORTICO_RATELIMIT_CONFIG_FILE'))
    .addOption(new Option('--admin-address <host:port|off>', 'health, readiness and /metrics').default('127.0.0.1:19081').env('PORTICO_RATELIMIT_ADMIN_ADDRESS'))
    .addOption(new Option('--no-local-cache', 'ask Redis even for keys already over their limit in this window').env('PORTICO_RATELIMIT_NO_LOCAL_CACHE'));
  // Service-side names (PORTICO_RATELIMIT_XDS_TLS_*), as extauth's: the controller's PORTICO_XDS_TLS_* name its own certificate.
  // The controller's admin flags, with this service's variables (PORTICO_RATELIMIT_ADMIN_*, as its --admin-address).
  const adminSecurityOptions = securityOptions('admin').map((o) => o.env(`PORTICO_RATELIMIT_${o.envVar?.slice('PORTICO_'.length)}`));
  for (const o of [...xdsClientTlsOptions('the service', 'PORTICO_RATELIMIT'), ...listenSecurityOptions('PORTICO_RATELIMIT'), ...adminSecurityOptions, ...logOptions()]) cmd.addOption(o);
  return cmd.action(async (opts) => {
    const logger = loggerFrom(opts);
    if (Boolean(opts.xdsAddress) === Boolean(opts.configFile)) throw new ConfigError('give exactly one of --xds-address and --config-file');
    const tls = xdsClientTls(opts);
    const xds = opts.xdsAddress && {
      address: opts.xdsAddress as string,
      ...(opts.xdsTokenFile && { token: readTokenFile(opts.xdsTokenFile, '--xds-token-file') }),
      ...(tls && { tls }),
    };
    const serving = listenSecurityFrom(opts);
    warnIfPlaintext(logger, opts.listen, serving);
    const adminSecurity = securityFrom('admin', opts);
    await runUntilSignal(logger, async () => {
      const service = await startRateLimitService({
        listen: opts.listen,
        serving,
        adminSecurity,
        redisUrl: opts.redis,
        ...(xds && { xds }),
        ...(opts.configFile && { configFile: opts.configFile }),
        ...(opts.adminAddress !== 'off' && { adminAddress: opts.adminAddress }),
        localCache: opts.localCache,
        logger,
      });
      return () => service.close();
    });
  });
}
