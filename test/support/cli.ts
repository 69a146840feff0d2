// bin/portico as a user runs it: its path, and the environment to run it in.
import { fileURLToPath } from 'node:url';

export const PORTICO = fileURLToPath(new URL('../../bin/portico', import.meta.url));

/**
 * This process's environment without PORTICO_* settings that would change what is tested (the cache location
 * stays), with PORTICO_NODE = the Node.js running the tests (22.18+), and `extra` on top.
 */
export function porticoEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PORTICO_') || k === 'PORTICO_CACHE') env[k] = v;
  return { ...env, PORTICO_NODE: process.execPath, ...extra };
}
