import { Command, Option } from 'commander';
import { runPipeline } from '../app/pipeline.ts';
import { UNCHECKED_PKI_ROLES } from '../gatewayapi/pki-roles.ts';
import { formatProblem } from '../lib/errors.ts';
import { RE2_MISSING, re2Addon, re2AddonPath } from '../lib/re2.ts';
import { inputProblems, readInput, secretsDirOption } from './input.ts';

export function validateCommand(): Command {
  return new Command('validate')
    .description('check resources: print every problem as file:line: resource: field: message (exit 1 if any)')
    .addOption(new Option('-f, --file <path>', 'a resource file or a folder of them').makeOptionMandatory().env('PORTICO_FILE'))
    .addOption(secretsDirOption())
    .action(async (opts) => {
      if (!re2Addon()) process.stderr.write(`warning: ${RE2_MISSING} (looked at ${re2AddonPath()})\n`);
      const input = await readInput(opts.file, opts.secretsDir);
      const problems = inputProblems(runPipeline(input.resources, input.rejected, { pkiRoles: UNCHECKED_PKI_ROLES }));
      for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      const summary = `${input.resources.length} valid resource(s), ${input.rejected.length} rejected document(s), ${problems.length} problem(s) in ${input.files} file(s)`;
      process.stderr.write(`${summary}\n`);
      if (problems.length) process.exitCode = 1;
    });
}
