// Smoke test: the nomad scripts/setup.sh built runs as a dev agent (server + client in one process) on
// random loopback ports with a temp data dir, elects itself leader, registers its client node, and
// stores and returns a Nomad Variable over its HTTP API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startNomad } from '../support/nomad.ts';

test('nomad: dev agent on random ports elects a leader, registers its node, variables put/get', { timeout: 120_000 }, async (t) => {
  const nomad = await startNomad(t);
  const put = await fetch(`${nomad.api}/v1/var/portico/smoke`, { method: 'PUT', body: JSON.stringify({ Items: { greeting: 'hello from portico' } }) });
  assert.equal(put.status, 200, await put.clone().text());
  const got = (await (await fetch(`${nomad.api}/v1/var/portico/smoke`)).json()) as { Path: string; Items: Record<string, string> };
  assert.equal(got.Path, 'portico/smoke');
  assert.deepEqual(got.Items, { greeting: 'hello from portico' });

  const self = (await (await fetch(`${nomad.api}/v1/agent/self`)).json()) as { config: { Version: { Version: string } } };
  assert.match(self.config.Version.Version, /^1\.\d+\.\d+/);
  nomad.process.assertRunning();
});
