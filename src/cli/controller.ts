import { Command, Option } from 'commander';
import { Controller } from '../app/controller.ts';
import { parseHostPort } from '../lib/address.ts';
import { discoveryFrom, discoveryOptions } from './discovery-options.ts';
import { adminAddressOption, isLoopback, loggerFrom, logOptions, securityFrom, securityOptions, xdsAddressOption, type EndpointSecurity } from './options.ts';
import { runUntilSignal } from './signals.ts';
import type { Logger } from '../lib/logger.ts';

export function controllerCommand(): Command {
  const cmd = new Command('controller')
    .description('run the control plane: watch resources, serve Envoy config over ADS, write statuses')
    .addOption(new Option('--config-dir <dir>', 'folder of resource YAML files (watched, any depth)').makeOptionMandatory().env('PORTICO_CONFIG_DIR'))
    .addOption(new Option('--status-dir <dir>', 'where statuses are written (default <config-dir>/.status)').env('PORTICO_STATUS_DIR'))
    .addOption(new Option('--secrets-dir <dir>', 'TLS Secrets as <dir>/<namespace>/<name>/tls.crt + tls.key, watched (default <config-dir>/.secrets)').env('PORTICO_SECRETS_DIR'))
    .addOption(xdsAddressOption('127.0.0.1:18000'))
    .addOption(adminAddressOption('127.0.0.1:19000'));
  for (const o of [...securityOptions('xds'), ...securityOptions('admin'), ...discoveryOptions(), ...logOptions()]) cmd.addOption(o);
  return cmd.action(async (opts) => {
    const logger = loggerFrom(opts);
    // Flags are checked and files read before anything listens: a typo fails at once, with one line.
    const xdsSecurity = securityFrom('xds', opts);
    const adminSecurity = securityFrom('admin', opts);
    const discovery = discoveryFrom(opts);
    warnIfExposed(logger, 'xds', opts.xdsAddress, xdsSecurity);
    if (opts.adminAddress !== 'off') warnIfExposed(logger, 'admin', opts.adminAddress, adminSecurity);
    const controller = new Controller({
      configDir: opts.configDir,
      statusDir: opts.statusDir,
      secretsDir: opts.secretsDir,
      xdsAddress: opts.xdsAddress,
      adminAddress: opts.adminAddress,
      ...(xdsSecurity.tls && { xdsTls: xdsSecurity.tls }),
      ...(xdsSecurity.token && { xdsToken: xdsSecurity.token }),
      adminSecurity,
      ...(discovery && { discovery }),
      logger,
    });
    await runUntilSignal(logger, async () => {
      await controller.start();
      return () => controller.stop();
    });
  });
}

/** Plaintext beyond loopback lets anyone who can reach the endpoint read what it serves (and any token). */
function warnIfExposed(logger: Logger, endpoint: 'xds' | 'admin', address: string, security: EndpointSecurity): void {
  const { host } = parseHostPort(address, `--${endpoint}-address`);
  if (isLoopback(host) || security.tls) return;
  logger.warn({ [`${endpoint}Address`]: address }, `${endpoint} is served in plaintext beyond loopback: anyone who can reach it can read what it serves (and any token); set --${endpoint}-tls-cert/--${endpoint}-tls-key`);
}
