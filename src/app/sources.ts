// The controller's resource sources, as one ordered list. Each publishes whole snapshots into the store under
// its name; the order of the list is the precedence on a name clash (the first listed wins, whoever publishes
// first) and the order they start in:
//   1. secrets    TLS Secrets in the secrets folder (`<configDir>/.secrets`)
//   2. vault      Secrets from Vault KV v2
//   3. directory  the watched config folder
//   4. consulKv   Consul KV (`sources.consulKv`)
//   5. vaultPki   the certificates Vault PKI issues for listeners and Upstreams: what an operator wrote under
//                 the same name wins over what Portico has issued
// Adding a source: a class with start(publish)/stop() (and problem()) in providers/, and one line below.
import { join, resolve } from 'node:path';
import type { Logger } from '../lib/logger.ts';
import { FileResourceProvider } from '../providers/resources/file.ts';
import type { SourceSnapshot } from '../api/source.ts';
import { FileSecretProvider } from '../providers/secrets/file.ts';
import type { ConsulKvParts } from './consul-kv.ts';
import type { VaultParts } from './vault.ts';

export interface ResourceSource {
  /** Its name in the store (and so its place in the precedence). */
  readonly name: string;
  /** Publishes its first snapshot (or notes in problem() why it cannot) before resolving, then every change. */
  start(publish: (snap: SourceSnapshot) => void): Promise<void> | void;
  stop(): Promise<void> | void;
  /** Why it is not following what it reads right now (undefined while it is); shown in /healthz. */
  problem?(): string | undefined;
}

export interface SourceParts {
  /** The watched folder; its secrets folder defaults to `<configDir>/.secrets`. */
  configDir?: string;
  secretsDir?: string;
  vault?: VaultParts;
  consulKv?: ConsulKvParts;
  logger: Logger;
}

/** The sources configured, highest precedence first. */
export function resourceSources(parts: SourceParts): ResourceSource[] {
  const { configDir, vault, consulKv, logger } = parts;
  const secretsDir = configDir && resolve(parts.secretsDir ?? join(configDir, '.secrets'));
  const list: (ResourceSource | '' | false | undefined)[] = [
    secretsDir && named('secrets', new FileSecretProvider({ dir: secretsDir, logger: logger.child({ component: 'secret-source', dir: secretsDir }) })),
    vault && named('vault', vault.kv),
    configDir && named('directory', new FileResourceProvider({ dir: resolve(configDir), logger: logger.child({ component: 'file-source' }) })),
    consulKv && named('consulKv', consulKv.provider),
    vault && named('vaultPki', vault.pki),
  ];
  return list.filter((s): s is ResourceSource => Boolean(s));
}

type Unnamed = Pick<ResourceSource, 'start' | 'stop'> & Partial<Pick<ResourceSource, 'problem'>>;

function named(name: string, source: Unnamed): ResourceSource {
  return {
    name,
    start: (publish) => source.start(publish),
    stop: () => source.stop(),
    ...(source.problem && { problem: () => source.problem?.() }),
  };
}
