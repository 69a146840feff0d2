// The controller's --xds-tokens-file, re-read when it changes: a token added works, and a token removed
// (revoked) stops working, for new streams, without a restart. A file that does not parse is logged (its
// line, never a token) and the tokens read before stay in force.
import { unwatchFile, watchFile } from 'node:fs';
import type { Logger } from '../lib/logger.ts';
import type { TokenTable } from '../xds/server/identity.ts';
import { readTokensFile } from './options.ts';

export function watchTokensFile(path: string, table: TokenTable, log: Logger, intervalMs = 2000): () => void {
  const reload = () => {
    try {
      table.replace(readTokensFile(path));
      log.info({ file: path, tokens: table.size }, 'xDS tokens: re-read the tokens file');
    } catch (err) {
      log.warn({ file: path }, `xDS tokens: the changed file is not used (${(err as Error).message}); the tokens read before stay in force`);
    }
  };
  watchFile(path, { interval: intervalMs, persistent: false }, reload);
  return () => unwatchFile(path, reload);
}
