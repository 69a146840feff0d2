import type { Logger } from '../lib/logger.ts';

/** Starts something long-running and stops it cleanly on SIGINT/SIGTERM. */
export async function runUntilSignal(logger: Logger, start: () => Promise<() => Promise<void>>): Promise<void> {
  const stop = await start();
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
