import { Command, Option } from 'commander';
import { hostname } from 'node:os';
import { stringify } from 'yaml';
import { parseHostPort } from '../lib/address.ts';
import { ConfigError } from '../lib/errors.ts';
import { renderBootstrap, type BootstrapTls } from '../xds/translator/bootstrap.ts';
import { certificateUris } from '../xds/server/identity.ts';
import { isLoopback, readableFile, readFlagFile, readTokenFile, xdsClientTlsFiles, xdsClientTlsOptions, type XdsClientTlsFlags } from './options.ts';

export function bootstrapCommand(): Command {
  const cmd = new Command('bootstrap')
    .description("print the Envoy bootstrap YAML for one Gateway (node.cluster = '<namespace>/<name>'; its identity, by client certificate or token, must be gateway/<namespace>/<name>)")
    .addOption(new Option('--gateway <namespace/name>', 'the Gateway this Envoy serves').makeOptionMandatory().env('PORTICO_GATEWAY'))
    .addOption(new Option('--xds-address <host:port,…>', "the controllers' ADS servers (several for HA: Envoy fails over)").default('127.0.0.1:18000').env('PORTICO_XDS_ADDRESS'))
    .addOption(new Option('--admin-port <port>', "Envoy's admin port (on 127.0.0.1)").default('19001').env('PORTICO_ENVOY_ADMIN_PORT'))
    .addOption(new Option('--node-id <id>', 'node id (default <gateway>/<hostname>)').env('PORTICO_NODE_ID'))
    .addOption(new Option('--xds-token-file <file>', "send 'authorization: Bearer <token>' with the Gateway's token (its gateway/<namespace>/<name> line in the controller's --xds-tokens-file) in this file; it is written into the bootstrap: keep the output private").env('PORTICO_XDS_TOKEN_FILE'));
  // Envoy-side names (PORTICO_ENVOY_*): the controller's PORTICO_XDS_TLS_* name its own certificate and CA.
  for (const o of xdsClientTlsOptions('Envoy', 'PORTICO_ENVOY')) cmd.addOption(o);
  return cmd.action((opts) => {
    if (!/^[a-z0-9-.]+\/[a-z0-9-.]+$/.test(opts.gateway)) throw new ConfigError(`--gateway: expected <namespace>/<name>, got '${opts.gateway}'`);
    const xds = String(opts.xdsAddress).split(',').map((a) => parseHostPort(a, '--xds-address'));
    const adminPort = Number(opts.adminPort);
    if (!/^\d+$/.test(opts.adminPort) || adminPort > 65535) throw new ConfigError(`--admin-port: expected 0-65535, got '${opts.adminPort}'`);
    const tls = tlsFrom(opts);
    if (tls?.certFile) warnIfAnotherIdentity(tls.certFile, opts.gateway);
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

/** A client certificate naming another identity than the Gateway's is refused by the controller: say so now. */
function warnIfAnotherIdentity(certFile: string, gateway: string): void {
  const named = certificateUris(readFlagFile(certFile, '--xds-tls-cert')).flatMap((uri) => /^spiffe:\/\/[^/]+\/(.+)$/.exec(uri)?.[1] ?? []);
  if (named.includes(`gateway/${gateway}`)) return;
  process.stderr.write(`portico: warning: --xds-tls-cert names ${named.length ? named.join(', ') : 'no identity (no spiffe:// URI SAN)'}, not gateway/${gateway}: a controller that identifies clients by certificate refuses this Envoy\n`);
}

/** Absolute paths: Envoy may run from another folder. Checked here so a typo fails now, not at Envoy's start. */
function tlsFrom(opts: XdsClientTlsFlags): BootstrapTls | undefined {
  const files = xdsClientTlsFiles(opts);
  if (!files) return undefined;
  return {
    caFile: readableFile(files.ca, '--xds-tls-ca'),
    ...(files.cert && files.key && { certFile: readableFile(files.cert, '--xds-tls-cert'), keyFile: readableFile(files.key, '--xds-tls-key') }),
    ...(files.serverName && { serverName: files.serverName }),
  };
}
