// Smoke test: the nomad scripts/setup.sh built runs as a dev agent (server + client in one process) on
// random loopback ports with a temp data dir, elects itself leader, registers its client node, and
// stores and returns a Nomad Variable over its HTTP API.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePorts, raftLeader, requireBinary, startProcess, tempDir, waitFor } from '../support/components.ts';

test('nomad: dev agent on random ports elects a leader, registers its node, variables put/get', { timeout: 120_000 }, async (t) => {
  const nomad = requireBinary('nomad');
  const dir = await tempDir('nomad-smoke', t);
  const [http, rpc, serf] = await freePorts(3);
  const api = `http://127.0.0.1:${http}`;
  const config = join(dir, 'agent.hcl');
  // -dev's fixed ports (4646-4648) would collide with another agent: random ones. Its Consul
  // integration would register this agent with whatever Consul listens on 127.0.0.1:8500 (a developer's
  // own): switched off, the smoke test needs no Consul. The cloud fingerprinters probe metadata endpoints
  // a loopback test has no use for, and the AWS one fails the agent outright when AWS_CA_BUNDLE is set
  // (as on machines with a corporate CA): denied. The data dir (server state, client allocs) is ours,
  // so it goes with the test.
  await writeFile(
    config,
    `
data_dir = "${join(dir, 'data')}"
bind_addr = "127.0.0.1"
ports {
  http = ${http}
  rpc  = ${rpc}
  serf = ${serf}
}
consul {
  auto_advertise   = false
  server_auto_join = false
  client_auto_join = false
}
client {
  options = {
    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
  }
}
`,
  );
  const proc = await startProcess(nomad, ['agent', '-dev', `-config=${config}`, '-log-level=WARN'], {
    cwd: dir,
    env: { HOME: dir },
    timeoutMs: 60_000,
    readyWhen: async () => (await raftLeader(api)) !== '',
  });
  t.after(() => proc.stop());

  assert.equal(await raftLeader(api), `127.0.0.1:${rpc}`);

  // The client half registers its node with the server half.
  let nodes: Array<{ Name: string; Status: string }> = [];
  await waitFor(
    async () => {
      nodes = (await (await fetch(`${api}/v1/nodes`)).json()) as typeof nodes;
      return nodes.some((n) => n.Status === 'ready');
    },
    { timeoutMs: 45_000, intervalMs: 250, what: () => `a ready client node (nodes: ${JSON.stringify(nodes)})`, abortIf: () => proc.exitReason() },
  );

  const put = await fetch(`${api}/v1/var/portico/smoke`, { method: 'PUT', body: JSON.stringify({ Items: { greeting: 'hello from portico' } }) });
  assert.equal(put.status, 200, await put.clone().text());
  const got = (await (await fetch(`${api}/v1/var/portico/smoke`)).json()) as { Path: string; Items: Record<string, string> };
  assert.equal(got.Path, 'portico/smoke');
  assert.deepEqual(got.Items, { greeting: 'hello from portico' });

  const self = (await (await fetch(`${api}/v1/agent/self`)).json()) as { config: { Version: { Version: string } } };
  assert.match(self.config.Version.Version, /^1\.\d+\.\d+/);
  proc.assertRunning();
});
