// The controller's configuration file (portico.yaml): which resource sources to read (a directory,
// Consul KV), how to reach Consul, leader election, and which endpoint discovery runs (`discovery`: Consul
// catalog, EC2) and Vault (`secrets.vault`: the KV v2 secret source and PKI certificates). Every field and
// default is documented in the README. Problems name the file, the line and the field.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument } from 'yaml';
import { protoDurationMs } from '../api/duration.ts';
import { protoDuration } from '../api/validate/gloo-options.ts';
import { bool, check, distinct, formatPath, int, list, obj, required, str, type Problem } from '../api/validate/schema.ts';
import type { ConsulOptions } from '../consul/client.ts';
import { MIN_TTL_SECONDS } from '../consul/leader.ts';
import { parseHostPort } from '../lib/address.ts';
import { ANY, type PkiRoleGrant } from '../gatewayapi/pki-roles.ts';
import { ConfigError } from '../lib/errors.ts';
import { readSecretFile } from '../lib/secret-file.ts';
import type { RateLimitSettings } from '../xds/translator/rate-limit.ts';
import type { ServiceTransport } from '../xds/translator/service-transport.ts';

export interface DirectorySourceConfig {
  path: string;
  statusDir?: string;
  secretsDir?: string;
}

export interface ConsulKvSourceConfig {
  /** Default `portico`. */
  rootKey: string;
  /** Default `<rootKey>-status`. */
  statusPrefix: string;
}

export interface LeaderElectionConfig {
  /** Default `<statusPrefix>/.leader`. */
  key?: string;
  /** A dead leader is replaced within ttlSeconds + lockDelaySeconds (consul/leader.ts). Default 30, at least 20. */
  ttlSeconds: number;
  lockDelaySeconds: number;
}

/** `secrets.vault`: present turns on the Vault KV v2 secret source and PKI certificates for listeners. */
export interface VaultConfig {
  /** Default VAULT_ADDR, else http://127.0.0.1:8200. */
  address?: string;
  namespace?: string;
  /** At most one auth method; none: the VAULT_TOKEN variable. */
  token?: string;
  tokenFile?: string;
  agentSinkFile?: string;
  appRole?: { roleIdFile: string; secretIdFile: string; mount?: string };
  tls?: { caFile?: string; certFile?: string; keyFile?: string; serverName?: string };
  kv?: { mount?: string; rootKey?: string; intervalSeconds?: number };
  /** Which namespaces may use which PKI roles; absent: DEFAULT_PKI_ROLES (gatewayapi/pki-roles.ts). */
  pki?: { roles?: PkiRoleGrant[] };
}

export interface PorticoConfig {
  xdsAddress?: string;
  adminAddress?: string;
  controllerName?: string;
  sources: { directory?: DirectorySourceConfig; consulKv?: ConsulKvSourceConfig };
  consul: ConsulOptions;
  leaderElection: LeaderElectionConfig;
  /** Portico's ext-auth service, which Envoy's ext_authz filter calls (`unix:/path` or `HOST:PORT`), and how. */
  extAuth?: { address: string } & ServiceTransport;
  /** Endpoint discovery: each block present turns one on (Consul catalog on the `consul` connection, EC2). */
  discovery?: { consul?: { waitSeconds?: number }; ec2?: { endpoint?: string; intervalSeconds?: number } };
  secrets?: { vault?: VaultConfig };
  /** Portico's rate-limit service; present (with an address) turns rate limiting on. */
  rateLimit?: RateLimitSettings;
}

/** The `rateLimit` block as written (Gloo's names where Gloo has the setting). */
export interface RateLimitFileConfig {
  address?: string;
  domain?: string;
  denyOnFail?: boolean;
  rateLimitBeforeAuth?: boolean;
  /** Protobuf JSON duration, e.g. `0.1s`. */
  requestTimeout?: string;
  enableXRatelimitHeaders?: boolean;
  tls?: ServiceTransport['tls'];
  tokenFile?: string;
}

/** The `extAuth` block as written. */
export interface ExtAuthFileConfig {
  address: string;
  tls?: ServiceTransport['tls'];
  tokenFile?: string;
}

