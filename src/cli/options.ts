// Flags shared by several subcommands; every flag can also be set by a PORTICO_* environment variable.
import { Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseHostPort } from '../lib/address.ts';
import { ConfigError } from '../lib/errors.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { DEFAULT_TRUST_DOMAIN, isTrustDomain, parseTokens, TokensFileError, type TokenEntry } from '../xds/server/identity.ts';

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

/** TLS and a bearer token for the controller's admin endpoint (`--admin-…`). */
export interface EndpointSecurity {
  tls?: { cert: string; key: string; ca?: string };
  token?: string;
}

type Endpoint = 'xds' | 'admin';

/** What can listen beyond loopback: the controller's endpoints, and a data-path service's gRPC `--listen`. */
type Exposed = Endpoint | 'listen';

const CLIENTS: Record<Endpoint, string> = { xds: 'clients (Envoys, services)', admin: 'clients' };

/** The TLS flags of one of the controller's endpoints: `--xds-…` for ADS, `--admin-…` for admin. */
function tlsOptions(endpoint: Endpoint): Option[] {
  const env = `PORTICO_${endpoint.toUpperCase()}`;
  const renewed = endpoint === 'xds' ? '; re-read when the files change' : '';
  return [
    new Option(`--${endpoint}-tls-cert <file>`, `serve ${endpoint} over TLS with this certificate chain (PEM; needs --${endpoint}-tls-key${renewed})`).env(`${env}_TLS_CERT`),
    new Option(`--${endpoint}-tls-key <file>`, `private key of --${endpoint}-tls-cert (PEM)`).env(`${env}_TLS_KEY`),
    new Option(`--${endpoint}-tls-ca <file>`, `require mutual TLS: ${CLIENTS[endpoint]} must present a client certificate this CA signed (PEM)`).env(`${env}_TLS_CA`),
  ];
}

const INSECURE_RISK: Record<Exposed, string> = {
  xds: "any client may claim any Gateway's config, its TLS keys and every API key included",
  admin: 'anyone who reaches it reads /debug/*',
  listen: "anyone who reaches it may call the service (and read a token on the wire)",
};

/** The flags that secure each, for the refusal's message. */
const SECURE_HOW: Record<Exposed, string> = {
  xds: '--xds-tls-cert/--xds-tls-key (or --xds-tls-vault-role) with --xds-tls-ca (client certificates) and/or --xds-tokens-file',
  admin: '--admin-tls-cert/--admin-tls-key with --admin-tls-ca and/or --admin-token-file',
  listen: '--listen-tls-cert/--listen-tls-key with --listen-tls-ca and/or --listen-token-file',
};

/** The variable of --<exposed>-allow-insecure; `env` is the subcommand's prefix (PORTICO, PORTICO_RATELIMIT, …). */
const allowInsecureEnv = (exposed: Exposed, env: string) => `${env}_${exposed.toUpperCase()}_ALLOW_INSECURE`;

/** The flag that lets an endpoint listen beyond loopback without TLS and client authentication. */
export const allowInsecureOption = (exposed: Exposed, env = 'PORTICO') =>
  new Option(`--${exposed}-allow-insecure`, `let ${exposed} listen beyond loopback without TLS and client authentication (a trusted network only: ${INSECURE_RISK[exposed]})`).env(allowInsecureEnv(exposed, env));

/**
 * Whether an --<exposed>-allow-insecure flag is on. Commander turns a boolean flag on whenever its variable
 * is set, even to `false`; for a flag that lowers security only `true`, `1` or `yes` counts.
 */
function allowsInsecure(exposed: Exposed, command: Command, env: string): boolean {
  const name = `${exposed}AllowInsecure`;
  if (!command.opts()[name]) return false;
  if (command.getOptionValueSource(name) !== 'env') return true;
  return /^(true|1|yes)$/i.test(process.env[allowInsecureEnv(exposed, env)] ?? '');
}

/** An admin endpoint's HTTPS and token flags (the controller's, and the rate-limit service's with its own variables). */
export function adminTlsTokenOptions(): Option[] {
  return [
    ...tlsOptions('admin'),
    new Option('--admin-token-file <file>', "require 'authorization: Bearer <token>' on /debug/* and /metrics (/healthz and /readyz stay open), with the token in this file").env('PORTICO_ADMIN_TOKEN_FILE'),
  ];
}

/** The controller's admin endpoint's flags. */
export function adminSecurityOptions(): Option[] {
  return [...adminTlsTokenOptions(), allowInsecureOption('admin')];
}

