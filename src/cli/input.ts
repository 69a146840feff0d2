// What the offline commands (translate, validate) read: the resources of -f and the TLS Secrets the
// controller would read beside them, so HTTPS listeners are checked against their real certificates.
import { Option } from 'commander';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PipelineOutput } from '../app/pipeline.ts';
import { notIssuedYet } from '../gatewayapi/pki.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { readResources } from '../providers/resources/read.ts';
import { readSecrets } from '../providers/secrets/file.ts';

export const secretsDirOption = (): Option =>
  new Option('--secrets-dir <dir>', 'Secrets as <dir>/<namespace>/<name>/<key> (tls.crt + tls.key, htpasswd, api-key, …; default <folder>/.secrets when -f is a folder)').env('PORTICO_SECRETS_DIR');

export async function readInput(file: string, secretsDir: string | undefined): ReturnType<typeof readResources> {
  const input = await readResources(file);
  const dir = secretsDir ?? ((await stat(file)).isDirectory() ? join(file, '.secrets') : undefined);
  if (!dir) return input;
  const rejected = [...input.rejected];
  const secrets = await readSecrets(dir, rejected);
  return { ...input, resources: [...input.resources, ...secrets], rejected };
}

/**
 * The problems of the input. Offline nothing issues Vault PKI certificates, so a listener waiting for one is
 * not a problem of the input: the controller issues it. Those listeners show as unresolved in the statuses.
 */
export function inputProblems(out: Pick<PipelineOutput, 'problems' | 'certificateRequests'>): FieldProblem[] {
  const pending = out.certificateRequests.map(notIssuedYet);
  return out.problems.filter((p) => !pending.some((m) => p.message.startsWith(m)));
}
