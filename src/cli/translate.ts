import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { runPipeline } from '../app/pipeline.ts';
import { formatProblem } from '../lib/errors.ts';
import { readResources } from '../providers/resources/read.ts';

export function translateCommand(): Command {
  return new Command('translate')
    .description('offline: print the Envoy config and the statuses the resources would produce (exit 1 on invalid input)')
    .addOption(new Option('-f, --file <path>', 'a resource file or a folder of them').makeOptionMandatory().env('PORTICO_FILE'))
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml').env('PORTICO_OUTPUT'))
    .action(async (opts) => {
      const input = await readResources(opts.file);
      const out = runPipeline(input.resources, input.rejected);
      const doc = {
        gateways: Object.fromEntries(
          [...out.xds].map(([gw, byType]) => [gw, Object.fromEntries(Object.entries(byType).map(([t, list]) => [t.split('.').pop(), list.map((r) => r.resource)]))]),
        ),
        statuses: out.statuses,
        problems: out.problems.map(formatProblem),
      };
      process.stdout.write(opts.output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }));
      if (out.problems.length) process.exitCode = 1;
    });
}
