// The `portico` command. Subcommands call into the modules; nothing imports the CLI.
import { Command, CommanderError } from 'commander';
import { PorticoError } from '../lib/errors.ts';
import type { Command as Subcommand } from 'commander';
import { versionLine } from '../lib/version.ts';

// Each subcommand's module is loaded only when it runs (all of them for help and errors): the data-path
// services then carry none of the controller's modules (AWS SDK, Consul, Vault clients), a third of the heap,
// which every garbage collection of theirs would walk.
const SUBCOMMANDS: Record<string, () => Promise<Subcommand>> = {
  controller: async () => (await import('./controller.ts')).controllerCommand(),
  up: async () => (await import('./up.ts')).upCommand(),
  bootstrap: async () => (await import('./bootstrap.ts')).bootstrapCommand(),
  translate: async () => (await import('./translate.ts')).translateCommand(),
  validate: async () => (await import('./validate.ts')).validateCommand(),
  get: async () => (await import('./get.ts')).getCommand(),
  extauth: async () => (await import('./extauth.ts')).extauthCommand(),
  ratelimit: async () => (await import('./ratelimit.ts')).rateLimitCommand(),
  echo: async () => (await import('./echo.ts')).echoCommand(),
  version: async () => new Command('version').description('print the version, the commit it was built from and the Node.js running it').action(() => console.log(versionLine())),
};
/** Flags answered by the program itself: no subcommand needs loading for them. */
const OWN_FLAGS = ['-V', '--version'];

const program = new Command('portico')
  .description('Portico: a HashiCorp-native control plane for Envoy API gateways')
  // Not commander's .version(string): that would ask git for the commit on every command, not only this one.
  .option('-V, --version', 'print the version (as `portico version`)')
  .on('option:version', () => {
    console.log(versionLine());
    process.exit(0);
  })
  .showHelpAfterError();
const asked = process.argv[2] ?? '';
const load = OWN_FLAGS.includes(asked) ? [] : Object.hasOwn(SUBCOMMANDS, asked) ? [asked] : Object.keys(SUBCOMMANDS);
for (const name of load) {
  program.addCommand(await (SUBCOMMANDS[name] as () => Promise<Subcommand>)());
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  // Expected failures (bad flags, missing binaries, unreadable files) get one clear line, not a stack trace.
  const message = err instanceof PorticoError ? `${err.code}: ${err.message}` : err instanceof Error && 'code' in err ? `${String(err.code)}: ${err.message}` : String(err);
  process.stderr.write(`portico: ${message}\n`);
  process.exit(1);
}
