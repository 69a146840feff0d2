// The acceptance test of "what `portico validate` accepts, Envoy accepts": the generated corpus
// (test/support/corpus) goes through the code path of `portico validate` (readInput → runPipeline →
// inputProblems); what it accepts is translated and checked by Envoy itself (`envoy --mode validate`), and what
// Portico's own services get by their compilers (ext-auth, rate limit). Zero accepted-but-refused is the bar. Valid values must be
// accepted and invalid ones rejected too, so the table keeps saying what it means.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { runPipeline, type PipelineOutput } from '../../src/app/pipeline.ts';
import { inputProblems, readInput } from '../../src/cli/input.ts';
import { compileAuthConfig } from '../../src/extauth/policy.ts';
import type { AuthConfigIr } from '../../src/contracts/extauth.ts';
import { formatProblem, type FieldProblem } from '../../src/lib/errors.ts';
import { re2Addon, re2AddonPath } from '../../src/lib/re2.ts';
import { domainsOf } from '../../src/ratelimit/items.ts';
import { DomainMatcher } from '../../src/ratelimit/matcher.ts';
import { SERVICE_NODE_KEYS } from '../../src/contracts/service-config.ts';
import { requireBinary, tempDir } from '../support/components.ts';
import { baseWorld } from '../support/corpus/build.ts';
import { bisect, envoyValidate, staticBootstrap } from '../support/corpus/envoy.ts';
import { generateCorpus, yamlOf, type CorpusCase } from '../support/corpus/index.ts';

const SECRETS = join(import.meta.dirname, '../../src/gatewayapi/testdata/secrets');
const SERVICES = {
  extAuth: { address: '127.0.0.1:9001' },
  rateLimit: { address: '127.0.0.1:9002', domain: 'portico', denyOnFail: false, beforeAuth: false, timeoutMs: 100, rateLimitHeaders: true },
};

test('validation corpus: every resource portico validate accepts, Envoy accepts', { timeout: 600_000 }, async (t) => {
  const envoy = requireBinary('envoy');
  assert.ok(re2Addon(), `the RE2 addon is not installed at ${re2AddonPath()}: run 'scripts/setup.sh re2'`);
  const dir = await tempDir('validation-corpus', t);
  const cases = generateCorpus();
  await writeFile(join(dir, 'base.yaml'), yamlOf(baseWorld()));
  for (const c of cases) await writeFile(join(dir, `${c.id}.yaml`), c.text);

  // `portico validate -f <dir> --secrets-dir <secrets>`, as src/cli/validate.ts runs it.
  const input = await readInput(dir, SECRETS);
  const problems = inputProblems(runPipeline(input.resources, input.rejected));
  const byFile = groupBy(problems, (p) => basename(p.source?.file ?? p.source?.key ?? ''));
  assert.deepEqual((byFile.get('base.yaml') ?? []).map(formatProblem), [], 'the shared world itself must be valid');
  const accepted = cases.filter((c) => !byFile.has(`${c.id}.yaml`));

  const resources = groupBy(input.resources, (r) => basename(r.source?.file ?? ''));
  const base = [...(resources.get('base.yaml') ?? []), ...input.resources.filter((r) => r.kind === 'Secret')];
  const translated = (subset: readonly CorpusCase[]) => runPipeline([...base, ...subset.flatMap((c) => resources.get(`${c.id}.yaml`) ?? [])], [], SERVICES);

  // Envoy: all accepted cases in one bootstrap; on a refusal, bisect down to the cases responsible.
  const envoyRefused = await bisect(accepted, (subset) => envoyValidate(envoy, dir, staticBootstrap(translated(subset).xds)));
  // Portico's own services: each AuthConfig must compile in the ext-auth service, each rate-limit domain in the
  // rate-limit service (either would NACK its whole configuration otherwise).
  const serviceRefused = accepted.filter((c) => SERVICE_KINDS.includes(c.kind)).flatMap((c) => {
    const refusal = serviceRefusal(translated([c]).services);
    return refusal ? [{ item: c, error: refusal }] : [];
  });
  const wrong = [...envoyRefused, ...serviceRefused];
  const validRejected = cases.filter((c) => c.expect === 'valid' && byFile.has(`${c.id}.yaml`));
  const invalidAccepted = accepted.filter((c) => c.expect === 'invalid');
  const resourceCount = cases.reduce((n, c) => n + (resources.get(`${c.id}.yaml`)?.length ?? 0), 0);
  t.diagnostic(
    `corpus: ${cases.length} generated cases (${count(cases, 'valid')} valid, ${count(cases, 'invalid')} invalid, ${count(cases, 'edge')} edge; ` +
      `${resourceCount} parsed resources), ${cases.length - accepted.length} rejected by validate, ${accepted.length} accepted, ` +
      `${wrong.length} accepted but refused by Envoy or a Portico service`,
  );
  for (const kind of new Set(cases.map((c) => c.kind))) {
    const of = cases.filter((c) => c.kind === kind);
    t.diagnostic(`  ${kind}: ${of.length} cases, ${of.filter((c) => !accepted.includes(c)).length} rejected, ${of.filter((c) => accepted.includes(c)).length} accepted`);
  }
  const describe = (c: CorpusCase) => `${c.id} ${c.kind} ${c.field} = ${c.shown}`;
  const failures = [
    ...wrong.map((w) => `accepted by portico validate, refused: ${describe(w.item)}: ${w.error}`),
    ...validRejected.map((c) => `valid value rejected: ${describe(c)}: ${formatProblem((byFile.get(`${c.id}.yaml`) as FieldProblem[])[0] as FieldProblem)}`),
    ...invalidAccepted.map((c) => `invalid value accepted: ${describe(c)}`),
  ];
  assert.deepEqual(failures, []);
  assert.ok(cases.length >= 500, `at least 500 cases (got ${cases.length})`);
});

/** Kinds whose cases also reach Portico's own services. */
const SERVICE_KINDS = ['AuthConfig', 'RateLimitConfig', 'RouteOption', 'VirtualHostOption'];

function serviceRefusal(services: PipelineOutput['services']): string | undefined {
  try {
    for (const item of services.get(SERVICE_NODE_KEYS.extauth) ?? []) compileAuthConfig(item.config as unknown as AuthConfigIr);
    const limits = services.get(SERVICE_NODE_KEYS.ratelimit) ?? [];
    for (const domain of domainsOf(new Map(limits.map((i) => [i.name, i.config])))) new DomainMatcher(domain);
    return undefined;
  } catch (err) {
    return `refused by Portico's service: ${(err as Error).message}`;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

function count(cases: readonly CorpusCase[], expect: CorpusCase['expect']): number {
  return cases.filter((c) => c.expect === expect).length;
}

