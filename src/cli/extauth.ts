import { Command, Option } from 'commander';
import { ExtAuthService } from '../extauth/service.ts';
import { ServiceConfigClient } from '../xds/client/service-config-client.ts';
import { SERVICE_NODE_KEYS } from '../contracts/service-config.ts';
import { guardExposure, loggerFrom, logOptions, readTokenFile, xdsClientTls, xdsClientTlsOptions, xdsClientTokenOption } from './options.ts';
import { listenClientAuth, listenSecurityFrom, listenSecurityOptions } from './service-security-options.ts';
import { runUntilSignal } from './signals.ts';

export function extauthCommand(): Command {
  const cmd = new Command('extauth')
    .description("run the ext-auth service Envoy's ext_authz filter calls; its AuthConfigs come live from the controller")
    .addOption(new Option('--listen <unix:/path|host:port>', 'where Envoy reaches it: the controller\'s extAuth address').default('127.0.0.1:18100').env('PORTICO_EXTAUTH_LISTEN'))
    .addOption(new Option('--xds-address <host:port>', "the controller's ADS server, which streams the AuthConfigs").default('127.0.0.1:18000').env('PORTICO_XDS_ADDRESS'))
    .addOption(new Option('--node-id <id>', 'names this replica in the controller (default portico:extauth/<pid>)').env('PORTICO_NODE_ID'))
    .addOption(xdsClientTokenOption('service/extauth'));
  for (const o of [...xdsClientTlsOptions('the service', 'PORTICO_EXTAUTH'), ...listenSecurityOptions('PORTICO_EXTAUTH'), ...logOptions()]) cmd.addOption(o);
  return cmd.action(async (opts, command: Command) => {
    const logger = loggerFrom(opts);
    const tls = xdsClientTls(opts);
    const token = opts.xdsTokenFile ? readTokenFile(opts.xdsTokenFile, '--xds-token-file') : undefined;
    const serving = listenSecurityFrom(opts);
    guardExposure(command, logger, 'listen', opts.listen, { tls: Boolean(serving.security?.tls), clientAuth: listenClientAuth(serving) }, 'PORTICO_EXTAUTH');
    const service = new ExtAuthService(logger.child({ component: 'extauth' }), serving);
    const client = new ServiceConfigClient({
      address: opts.xdsAddress,
      nodeKey: SERVICE_NODE_KEYS.extauth,
      ...(opts.nodeId && { nodeId: opts.nodeId }),
      ...(tls && { tls }),
      ...(token !== undefined && { token }),
      logger,
      onConfig: (items) => service.apply(items),
    });
    await runUntilSignal(logger, async () => {
      // Until the first configuration arrives every check is denied (no AuthConfig is known): fail closed.
      await service.listen(opts.listen);
      client.start();
      return async () => {
        client.stop();
        await service.close();
      };
    });
  });
}
