import { Command, Option } from 'commander';
import { Controller } from '../app/controller.ts';
import { readConfigFile, resolveConfig, type ConfigFile, type PorticoConfig } from '../app/config.ts';
import { parseHostPort } from '../lib/address.ts';
import { consulOptions, consulOverrides } from './consul-options.ts';
import { discoveryFrom, discoveryOptions } from './discovery-options.ts';
import { adminAddressOption, isLoopback, loggerFrom, logOptions, securityFrom, securityOptions, xdsAddressOption, type EndpointSecurity } from './options.ts';
import { runUntilSignal } from './signals.ts';
import { vaultOptions, vaultOverrides } from './vault-options.ts';
import { vaultOptionsFrom } from '../app/vault.ts';
import type { Logger } from '../lib/logger.ts';

export function controllerCommand(): Command {
  const cmd = new Command('controller')
    .description('run the control plane: watch resources, serve Envoy config over ADS, write statuses')
    .addOption(new Option('--config <file>', 'controller config file (portico.yaml; see README); flags and PORTICO_* variables override it').env('PORTICO_CONFIG'))
    .addOption(new Option('--config-dir <dir>', 'folder of resource YAML files (watched, any depth): sources.directory.path').env('PORTICO_CONFIG_DIR'))
    .addOption(new Option('--status-dir <dir>', 'where statuses are written (default <config-dir>/.status)').env('PORTICO_STATUS_DIR'))
    .addOption(new Option('--secrets-dir <dir>', 'Secrets as <dir>/<namespace>/<name>/<key> (tls.crt + tls.key, htpasswd, api-key, …), watched (default <config-dir>/.secrets)').env('PORTICO_SECRETS_DIR'))
    .addOption(new Option('--ratelimit-address <host:port|unix:path>', 'turn rate limiting on: where `portico ratelimit` listens (rateLimit.address; the rest of the rateLimit block stays in the config file)').env('PORTICO_RATELIMIT_ADDRESS'))
    .addOption(new Option('--ext-auth-address <unix:/path|host:port>', "where Envoy reaches 'portico extauth' (extAuth.address)").env('PORTICO_EXT_AUTH_ADDRESS'))
    .addOption(xdsAddressOption('127.0.0.1:18000'))
    .addOption(adminAddressOption('127.0.0.1:19000'));
  for (const o of [...consulOptions(), ...securityOptions('xds'), ...securityOptions('admin'), ...discoveryOptions(), ...vaultOptions(), ...logOptions()]) cmd.addOption(o);
  return cmd.action(async (opts, command: Command) => {
    const logger = loggerFrom(opts);
    // The file, then what flags and PORTICO_* variables set explicitly (their defaults do not override it).
    const given = (name: string) => (['cli', 'env'].includes(command.getOptionValueSource(name) ?? '') ? (opts[name] as string) : undefined);
    const config = resolveConfig(opts.config ? readConfigFile(opts.config) : {}, overridesFrom(given));
    // Flags are checked and files read before anything listens: a typo fails at once, with one line.
    const xdsAddress = config.xdsAddress ?? opts.xdsAddress;
    const adminAddress = config.adminAddress ?? opts.adminAddress;
    const xdsSecurity = securityFrom('xds', opts);
    const adminSecurity = securityFrom('admin', opts);
    const discovery = discoveryFrom({ discovery: given('discovery'), consulWait: given('consulWait'), ec2Endpoint: given('ec2Endpoint'), ec2Interval: given('ec2Interval') }, config.discovery, config.consul);
    warnIfExposed(logger, 'xds', xdsAddress, xdsSecurity);
    if (adminAddress !== 'off') warnIfExposed(logger, 'admin', adminAddress, adminSecurity);
    const controller = new Controller({
      ...controllerOptions(config),
      xdsAddress,
      adminAddress,
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

function overridesFrom(given: (name: string) => string | undefined): ConfigFile {
  const dir = { path: given('configDir'), statusDir: given('statusDir'), secretsDir: given('secretsDir') };
  const { consul, consulKv } = consulOverrides(given);
  const rateLimitAddress = given('ratelimitAddress');
  const vault = vaultOverrides(given);
  return {
    xdsAddress: given('xdsAddress'),
    adminAddress: given('adminAddress'),
    ...(rateLimitAddress && { rateLimit: { address: rateLimitAddress } }),
    ...(given('extAuthAddress') && { extAuth: { address: given('extAuthAddress') as string } }),
    sources: { ...(Object.values(dir).some(Boolean) && { directory: dir }), ...(consulKv && { consulKv }) },
    consul,
    ...(vault && { secrets: { vault } }),
  };
}

function controllerOptions(c: PorticoConfig) {
  const dir = c.sources.directory;
  return {
    ...(dir && { configDir: dir.path, statusDir: dir.statusDir, secretsDir: dir.secretsDir }),
    ...(c.sources.consulKv && { consulKv: c.sources.consulKv, consul: c.consul, leaderElection: c.leaderElection }),
    ...(c.controllerName && { controllerName: c.controllerName }),
    ...(c.rateLimit && { rateLimit: c.rateLimit }),
    ...(c.secrets?.vault && { vault: vaultOptionsFrom(c.secrets.vault) }),
    ...(c.extAuth && { extAuthAddress: c.extAuth.address, extAuthTransport: { ...(c.extAuth.tls && { tls: c.extAuth.tls }), ...(c.extAuth.token && { token: c.extAuth.token }) } }),
  };
}
