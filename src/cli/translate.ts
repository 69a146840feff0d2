import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { runPipeline } from '../app/pipeline.ts';
import { UNCHECKED_PKI_ROLES } from '../gatewayapi/pki-roles.ts';
import { redactAuthConfig, redacted } from '../ir/redact.ts';
import { formatProblem } from '../lib/errors.ts';
import { TYPE_URLS, type NamedResource } from '../xds/resources.ts';
import { inputProblems, readInput, secretsDirOption } from './input.ts';

export function translateCommand(): Command {
  return new Command('translate')
    .description('offline: print the Envoy config and the statuses the resources would produce (exit 1 on invalid input)')
    .addOption(new Option('-f, --file <path>', 'a resource file or a folder of them').makeOptionMandatory().env('PORTICO_FILE'))
    .addOption(secretsDirOption())
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml').env('PORTICO_OUTPUT'))
    .action(async (opts) => {
      const input = await readInput(opts.file, opts.secretsDir);
      const out = runPipeline(input.resources, input.rejected, { pkiRoles: UNCHECKED_PKI_ROLES });
      const problems = inputProblems(out);
      const doc = {
        gateways: Object.fromEntries(
          [...out.xds].map(([gw, byType]) => [gw, Object.fromEntries(Object.entries(byType).map(([t, list]) => [t.split('.').pop(), list.map((r) => (t === TYPE_URLS.secret ? redactKey(r) : r.resource))]))]),
        ),
        // What the ext-auth service would be streamed, credentials redacted.
        ...(out.ir.authConfigs && { authConfigs: out.ir.authConfigs.map(redactAuthConfig) }),
        statuses: out.statuses,
        problems: problems.map(formatProblem),
      };
      process.stdout.write(opts.output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }));
      if (problems.length) process.exitCode = 1;
    });
}

/** Private keys never reach a terminal: the certificate shows, the key by its fingerprint only. */
function redactKey(secret: NamedResource): Record<string, unknown> {
  const tls = secret.resource.tls_certificate as { private_key: { inline_string: string } };
  return { ...secret.resource, tls_certificate: { ...tls, private_key: { inline_string: redacted(tls.private_key.inline_string) } } };
}
