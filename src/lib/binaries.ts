// Locating the real components Portico drives (Envoy, …): an explicit PORTICO_<NAME> path, the set-up
// cache (scripts/setup.sh links everything into $PORTICO_CACHE/bin), then PATH.
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PorticoError } from './errors.ts';

export class MissingBinaryError extends PorticoError {
  constructor(name: string, hint: string) {
    super('PORTICO_IO', `${name} not found (looked at $PORTICO_${envName(name)}, ${cacheBin()} and PATH): ${hint}`);
  }
}

export function cacheRoot(): string {
  return process.env.PORTICO_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'portico');
}

function cacheBin(): string {
  return join(cacheRoot(), 'bin');
}

function envName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

export function findBinary(name: string, hint = `run 'scripts/setup.sh' (or 'make setup') to install it`): string {
  const explicit = process.env[`PORTICO_${envName(name)}`];
  const candidates = [...(explicit ? [explicit] : []), join(cacheBin(), name), ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name))];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not this one
    }
  }
  throw new MissingBinaryError(name, hint);
}
