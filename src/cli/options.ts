// Flags shared by several subcommands; every flag can also be set by a PORTICO_* environment variable.
import { Option } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../lib/errors.ts';
import { createLogger, type Logger } from '../lib/logger.ts';

export const logOptions = (): Option[] => [
  new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error']).default('info').env('PORTICO_LOG_LEVEL'),
  new Option('--log-format <format>', 'log format (default: pretty on a terminal, JSON otherwise)').choices(['json', 'pretty']).env('PORTICO_LOG_FORMAT'),
];

export function loggerFrom(opts: { logLevel?: string; logFormat?: 'json' | 'pretty' }): Logger {
  return createLogger({ level: opts.logLevel ?? 'info', ...(opts.logFormat ? { format: opts.logFormat } : {}) });
}

export const xdsAddressOption = (fallback: string) =>
  new Option('--xds-address <host:port>', 'where the ADS (xDS gRPC) server listens').default(fallback).env('PORTICO_XDS_ADDRESS');

export const adminAddressOption = (fallback: string) =>
  new Option('--admin-address <host:port|off>', 'admin endpoint: /healthz, /readyz, /debug/*').default(fallback).env('PORTICO_ADMIN_ADDRESS');

/** A file named by a flag, read as text; unreadable → one clear ConfigError naming the flag and the path. */
export function readFlagFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${flag}: cannot read '${path}': ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** The absolute path of a file named by a flag, after checking it can be read (by us, and so likely by Envoy). */
export function readableFile(path: string, flag: string): string {
  readFlagFile(path, flag);
  return resolve(path);
}

/**
 * The bearer token in a file (surrounding whitespace, such as the final newline, is dropped). Errors name the
 * file, never its content: the token must stay out of terminals and logs.
 */
export function readTokenFile(path: string, flag: string): string {
  const token = readFlagFile(path, flag).trim();
  if (!token) throw new ConfigError(`${flag}: '${path}' is empty`);
  // It travels as an HTTP/2 header value: visible ASCII only, no spaces (RFC 6750 b64token is a subset).
  if (!/^[\x21-\x7e]+$/.test(token)) throw new ConfigError(`${flag}: the token in '${path}' must be one word of visible ASCII characters`);
  return token;
}

/** TLS and a bearer token for one of the controller's endpoints: `--xds-…` for ADS, `--admin-…` for admin. */
export interface EndpointSecurity {
  tls?: { cert: string; key: string; ca?: string };
  token?: string;
}

type Endpoint = 'xds' | 'admin';

const TOKEN_USE: Record<Endpoint, string> = {
  xds: "require every Envoy to send 'authorization: Bearer <token>'",
  admin: "require 'authorization: Bearer <token>' on /debug/* (/healthz and /readyz stay open)",
};
const CLIENTS: Record<Endpoint, string> = { xds: 'Envoys', admin: 'clients' };

/** The flags that secure an endpoint. */
export function securityOptions(endpoint: Endpoint): Option[] {
  const env = `PORTICO_${endpoint.toUpperCase()}`;
  return [
    new Option(`--${endpoint}-tls-cert <file>`, `serve ${endpoint} over TLS with this certificate chain (PEM; needs --${endpoint}-tls-key)`).env(`${env}_TLS_CERT`),
    new Option(`--${endpoint}-tls-key <file>`, `private key of --${endpoint}-tls-cert (PEM)`).env(`${env}_TLS_KEY`),
    new Option(`--${endpoint}-tls-ca <file>`, `require mutual TLS: ${CLIENTS[endpoint]} must present a client certificate this CA signed (PEM)`).env(`${env}_TLS_CA`),
    new Option(`--${endpoint}-token-file <file>`, `${TOKEN_USE[endpoint]}, with the token in this file`).env(`${env}_TOKEN_FILE`),
  ];
}