const text = str({ minLength: 1 });
const kvPrefix = str({
  minLength: 1,
  check: (v) => (v.startsWith('/') || v.endsWith('/') || v.split('/').some((s) => s === '' || s.startsWith('.')) ? 'must be a KV path like portico or team/portico (no leading or trailing /, no empty or dot-named segment)' : undefined),
});
const tlsFiles = obj({ caFile: text, certFile: text, keyFile: text, serverName: text });
/** `*` (every mount, role or namespace) or a value checked by `other`. */
const orAny = (other: (v: string) => string | undefined) => str({ minLength: 1, check: (v) => (v === ANY ? undefined : other(v)) });
const pkiRole = obj({
  mount: required(orAny((v) => (v.startsWith('/') || v.endsWith('/') || v.includes('//') ? 'must be a PKI mount path like pki or pki/gateways, or *' : undefined))),
  // Vault's own rule for role names (framework.GenericNameRegex).
  role: required(orAny((v) => (/^\w([\w.-]*\w)?$/.test(v) ? undefined : 'must be a Vault role name (letters, digits, _, - and .), or *'))),
  namespaces: required(list(orAny((v) => (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(v) && v.length <= 63 ? undefined : 'must be a namespace name, or *')), { min: 1 }, distinct('namespace'))),
});
/** Files Envoy reads on its own host: absolute, since they are not relative to this file's host or folder. */
const envoyFile = str({ minLength: 1, check: (v) => (v.startsWith('/') ? undefined : 'must be an absolute path (a file on the Envoy hosts)') });
const envoyTls = obj({ caFile: required(envoyFile), certFile: envoyFile, keyFile: envoyFile, serverName: text });
const vault = obj({
  address: str({ minLength: 1, check: (v) => (/^https?:\/\/[^/]/.test(v) ? undefined : 'must be an http:// or https:// URL') }),
  namespace: text,
  token: text,
  tokenFile: text,
  agentSinkFile: text,
  appRole: obj({ roleIdFile: required(text), secretIdFile: required(text), mount: kvPrefix }),
  tls: tlsFiles,
  kv: obj({ mount: kvPrefix, rootKey: kvPrefix, intervalSeconds: int(1, 3600) }),
  pki: obj({ roles: list(pkiRole) }),
});
/** A Unix socket (`unix:/abs/path`) or `HOST:PORT`, as Envoy's cluster for the service takes it. */
const SERVICE_ADDRESS = /^(unix:\/.+|(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5})$/;
const serviceAddress = str({ pattern: SERVICE_ADDRESS, patternName: 'service address (unix:/absolute/path.sock or HOST:PORT)' });
const SCHEMA = obj({
  xdsAddress: text,
  adminAddress: text,
  controllerName: text,
  sources: obj({
    directory: obj({ path: text, statusDir: text, secretsDir: text }),
    consulKv: obj({ rootKey: kvPrefix, statusPrefix: kvPrefix }),
  }),
  consul: obj({
    address: text,
    datacenter: text,
    token: text,
    tokenFile: text,
    tls: tlsFiles,
  }),
  leaderElection: obj({ key: text, ttlSeconds: int(MIN_TTL_SECONDS, 86_400), lockDelaySeconds: int(0, 60) }),
  discovery: obj({ consul: obj({ waitSeconds: int(1, 600) }), ec2: obj({ endpoint: text, intervalSeconds: int(1, 86_400) }) }),
  secrets: obj({ vault }),
  rateLimit: obj({
    address: text,
    domain: text,
    denyOnFail: bool,
    rateLimitBeforeAuth: bool,
    requestTimeout: protoDuration,
    enableXRatelimitHeaders: bool,
    tls: envoyTls,
    tokenFile: text,
  }),
  extAuth: obj({ address: required(serviceAddress), tls: envoyTls, tokenFile: text }),
});

/** What the file says, checked (paths in it are resolved against the file's folder). */
export type ConfigFile = Partial<Omit<PorticoConfig, 'sources' | 'leaderElection' | 'rateLimit' | 'extAuth'>> & {
  rateLimit?: RateLimitFileConfig;
  extAuth?: ExtAuthFileConfig;
  sources?: { directory?: Partial<DirectorySourceConfig>; consulKv?: Partial<ConsulKvSourceConfig> };
  leaderElection?: Partial<LeaderElectionConfig>;
};

