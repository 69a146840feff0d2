import { Command, Option } from 'commander';
import { ConfigError } from '../lib/errors.ts';
import { startRateLimitService } from '../ratelimit/service.ts';
import { adminSecurityFrom, adminTlsTokenOptions, allowInsecureOption, guardExposure, loggerFrom, logOptions, readTokenFile, xdsClientTls, xdsClientTlsOptions, xdsClientTokenOption } from './options.ts';
import { listenClientAuth, listenSecurityFrom, listenSecurityOptions } from './service-security-options.ts';
import { runUntilSignal } from './signals.ts';

export function rateLimitCommand(): Command {
  const cmd = new Command('ratelimit')
    .description("run the rate-limit service Envoy calls (envoy.service.ratelimit.v3), counting in Redis, configured by the controller's stream or a file")
    .addOption(new Option('--listen <host:port|unix:path>', 'where the gRPC service listens').default('127.0.0.1:18081').env('PORTICO_RATELIMIT_LISTEN'))
    .addOption(new Option('--redis <url>', 'Redis: redis://[user:password@]host:port[/db] (rediss:// for TLS)').default('redis://127.0.0.1:6379').env('PORTICO_RATELIMIT_REDIS'))
    .addOption(new Option('--xds-address <host:port>', "the controller's xDS address, to stream the configuration from").env('PORTICO_XDS_ADDRESS'))
    .addOption(xdsClientTokenOption('service/ratelimit'))
    .addOption(new Option('--config-file <file>', "instead of --xds-address: a static configuration in envoyproxy/ratelimit's YAML").env('PORTICO_RATELIMIT_CONFIG_FILE'))
    .addOption(new Option('--admin-address <host:port|off>', 'health, readiness and /metrics').default('127.0.0.1:19081').env('PORTICO_RATELIMIT_ADMIN_ADDRESS'))
    .addOption(new Option('--no-local-cache', 'ask Redis even for keys already over their limit in this window').env('PORTICO_RATELIMIT_NO_LOCAL_CACHE'));
  // The controller's admin flags, with this service's variables (PORTICO_RATELIMIT_ADMIN_*, as its --admin-address).
  const adminSecurityOptions = adminTlsTokenOptions().map((o) => o.env(`PORTICO_RATELIMIT_${o.envVar?.slice('PORTICO_'.length)}`));
  // Service-side names (PORTICO_RATELIMIT_XDS_TLS_*), as extauth's: the controller's PORTICO_XDS_TLS_* name its own certificate.
  const xdsOptions = xdsClientTlsOptions('the service', 'PORTICO_RATELIMIT');
  for (const o of [...xdsOptions, ...listenSecurityOptions('PORTICO_RATELIMIT'), ...adminSecurityOptions, allowInsecureOption('admin', 'PORTICO_RATELIMIT'), ...logOptions()]) cmd.addOption(o);
  return cmd.action(async (opts, command: Command) => {
    const logger = loggerFrom(opts);
    if (Boolean(opts.xdsAddress) === Boolean(opts.configFile)) throw new ConfigError('give exactly one of --xds-address and --config-file');
    const tls = xdsClientTls(opts);
    const xds = opts.xdsAddress && {
      address: opts.xdsAddress as string,
      ...(opts.xdsTokenFile && { token: readTokenFile(opts.xdsTokenFile, '--xds-token-file') }),
      ...(tls && { tls }),
    };
    const serving = listenSecurityFrom(opts);
    guardExposure(command, logger, 'listen', opts.listen, { tls: Boolean(serving.security?.tls), clientAuth: listenClientAuth(serving) }, 'PORTICO_RATELIMIT');
    const adminSecurity = adminSecurityFrom(opts);
    if (opts.adminAddress !== 'off') guardExposure(command, logger, 'admin', opts.adminAddress, { tls: Boolean(adminSecurity.tls), clientAuth: Boolean(adminSecurity.token || adminSecurity.tls?.ca) }, 'PORTICO_RATELIMIT');
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