/** Reads the files an endpoint's security flags name: PEM contents and the token (never echoed). */
export function securityFrom(endpoint: Endpoint, opts: Record<string, unknown>): EndpointSecurity {
  const flag = (name: string) => opts[`${endpoint}${name}`] as string | undefined;
  const [cert, key, ca, tokenFile] = [flag('TlsCert'), flag('TlsKey'), flag('TlsCa'), flag('TokenFile')];
  const out: EndpointSecurity = {};
  if (cert || key || ca) {
    if (!cert || !key) throw new ConfigError(`--${endpoint}-tls-cert and --${endpoint}-tls-key go together (and --${endpoint}-tls-ca needs both)`);
    out.tls = {
      cert: readFlagFile(cert, `--${endpoint}-tls-cert`),
      key: readFlagFile(key, `--${endpoint}-tls-key`),
      ...(ca ? { ca: readFlagFile(ca, `--${endpoint}-tls-ca`) } : {}),
    };
  }
  if (tokenFile) out.token = readTokenFile(tokenFile, `--${endpoint}-token-file`);
  return out;
}

/** 127.0.0.0/8, ::1 and localhost: where plaintext and an unencrypted token are acceptable. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The TLS flags of a client of the controller's ADS server (Envoy's bootstrap, a Portico service); `env` prefixes their variables. */
export function xdsClientTlsOptions(who: string, env: string): Option[] {
  return [
    new Option('--xds-tls-ca <file>', 'connect to the controller over TLS, trusting this CA (PEM) for its certificate').env(`${env}_XDS_TLS_CA`),
    new Option('--xds-tls-cert <file>', `client certificate ${who} presents, for a controller with --xds-tls-ca (PEM; needs --xds-tls-key)`).env(`${env}_XDS_TLS_CERT`),
    new Option('--xds-tls-key <file>', 'private key of --xds-tls-cert (PEM)').env(`${env}_XDS_TLS_KEY`),
    new Option('--xds-tls-server-name <name>', "name the controller's certificate must carry; a DNS name is also sent as SNI (default: the --xds-address host)").env(`${env}_XDS_TLS_SERVER_NAME`),
  ];
}

export interface XdsClientTlsFlags {
  xdsTlsCa?: string;
  xdsTlsCert?: string;
  xdsTlsKey?: string;
  xdsTlsServerName?: string;
}

/** The files those flags name, checked together: the others need the CA, and a certificate needs its key. */
export function xdsClientTlsFiles(opts: XdsClientTlsFlags): { ca: string; cert?: string; key?: string; serverName?: string } | undefined {
  if (!opts.xdsTlsCa) {
    if (opts.xdsTlsCert || opts.xdsTlsKey || opts.xdsTlsServerName) throw new ConfigError("--xds-tls-cert, --xds-tls-key and --xds-tls-server-name need --xds-tls-ca (the CA that signed the controller's certificate)");
    return undefined;
  }
  if (Boolean(opts.xdsTlsCert) !== Boolean(opts.xdsTlsKey)) throw new ConfigError('--xds-tls-cert and --xds-tls-key go together');
  return {
    ca: opts.xdsTlsCa,
    ...(opts.xdsTlsCert && opts.xdsTlsKey && { cert: opts.xdsTlsCert, key: opts.xdsTlsKey }),
    ...(opts.xdsTlsServerName && { serverName: opts.xdsTlsServerName }),
  };
}

/** The PEM contents those flags name, for a Portico service's gRPC client (it takes contents, not paths). */
export function xdsClientTls(opts: XdsClientTlsFlags): { ca: string; cert?: string; key?: string; serverName?: string } | undefined {
  const files = xdsClientTlsFiles(opts);
  if (!files) return undefined;
  return {
    ca: readFlagFile(files.ca, '--xds-tls-ca'),
    ...(files.cert && files.key && { cert: readFlagFile(files.cert, '--xds-tls-cert'), key: readFlagFile(files.key, '--xds-tls-key') }),
    ...(files.serverName && { serverName: files.serverName }),
  };
}