export function readConfigFile(file: string): ConfigFile {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file '${file}' cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConfigFile(source, file);
}

export function parseConfigFile(source: string, file: string): ConfigFile {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines });
  const at = (offset: number | undefined) => (offset === undefined ? '' : `:${lines.linePos(offset).line}`);
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new ConfigError(`${file}${at(e?.pos[0])}: YAML syntax error: ${e?.message.replace(/ at line \d+[\s\S]*$/, '')}`);
  }
  const value = doc.toJS() ?? {};
  const problems: Problem[] = [];
  check(SCHEMA, value, [], problems);
  if (problems.length) {
    const lineOf = (p: Problem) => {
      for (let n = p.path.length; n > 0; n--) {
        const node = doc.getIn(p.path.slice(0, n), true);
        if (isNode(node)) return at(node.range?.[0]);
      }
      return '';
    };
    throw new ConfigError(problems.map((p) => `${file}${lineOf(p)}: ${formatPath(p.path) || '(top level)'}: ${p.message}`).join('\n'));
  }
  return resolvePaths(value as ConfigFile, dirname(resolve(file)));
}

/** Relative paths in the file are relative to the file, not to wherever the controller was started. */
function resolvePaths(c: ConfigFile, base: string): ConfigFile {
  const abs = <T extends string | undefined>(p: T) => (p === undefined ? p : resolve(base, p)) as T;
  const dir = c.sources?.directory;
  const tls = c.consul?.tls;
  const vault = c.secrets?.vault;
  return {
    ...c,
    ...(c.sources && {
      sources: { ...c.sources, ...(dir && { directory: { ...dir, path: abs(dir.path), statusDir: abs(dir.statusDir), secretsDir: abs(dir.secretsDir) } }) },
    }),
    ...(c.consul && {
      consul: { ...c.consul, tokenFile: abs(c.consul.tokenFile), ...(tls && { tls: absTls(tls, abs) }) },
    }),
    ...(vault && {
      secrets: {
        vault: {
          ...vault,
          tokenFile: abs(vault.tokenFile),
          agentSinkFile: abs(vault.agentSinkFile),
          ...(vault.appRole && { appRole: { ...vault.appRole, roleIdFile: abs(vault.appRole.roleIdFile), secretIdFile: abs(vault.appRole.secretIdFile) } }),
          ...(vault.tls && { tls: absTls(vault.tls, abs) }),
        },
      },
    }),
    ...(c.extAuth?.tokenFile && { extAuth: { ...c.extAuth, tokenFile: abs(c.extAuth.tokenFile) } }),
    ...(c.rateLimit?.tokenFile && { rateLimit: { ...c.rateLimit, tokenFile: abs(c.rateLimit.tokenFile) } }),
  };
}

type TlsFiles = { caFile?: string; certFile?: string; keyFile?: string; serverName?: string };

function absTls<T extends TlsFiles>(tls: T, abs: <P extends string | undefined>(p: P) => P): T {
  return { ...tls, caFile: abs(tls.caFile), certFile: abs(tls.certFile), keyFile: abs(tls.keyFile) };
}

