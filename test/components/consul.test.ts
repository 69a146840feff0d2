// Smoke test: the consul scripts/setup.sh built runs as a dev agent (in-memory server) on random loopback
// ports, elects itself leader, and stores and returns a KV value over its HTTP API.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectConsul } from '../../src/consul/client.ts';
import { raftLeader } from '../support/components.ts';
import { startConsul } from '../support/consul.ts';

test('consul: dev agent on random ports elects a leader, KV put/get', { timeout: 90_000 }, async (t) => {
  const agent = await startConsul(t, { node: 'portico-smoke' });
  const api = agent.api;
  assert.equal(await raftLeader(api), `127.0.0.1:${agent.serverPort}`);

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
  agent.process().assertRunning();
});
