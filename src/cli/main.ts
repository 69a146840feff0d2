// The `portico` command. Subcommands call into the modules; nothing imports the CLI.
import { Command, CommanderError } from 'commander';
import { PorticoError } from '../lib/errors.ts';
import { bootstrapCommand } from './bootstrap.ts';
import { controllerCommand } from './controller.ts';
import { echoCommand } from './echo.ts';
import { extauthCommand } from './extauth.ts';
import { getCommand } from './get.ts';
import { rateLimitCommand } from './ratelimit.ts';
import { translateCommand } from './translate.ts';
import { upCommand } from './up.ts';
import { validateCommand } from './validate.ts';

const program = new Command('portico')
  .description('Portico: a HashiCorp-native control plane for Envoy API gateways')
  .showHelpAfterError()
  .addCommand(controllerCommand())
  .addCommand(upCommand())
  .addCommand(bootstrapCommand())
  .addCommand(translateCommand())
  .addCommand(validateCommand())
  .addCommand(getCommand())
  .addCommand(extauthCommand())
  .addCommand(rateLimitCommand())
  .addCommand(echoCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  // Expected failures (bad flags, missing binaries, unreadable files) get one clear line, not a stack trace.
  const message = err instanceof PorticoError ? `${err.code}: ${err.message}` : err instanceof Error && 'code' in err ? `${String(err.code)}: ${err.message}` : String(err);
  process.stderr.write(`portico: ${message}\n`);
  process.exit(1);
}