/** The file's settings with the flags and PORTICO_* variables (already merged by the CLI) on top, and defaults. */
export function resolveConfig(file: ConfigFile, overrides: ConfigFile): PorticoConfig {
  const merged = mergeDeep(file, overrides);
  const dir = merged.sources?.directory;
  const kv = merged.sources?.consulKv;
  if (dir && !dir.path) throw new ConfigError('sources.directory needs a path (or --config-dir / PORTICO_CONFIG_DIR)');
  if (!dir && !kv) throw new ConfigError('no resource source: set --config-dir, or sources.directory / sources.consulKv in the config file (--config)');
  if (merged.extAuth && !SERVICE_ADDRESS.test(merged.extAuth.address)) {
    throw new ConfigError(`extAuth.address (--ext-auth-address): expected unix:/absolute/path.sock or HOST:PORT, got '${merged.extAuth.address}'`);
  }
  const rootKey = kv?.rootKey ?? 'portico';
  const consulKv = kv && { rootKey, statusPrefix: kv.statusPrefix ?? `${rootKey}-status` };
  // Portico's own writes under the watched root (`<rootKey>/`) would come back as resource changes.
  const insideRoot = (key: string) => key.startsWith(`${rootKey}/`);
  if (consulKv && (consulKv.statusPrefix === rootKey || insideRoot(consulKv.statusPrefix))) {
    throw new ConfigError(`sources.consulKv.statusPrefix '${consulKv.statusPrefix}' must lie outside rootKey '${rootKey}/' (statuses would be read back as resources)`);
  }
  const lockKey = merged.leaderElection?.key;
  if (consulKv && lockKey !== undefined && insideRoot(lockKey)) {
    throw new ConfigError(`leaderElection.key '${lockKey}' must lie outside rootKey '${rootKey}/' (each acquire and release would wake the resource watch, and a key not named with a dot would be reported as a bad resource); the default is '${consulKv.statusPrefix}/.leader'`);
  }
  return {
    ...(merged.xdsAddress && { xdsAddress: merged.xdsAddress }),
    ...(merged.adminAddress && { adminAddress: merged.adminAddress }),
    ...(merged.controllerName && { controllerName: merged.controllerName }),
    sources: { ...(dir && { directory: dir as DirectorySourceConfig }), ...(consulKv && { consulKv }) },
    consul: merged.consul ?? {},
    leaderElection: { ttlSeconds: 30, lockDelaySeconds: 15, ...merged.leaderElection },
    ...(merged.discovery && { discovery: merged.discovery }),
    ...(merged.extAuth?.address && { extAuth: { address: merged.extAuth.address, ...serviceTransport(merged.extAuth, 'extAuth') } }),
    ...(merged.secrets?.vault && { secrets: { vault: merged.secrets.vault } }),
    ...(merged.rateLimit && { rateLimit: rateLimitSettings(merged.rateLimit) }),
  };
}

/** Gloo's defaults: domain `portico`, fail open, after auth, 100 ms for the service to answer. */
function rateLimitSettings(r: RateLimitFileConfig): RateLimitSettings {
  if (!r.address) throw new ConfigError('rateLimit needs an address (host:port or unix:/path of `portico ratelimit`), or --ratelimit-address');
  if (!r.address.startsWith('unix:')) parseHostPort(r.address, 'rateLimit.address');
  return {
    address: r.address,
    domain: r.domain ?? 'portico',
    denyOnFail: r.denyOnFail ?? false,
    beforeAuth: r.rateLimitBeforeAuth ?? false,
    timeoutMs: protoDurationMs(r.requestTimeout) ?? 100,
    rateLimitHeaders: r.enableXRatelimitHeaders ?? false,
    ...((r.tls || r.tokenFile) && { transport: serviceTransport(r, 'rateLimit') }),
  };
}

/** How Envoy reaches a data-path service: the TLS files as given, the token read from its file (never echoed). */
function serviceTransport(block: { tls?: ServiceTransport['tls']; tokenFile?: string }, name: string): ServiceTransport {
  const { certFile, keyFile } = block.tls ?? {};
  if (Boolean(certFile) !== Boolean(keyFile)) throw new ConfigError(`${name}.tls: certFile and keyFile go together`);
  return { ...(block.tls && { tls: block.tls }), ...(block.tokenFile && { token: readToken(block.tokenFile, `${name}.tokenFile`) }) };
}

function readToken(file: string, field: string): string {
  const token = readSecretFile(file, field);
  // Envoy sends it as an HTTP/2 header value: one word of visible ASCII.
  if (!/^[\x21-\x7e]+$/.test(token)) throw new ConfigError(`${field}: the token in '${file}' must be one word of visible ASCII characters`);
  return token;
}

function mergeDeep<T>(base: T, over: T): T {
  if (!isPlain(base) || !isPlain(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) out[k] = mergeDeep(out[k], v);
  return out as T;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
