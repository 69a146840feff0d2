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

/** The controller's flags that secure the ADS server. */
export const xdsSecurityOptions = (): Option[] => [
  new Option('--xds-tls-cert <file>', 'serve xDS over TLS with this certificate chain (PEM; needs --xds-tls-key)').env('PORTICO_XDS_TLS_CERT'),
  new Option('--xds-tls-key <file>', 'private key of --xds-tls-cert (PEM)').env('PORTICO_XDS_TLS_KEY'),
  new Option('--xds-tls-ca <file>', 'require mutual TLS: Envoys must present a client certificate this CA signed (PEM)').env('PORTICO_XDS_TLS_CA'),
  new Option('--xds-token-file <file>', "require every Envoy to send 'authorization: Bearer <token>' with the token in this file").env('PORTICO_XDS_TOKEN_FILE'),
];

export interface XdsSecurityFlags {
  xdsTlsCert?: string;
  xdsTlsKey?: string;
  xdsTlsCa?: string;
  xdsTokenFile?: string;
}

/** Reads the files the security flags name: PEM contents for the ADS server, the token. */
export function xdsSecurityFrom(opts: XdsSecurityFlags): { xdsTls?: { cert: string; key: string; ca?: string }; xdsToken?: string } {
  const out: { xdsTls?: { cert: string; key: string; ca?: string }; xdsToken?: string } = {};
  if (opts.xdsTlsCert || opts.xdsTlsKey || opts.xdsTlsCa) {
    if (!opts.xdsTlsCert || !opts.xdsTlsKey) throw new ConfigError('--xds-tls-cert and --xds-tls-key go together (and --xds-tls-ca needs both)');
    out.xdsTls = {
      cert: readFlagFile(opts.xdsTlsCert, '--xds-tls-cert'),
      key: readFlagFile(opts.xdsTlsKey, '--xds-tls-key'),
      ...(opts.xdsTlsCa ? { ca: readFlagFile(opts.xdsTlsCa, '--xds-tls-ca') } : {}),
    };
  }
  if (opts.xdsTokenFile) out.xdsToken = readTokenFile(opts.xdsTokenFile, '--xds-token-file');
  return out;
}

/** 127.0.0.0/8, ::1 and localhost: where plaintext and an unencrypted token are acceptable. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
