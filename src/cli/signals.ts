import type { Logger } from '../lib/logger.ts';
import { installProcessGuard } from '../lib/process-guard.ts';
import { buildInfo } from '../lib/version.ts';

/**
 * Starts something long-running and stops it cleanly on SIGINT/SIGTERM. Once it serves, the process guard
 * keeps an unexpected error from ending it (an error while starting still does: see process-guard.ts).
 */
export async function runUntilSignal(logger: Logger, start: () => Promise<() => Promise<void>>): Promise<void> {
  // Every long-running process says which build it is first: what a log reader needs during a rolling upgrade.
  const { version, commit, node } = buildInfo();
  logger.info({ version, commit, node }, `portico ${version} starting`);
  const stop = await start();
  installProcessGuard(logger);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void stop().finally(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
