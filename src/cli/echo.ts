import { Command, Option } from 'commander';
import { startEcho } from '../echo/server.ts';
import { parseHostPort } from '../lib/address.ts';
import { loggerFrom, logOptions } from './options.ts';
import { runUntilSignal } from './signals.ts';

export function echoCommand(): Command {
  const cmd = new Command('echo')
    .description('run the echo upstream: answers with JSON describing the request it saw (?delay=ms, ?status=code, ?key=k&fail=n, WebSocket)')
    .addOption(new Option('--listen <host:port>', 'address to listen on').default('127.0.0.1:18080').env('PORTICO_ECHO_LISTEN'))
    .addOption(new Option('--name <name>', 'backend name reported in replies').default('echo').env('PORTICO_ECHO_NAME'));
  for (const o of logOptions()) cmd.addOption(o);
  return cmd.action(async (opts) => {
    const logger = loggerFrom(opts);
    const { host, port } = parseHostPort(opts.listen, '--listen');
    await runUntilSignal(logger, async () => {
      const echo = await startEcho({ name: opts.name, host, port, logger });
      logger.info({ url: `http://${host}:${echo.port}/` }, 'echo upstream listening');
      return () => echo.close();
    });
  });
}
