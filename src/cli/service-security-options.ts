// The flags of the gRPC server a data-path service (`portico extauth`, `portico ratelimit`) listens with: TLS,
// client certificates, a bearer token and the caps. They secure the address `--listen` names, so they are
// `--listen-…`, as the controller's `--xds-…`/`--admin-…` flags secure `--xds-address`/`--admin-address`.
import { Option } from 'commander';
import { ConfigError } from '../lib/errors.ts';
import { DEFAULT_GRPC_LIMITS, type GrpcServerLimits, type GrpcServing } from '../lib/grpc-unary-server.ts';
import { allowInsecureOption, readFlagFile, readTokenFile } from './options.ts';

/** The service's flags; `env` prefixes their variables (PORTICO_EXTAUTH, PORTICO_RATELIMIT). */
export function listenSecurityOptions(env: string): Option[] {
  const d = DEFAULT_GRPC_LIMITS;
  return [
    new Option('--listen-tls-cert <file>', 'serve gRPC over TLS with this certificate chain (PEM; needs --listen-tls-key)').env(`${env}_LISTEN_TLS_CERT`),
    new Option('--listen-tls-key <file>', 'private key of --listen-tls-cert (PEM)').env(`${env}_LISTEN_TLS_KEY`),
    new Option('--listen-tls-ca <file>', 'require mutual TLS: callers (Envoy) must present a client certificate this CA signed (PEM)').env(`${env}_LISTEN_TLS_CA`),
    new Option('--listen-token-file <file>', "require 'authorization: Bearer <token>' metadata on every call, with the token in this file").env(`${env}_LISTEN_TOKEN_FILE`),
    new Option('--max-concurrent-streams <n>', `calls in flight on one connection (default ${d.maxConcurrentStreams})`).env(`${env}_MAX_CONCURRENT_STREAMS`),
    new Option('--max-message-bytes <n>', `largest request message; larger: RESOURCE_EXHAUSTED (default ${d.maxMessageBytes})`).env(`${env}_MAX_MESSAGE_BYTES`),
    allowInsecureOption('listen', env),
    new Option('--max-connection-buffer-bytes <n>', `request bytes buffered across one connection's calls (default ${d.maxBufferedBytesPerConnection})`).env(`${env}_MAX_CONNECTION_BUFFER_BYTES`),
  ];
}

export interface ListenSecurityFlags {
  listen: string;
  listenTlsCert?: string;
  listenTlsKey?: string;
  listenTlsCa?: string;
  listenTokenFile?: string;
  maxConcurrentStreams?: string;
  maxMessageBytes?: string;
  maxConnectionBufferBytes?: string;
}

/** Whether callers must prove who they are: client certificates or the token. */
export const listenClientAuth = (serving: GrpcServing): boolean => Boolean(serving.security?.token || serving.security?.tls?.ca);

/** What those flags set, files read (PEM contents, the token: never echoed). Throws ConfigError on a bad flag. */
export function listenSecurityFrom(opts: ListenSecurityFlags): GrpcServing {
  const { listenTlsCert: cert, listenTlsKey: key, listenTlsCa: ca } = opts;
  const serving: GrpcServing = {};
  if (cert || key || ca) {
    if (!cert || !key) throw new ConfigError('--listen-tls-cert and --listen-tls-key go together (and --listen-tls-ca needs both)');
    serving.security = {
      tls: { cert: readFlagFile(cert, '--listen-tls-cert'), key: readFlagFile(key, '--listen-tls-key'), ...(ca && { ca: readFlagFile(ca, '--listen-tls-ca') }) },
    };
  }
  if (opts.listenTokenFile) serving.security = { ...serving.security, token: readTokenFile(opts.listenTokenFile, '--listen-token-file') };
  const limits: Partial<GrpcServerLimits> = {
    ...(opts.maxConcurrentStreams && { maxConcurrentStreams: count(opts.maxConcurrentStreams, '--max-concurrent-streams') }),
    ...(opts.maxMessageBytes && { maxMessageBytes: count(opts.maxMessageBytes, '--max-message-bytes') }),
    ...(opts.maxConnectionBufferBytes && { maxBufferedBytesPerConnection: count(opts.maxConnectionBufferBytes, '--max-connection-buffer-bytes') }),
  };
  if (Object.keys(limits).length) serving.limits = limits;
  return serving;
}

function count(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 2 ** 31 - 1) throw new ConfigError(`${flag}: expected a whole number from 1 to 2147483647, got '${value}'`);
  return n;
}
