import { Command, Option } from 'commander';
import { Up } from '../app/up.ts';
import { parseHostPort } from '../lib/address.ts';
import { adminAddressOption, allowInsecureOption, guardExposure, loggerFrom, logOptions, xdsAddressOption } from './options.ts';
import { runUntilSignal } from './signals.ts';

export function upCommand(): Command {
  const cmd = new Command('up')
    .description('all-in-one: the controller, one real Envoy per Gateway, and (with --echo) the echo upstream')
    .argument('[dir]', 'folder of resource YAML files', 'examples/quickstart')
    .addOption(new Option('--echo <host:port>', 'also run the echo upstream there').env('PORTICO_ECHO'))
    .addOption(xdsAddressOption('127.0.0.1:18000'))
    .addOption(adminAddressOption('127.0.0.1:19000'));
  // `up` has no TLS or client identities: beyond loopback only with the explicit opt-outs, as the controller.
  for (const o of [allowInsecureOption('xds'), allowInsecureOption('admin'), ...logOptions()]) cmd.addOption(o);
  return cmd.action(async (dir: string, opts, command: Command) => {
    const logger = loggerFrom(opts);
    const insecure = { tls: false, clientAuth: false };
    guardExposure(command, logger, 'xds', opts.xdsAddress, insecure);
    if (opts.adminAddress !== 'off') guardExposure(command, logger, 'admin', opts.adminAddress, insecure);
    const up = new Up({
      configDir: dir,
      xdsAddress: opts.xdsAddress,
      adminAddress: opts.adminAddress,
      ...(opts.echo ? { echo: parseHostPort(opts.echo, '--echo') } : {}),
      logger,
    });
    await runUntilSignal(logger, async () => {
      await up.start();
      return () => up.stop();
    });
  });
}
