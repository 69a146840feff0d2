import { Command, Option } from 'commander';
import { Controller } from '../app/controller.ts';
import { readConfigFile, resolveConfig, type ConfigFile, type PorticoConfig } from '../app/config.ts';
import { consulOptions, consulOverrides } from './consul-options.ts';
import { discoveryFrom, discoveryOptions } from './discovery-options.ts';
import { adminAddressOption, adminSecurityFrom, adminSecurityOptions, guardExposure, loggerFrom, logOptions, xdsAddressOption, xdsSecurityFrom, xdsSecurityOptions, type XdsSecurity } from './options.ts';
import { runUntilSignal } from './signals.ts';
import { vaultOptions, vaultOverrides } from './vault-options.ts';
import { vaultOptionsFrom } from '../app/vault.ts';
import type { XdsTlsSource } from '../app/xds-certificate.ts';
import { TokenTable } from '../xds/server/identity.ts';
import { watchTokensFile } from './xds-tokens.ts';

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
  for (const o of [...consulOptions(), ...xdsSecurityOptions(), ...adminSecurityOptions(), ...discoveryOptions(), ...vaultOptions(), ...logOptions()]) cmd.addOption(o);
  return cmd.action(async (opts, command: Command) => {
    const logger = loggerFrom(opts);
    // The file, then what flags and PORTICO_* variables set explicitly (their defaults do not override it).
    const given = (name: string) => (['cli', 'env'].includes(command.getOptionValueSource(name) ?? '') ? (opts[name] as string) : undefined);
    const config = resolveConfig(opts.config ? readConfigFile(opts.config) : {}, overridesFrom(given));
    // Flags are checked and files read before anything listens: a typo fails at once, with one line.
    const xdsAddress = config.xdsAddress ?? opts.xdsAddress;
    const adminAddress = config.adminAddress ?? opts.adminAddress;
    const xdsSecurity = xdsSecurityFrom(opts);
    const adminSecurity = adminSecurityFrom(opts);
    const discovery = discoveryFrom({ discovery: given('discovery'), consulWait: given('consulWait'), ec2Endpoint: given('ec2Endpoint'), ec2Interval: given('ec2Interval') }, config.discovery, config.consul);
    const xdsTls = xdsTlsSource(xdsSecurity);
    const xdsClientAuth = Boolean(xdsSecurity.tokens || xdsSecurity.tls?.pems.ca || xdsSecurity.vault?.ca);
    guardExposure(command, logger, 'xds', xdsAddress, { tls: Boolean(xdsTls), clientAuth: xdsClientAuth });
    if (adminAddress !== 'off') guardExposure(command, logger, 'admin', adminAddress, { tls: Boolean(adminSecurity.tls), clientAuth: Boolean(adminSecurity.token || adminSecurity.tls?.ca) });
    const tokens = xdsSecurity.tokens && new TokenTable(xdsSecurity.tokens.entries);
    const controller = new Controller({
      ...controllerOptions(config),
      xdsAddress,
      adminAddress,
      ...(xdsTls && { xdsTls }),
      xdsTrustDomain: xdsSecurity.trustDomain,
      ...(tokens && { xdsTokens: tokens }),
      adminSecurity,
      ...(adminSecurity.files && { adminTlsFiles: adminSecurity.files }),
      ...(discovery && { discovery }),
      logger,
    });
    await runUntilSignal(logger, async () => {
      await controller.start();
      const stopTokens = tokens && xdsSecurity.tokens && watchTokensFile(xdsSecurity.tokens.file, tokens, logger.child({ component: 'ads' }));
      return () => {
        stopTokens?.();
        return controller.stop();
      };
    });
  });
}

function xdsTlsSource(x: XdsSecurity): XdsTlsSource | undefined {
  if (x.vault) return { vault: x.vault };
  return x.tls && { pems: x.tls.pems, files: x.tls.files };
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
