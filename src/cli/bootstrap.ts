import { Command, Option } from 'commander';
import { hostname } from 'node:os';
import { stringify } from 'yaml';
import { parseHostPort } from '../lib/address.ts';
import { ConfigError } from '../lib/errors.ts';
import { renderBootstrap, type BootstrapTls } from '../xds/bootstrap.ts';
import { isLoopback, readableFile, readTokenFile } from './options.ts';

export function bootstrapCommand(): Command {
  return new Command('bootstrap')
    .description("print the Envoy bootstrap YAML for one Gateway (node.cluster = '<namespace>/<name>')")
    .addOption(new Option('--gateway <namespace/name>', 'the Gateway this Envoy serves').makeOptionMandatory().env('PORTICO_GATEWAY'))
    .addOption(new Option('--xds-address <host:port,…>', "the controllers' ADS servers (several for HA: Envoy fails over)").default('127.0.0.1:18000').env('PORTICO_XDS_ADDRESS'))
    .addOption(new Option('--admin-port <port>', "Envoy's admin port (on 127.0.0.1)").default('19001').env('PORTICO_ENVOY_ADMIN_PORT'))
    .addOption(new Option('--node-id <id>', 'node id (default <gateway>/<hostname>)').env('PORTICO_NODE_ID'))
    // Envoy-side names (PORTICO_ENVOY_*): the controller's PORTICO_XDS_TLS_* name its own certificate and CA.
    .addOption(new Option('--xds-tls-ca <file>', "connect to the controller over TLS, trusting this CA (PEM) for its certificate").env('PORTICO_ENVOY_XDS_TLS_CA'))
    .addOption(new Option('--xds-tls-cert <file>', "client certificate Envoy presents, for a controller with --xds-tls-ca (PEM; needs --xds-tls-key)").env('PORTICO_ENVOY_XDS_TLS_CERT'))
    .addOption(new Option('--xds-tls-key <file>', 'private key of --xds-tls-cert (PEM)').env('PORTICO_ENVOY_XDS_TLS_KEY'))
    .addOption(new Option('--xds-tls-server-name <name>', "name the controller's certificate must carry; a DNS name is also sent as SNI (default: the --xds-address host)").env('PORTICO_ENVOY_XDS_TLS_SERVER_NAME'))
    .addOption(new Option('--xds-token-file <file>', "send 'authorization: Bearer <token>' with the token in this file (it is written into the bootstrap: keep the output private)").env('PORTICO_XDS_TOKEN_FILE'))
    .action((opts) => {
      if (!/^[a-z0-9-.]+\/[a-z0-9-.]+$/.test(opts.gateway)) throw new ConfigError(`--gateway: expected <namespace>/<name>, got '${opts.gateway}'`);
      const xds = String(opts.xdsAddress).split(',').map((a) => parseHostPort(a, '--xds-address'));
      const adminPort = Number(opts.adminPort);
      if (!/^\d+$/.test(opts.adminPort) || adminPort > 65535) throw new ConfigError(`--admin-port: expected 0-65535, got '${opts.adminPort}'`);
      const tls = tlsFrom(opts);
      const token = opts.xdsTokenFile ? readTokenFile(opts.xdsTokenFile, '--xds-token-file') : undefined;
      if (token !== undefined && !tls && !xds.every((a) => isLoopback(a.host))) {
        process.stderr.write(`portico: warning: without --xds-tls-ca the token travels in plaintext to ${opts.xdsAddress}\n`);
      }
      const doc = renderBootstrap({
        gateway: opts.gateway,
        nodeId: opts.nodeId ?? `${opts.gateway}/${hostname()}`,
        xds,
        adminPort,
        ...(tls ? { tls } : {}),
        ...(token !== undefined ? { token } : {}),
      });
      // No YAML anchors/aliases for shared objects: the output is meant to be read (and diffed) by people.
      process.stdout.write(stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }));
    });
}

function tlsFrom(opts: { xdsTlsCa?: string; xdsTlsCert?: string; xdsTlsKey?: string; xdsTlsServerName?: string }): BootstrapTls | undefined {
  if (!opts.xdsTlsCa) {
    if (opts.xdsTlsCert || opts.xdsTlsKey || opts.xdsTlsServerName) throw new ConfigError('--xds-tls-cert, --xds-tls-key and --xds-tls-server-name need --xds-tls-ca (the CA that signed the controller\'s certificate)');
    return undefined;
  }
  if (Boolean(opts.xdsTlsCert) !== Boolean(opts.xdsTlsKey)) throw new ConfigError('--xds-tls-cert and --xds-tls-key go together');
  // Absolute paths: Envoy may run from another folder. Checked here so a typo fails now, not at Envoy's start.
  return {
    caFile: readableFile(opts.xdsTlsCa, '--xds-tls-ca'),
    ...(opts.xdsTlsCert && opts.xdsTlsKey ? { certFile: readableFile(opts.xdsTlsCert, '--xds-tls-cert'), keyFile: readableFile(opts.xdsTlsKey, '--xds-tls-key') } : {}),
    ...(opts.xdsTlsServerName ? { serverName: opts.xdsTlsServerName } : {}),
  };
}
