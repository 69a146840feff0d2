import { Command, Option } from 'commander';
import { Controller } from '../app/controller.ts';
import { parseHostPort } from '../lib/address.ts';
import { discoveryFrom, discoveryOptions } from './discovery-options.ts';
import { adminAddressOption, isLoopback, loggerFrom, logOptions, xdsAddressOption, xdsSecurityFrom, xdsSecurityOptions } from './options.ts';
import { runUntilSignal } from './signals.ts';

export function controllerCommand(): Command {
  const cmd = new Command('controller')
    .description('run the control plane: watch resources, serve Envoy config over ADS, write statuses')
    .addOption(new Option('--config-dir <dir>', 'folder of resource YAML files (watched, any depth)').makeOptionMandatory().env('PORTICO_CONFIG_DIR'))
    .addOption(new Option('--status-dir <dir>', 'where statuses are written (default <config-dir>/.status)').env('PORTICO_STATUS_DIR'))
    .addOption(new Option('--secrets-dir <dir>', 'TLS Secrets as <dir>/<namespace>/<name>/tls.crt + tls.key, watched (default <config-dir>/.secrets)').env('PORTICO_SECRETS_DIR'))
    .addOption(xdsAddressOption('127.0.0.1:18000'))
    .addOption(adminAddressOption('127.0.0.1:19000'));
  for (const o of [...xdsSecurityOptions(), ...discoveryOptions(), ...logOptions()]) cmd.addOption(o);
  return cmd.action(async (opts) => {
    const logger = loggerFrom(opts);
    // Flags are checked and files read before anything listens: a typo fails at once, with one line.
    const xds = parseHostPort(opts.xdsAddress, '--xds-address');
    const security = xdsSecurityFrom(opts);
    const discovery = discoveryFrom(opts);
    if (!isLoopback(xds.host) && !security.xdsTls) {
      logger.warn({ xdsAddress: opts.xdsAddress }, 'xDS is served in plaintext beyond loopback: anyone who can reach it can read the config (and any token); set --xds-tls-cert/--xds-tls-key');
    }
    const controller = new Controller({ configDir: opts.configDir, statusDir: opts.statusDir, secretsDir: opts.secretsDir, xdsAddress: opts.xdsAddress, adminAddress: opts.adminAddress, ...security, ...(discovery && { discovery }), logger });
    await runUntilSignal(logger, async () => {
      await controller.start();
      return () => controller.stop();
    });
  });
}
