// Smoke test: the consul scripts/setup.sh built runs as a dev agent (in-memory server) on random loopback
// ports, elects itself leader, and stores and returns a KV value over its HTTP API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectConsul } from '../../src/consul/client.ts';
import { freePorts, raftLeader, requireBinary, startProcess, tempDir } from '../support/components.ts';

test('consul: dev agent on random ports elects a leader, KV put/get', { timeout: 90_000 }, async (t) => {
  const consul = requireBinary('consul');
  const dir = await tempDir('consul-smoke', t);
  const [http, grpc, serfLan, serfWan, server] = await freePorts(5);
  const api = `http://127.0.0.1:${http}`;
  const proc = await startProcess(
    consul,
    [
      'agent',
      '-dev',
      '-node=portico-smoke',
      '-bind=127.0.0.1',
      '-client=127.0.0.1',
      `-http-port=${http}`,
      `-grpc-port=${grpc}`,
      `-serf-lan-port=${serfLan}`,
      `-serf-wan-port=${serfWan}`,
      `-server-port=${server}`,
      // Not needed here, and their fixed defaults (8600, 8503) would collide with another agent: off.
      '-dns-port=-1',
      '-grpc-tls-port=-1',
      '-log-level=warn',
    ],
    {
      cwd: dir,
      timeoutMs: 60_000,
      // The leader endpoint answers "" until the single dev server has elected itself.
      readyWhen: async () => (await raftLeader(api)) !== '',
    },
  );
  t.after(() => proc.stop());

  assert.equal(await raftLeader(api), `127.0.0.1:${server}`);

  const put = await fetch(`${api}/v1/kv/portico/smoke`, { method: 'PUT', body: 'hello from portico' });
  assert.equal(put.status, 200);
  assert.equal(await put.text(), 'true');

  const raw = await fetch(`${api}/v1/kv/portico/smoke?raw`);
  assert.equal(raw.status, 200);
  assert.equal(await raw.text(), 'hello from portico');

  const entries = (await (await fetch(`${api}/v1/kv/portico/?recurse`)).json()) as Array<{ Key: string; Value: string; ModifyIndex: number }>;
  assert.equal(entries.length, 1);
  assert.equal(entries[0]?.Key, 'portico/smoke');
  assert.equal(Buffer.from(entries[0]?.Value ?? '', 'base64').toString(), 'hello from portico');
  assert.ok((entries[0]?.ModifyIndex ?? 0) > 0);

  // Portico's own client reads what curl wrote.
  const connection = connectConsul({ address: api });
  t.after(() => connection.close());
  const viaClient = (await connection.client.kv.get({ key: 'portico/smoke' })) as { Value: string } | undefined;
  assert.equal(viaClient?.Value, 'hello from portico');

  const self = (await (await fetch(`${api}/v1/agent/self`)).json()) as { Config: { Version: string } };
  assert.match(self.Config.Version, /^1\.\d+\.\d+/);
  proc.assertRunning();
});