/** The ADS server's flags: TLS, and how clients prove their identity (docs/security.md). */
export function xdsSecurityOptions(): Option[] {
  return [
    ...tlsOptions('xds'),
    new Option('--xds-tls-vault-role <mount/role>', "instead of --xds-tls-cert/--xds-tls-key: issue the serving certificate from this Vault PKI role (e.g. pki/portico-xds; needs --vault-* and --xds-tls-vault-name), renewed before it expires").env('PORTICO_XDS_TLS_VAULT_ROLE'),
    new Option('--xds-tls-vault-name <name,…>', 'the DNS names of the Vault-issued serving certificate (the first is its common name); clients check one of them (--xds-tls-server-name)').env('PORTICO_XDS_TLS_VAULT_NAME'),
    new Option('--xds-tokens-file <file>', "per-identity tokens: lines '<identity> <token>' (identity gateway/<namespace>/<name>, service/extauth or service/ratelimit); a client sends its token as 'authorization: Bearer <token>'").env('PORTICO_XDS_TOKENS_FILE'),
    new Option('--xds-trust-domain <domain>', "trust domain of the clients' certificate identities (URI SAN spiffe://<domain>/gateway/<namespace>/<name>, …)").default(DEFAULT_TRUST_DOMAIN).env('PORTICO_XDS_TRUST_DOMAIN'),
    allowInsecureOption('xds'),
    // Removed: one shared token let any client read every Gateway's keys. Kept only to say what replaces it.
    new Option('--xds-token-file <file>').hideHelp(),
  ];
}

/** Reads the admin endpoint's files: PEM contents (and their paths, to watch) and the token (never echoed). */
export function adminSecurityFrom(opts: Record<string, unknown>): EndpointSecurity & { files?: { cert: string; key: string; ca?: string } } {
  const tls = tlsFrom('admin', opts);
  const tokenFile = opts.adminTokenFile as string | undefined;
  return { ...(tls && { tls: tls.pems, files: tls.files }), ...(tokenFile && { token: readTokenFile(tokenFile, '--admin-token-file') }) };
}

export interface XdsSecurity {
  /** From --xds-tls-cert/key/ca: the PEM contents now, and the files to watch. */
  tls?: { pems: { cert: string; key: string; ca?: string }; files: { cert: string; key: string; ca?: string } };
  /** From --xds-tls-vault-role: where the serving certificate is issued (the client CA, if any, from --xds-tls-ca). */
  vault?: { mount: string; role: string; names: string[]; ca?: string };
  tokens?: { entries: TokenEntry[]; file: string };
  trustDomain: string;
}

/** Reads and checks the ADS server's security flags; errors name the flag and file, never a token. */
export function xdsSecurityFrom(opts: Record<string, unknown>): XdsSecurity {
  if (opts.xdsTokenFile) throw new ConfigError("--xds-token-file was replaced by --xds-tokens-file: one token per identity, as lines '<identity> <token>' (e.g. 'gateway/default/gw <token>'); see docs/security.md");
  const trustDomain = String(opts.xdsTrustDomain ?? DEFAULT_TRUST_DOMAIN);
  if (!isTrustDomain(trustDomain)) throw new ConfigError(`--xds-trust-domain: '${trustDomain}' is not a SPIFFE trust domain (lowercase letters, digits, '.', '-', '_')`);
  const tokensFile = opts.xdsTokensFile as string | undefined;
  const out: XdsSecurity = { trustDomain, ...(tokensFile && { tokens: { entries: readTokensFile(tokensFile), file: tokensFile } }) };
  const vaultRole = opts.xdsTlsVaultRole as string | undefined;
  if (!vaultRole) {
    if (opts.xdsTlsVaultName) throw new ConfigError('--xds-tls-vault-name needs --xds-tls-vault-role');
    const tls = tlsFrom('xds', opts);
    return { ...out, ...(tls && { tls }) };
  }
  if (opts.xdsTlsCert || opts.xdsTlsKey) throw new ConfigError('--xds-tls-vault-role replaces --xds-tls-cert/--xds-tls-key: give one or the other');
  const m = /^(.+)\/([^/]+)$/.exec(vaultRole);
  if (!m) throw new ConfigError(`--xds-tls-vault-role: expected <mount>/<role> (e.g. pki/portico-xds), got '${vaultRole}'`);
  const names = String(opts.xdsTlsVaultName ?? '').split(',').map((n) => n.trim()).filter(Boolean);
  if (!names.length) throw new ConfigError('--xds-tls-vault-role needs --xds-tls-vault-name: the name(s) clients reach the controller by');
  const caFile = opts.xdsTlsCa as string | undefined;
  return { ...out, vault: { mount: m[1]!, role: m[2]!, names, ...(caFile && { ca: readFlagFile(caFile, '--xds-tls-ca') }) } };
}

