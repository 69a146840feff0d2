// Every job file in nomad/ is one `nomad job validate` accepts (HCL, variables, HCL functions, the job's own
// checks), with the required variables given as an operator would. Needs the nomad binary; no agent: the
// address points at a closed port, so only the driver configuration goes unchecked (the e2e runs the jobs).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, requireBinary } from '../support/components.ts';

const NOMAD_DIR = resolve(import.meta.dirname, '../../nomad');
const ARTIFACT = ['-var', 'artifact_url=https://releases.example.com/portico-1.2.3-linux-x64.tar.gz', '-var', `artifact_sha256=${'0'.repeat(64)}`];
/** The variables each job requires (the others have defaults). */
const REQUIRED: Record<string, string[]> = {
  'portico-controller.nomad.hcl': ARTIFACT,
  'portico-gateway.nomad.hcl': ARTIFACT,
  'echo.nomad.hcl': ARTIFACT,
  'redis.nomad.hcl': [],
};

test('nomad job validate accepts every job in nomad/', async () => {
  const nomad = requireBinary('nomad');
  const files = readdirSync(NOMAD_DIR).filter((f) => f.endsWith('.nomad.hcl'));
  assert.deepEqual(files.sort(), Object.keys(REQUIRED).sort(), 'every job file is listed here with its required variables');
  const env = { ...process.env, NOMAD_ADDR: `http://127.0.0.1:${await freePort()}` };
  for (const file of files) {
    const res = await promisify(execFile)(nomad, ['job', 'validate', ...REQUIRED[file]!, join(NOMAD_DIR, file)], { env }).catch((err: { stdout: string; stderr: string }) => err);
    assert.match(res.stdout, /Job validation successful/, `${file}:\n${res.stdout}\n${res.stderr}`);
  }
});