function tlsFrom(endpoint: Endpoint, opts: Record<string, unknown>): XdsSecurity['tls'] {
  const flag = (name: string) => opts[`${endpoint}${name}`] as string | undefined;
  const [cert, key, ca] = [flag('TlsCert'), flag('TlsKey'), flag('TlsCa')];
  if (!cert && !key && !ca) return undefined;
  if (!cert || !key) throw new ConfigError(`--${endpoint}-tls-cert and --${endpoint}-tls-key go together (and --${endpoint}-tls-ca needs both)`);
  return {
    pems: { cert: readFlagFile(cert, `--${endpoint}-tls-cert`), key: readFlagFile(key, `--${endpoint}-tls-key`), ...(ca && { ca: readFlagFile(ca, `--${endpoint}-tls-ca`) }) },
    files: { cert, key, ...(ca && { ca }) },
  };
}

/** The entries of a --xds-tokens-file; a ConfigError names the file and line, never a token. */
export function readTokensFile(path: string): TokenEntry[] {
  const text = readFlagFile(path, '--xds-tokens-file');
  try {
    const entries = parseTokens(text);
    if (!entries.length) throw new ConfigError(`--xds-tokens-file: '${path}' has no '<identity> <token>' line`);
    return entries;
  } catch (err) {
    if (err instanceof TokensFileError) throw new ConfigError(`--xds-tokens-file: '${path}' ${err.message}`);
    throw err;
  }
}

/**
 * Secure by default: an endpoint beyond loopback needs TLS and a way to tell clients apart (client
 * certificates or tokens), unless its --<exposed>-allow-insecure flag says the network is trusted — then it
 * says so loudly at every start. Throws (a one-line ConfigError naming that flag) when it is not allowed.
 * A unix socket is local by nature. `env` is the prefix of the subcommand's variables.
 */
export function guardExposure(command: Command, logger: Logger, exposed: Exposed, address: string, secured: { tls: boolean; clientAuth: boolean }, env = 'PORTICO'): void {
  if (address.startsWith('unix:')) return;
  const flag = exposed === 'listen' ? '--listen' : `--${exposed}-address`;
  const { host } = parseHostPort(address, flag);
  if (isLoopback(host) || (secured.tls && secured.clientAuth)) return;
  if (allowsInsecure(exposed, command, env)) {
    logger.warn({ [`${exposed}Address`]: address }, `INSECURE: --${exposed}-allow-insecure: ${exposed} listens beyond loopback without TLS and client authentication; ${INSECURE_RISK[exposed]}`);
    return;
  }
  const missing = [...(secured.tls ? [] : ['TLS']), ...(secured.clientAuth ? [] : ['client authentication'])].join(' and ');
  throw new ConfigError(`${flag} ${address} is beyond loopback without ${missing}: set ${SECURE_HOW[exposed]}, or, on a trusted network only, --${exposed}-allow-insecure (${allowInsecureEnv(exposed, env)}=true); see docs/security.md`);
}

/** 127.0.0.0/8, ::1 and localhost: where plaintext and an unencrypted token are acceptable. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The TLS flags of a client of the controller's ADS server (Envoy's bootstrap, a Portico service); `env` prefixes their variables. */
export function xdsClientTlsOptions(who: string, env: string): Option[] {
  return [
    new Option('--xds-tls-ca <file>', 'connect to the controller over TLS, trusting this CA (PEM) for its certificate').env(`${env}_XDS_TLS_CA`),
    new Option('--xds-tls-cert <file>', `client certificate ${who} presents, for a controller with --xds-tls-ca; its URI SAN spiffe://<trust-domain>/… is ${who}'s identity (PEM; needs --xds-tls-key)`).env(`${env}_XDS_TLS_CERT`),
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

/** The client's token flag: its own identity's token from the controller's --xds-tokens-file. */
export const xdsClientTokenOption = (who: string) =>
  new Option('--xds-token-file <file>', `send 'authorization: Bearer <token>' to the controller, with ${who}'s token (its line in the controller's --xds-tokens-file) in this file`).env('PORTICO_XDS_TOKEN_FILE');
