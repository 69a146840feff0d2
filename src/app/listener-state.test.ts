import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { listenerProblem, portInUse } from './listener-state.ts';

test('portInUse: a port another socket listens on, and a free one', async (t) => {
  const other = createServer();
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => other.close(resolve)));
  const port = (other.address() as { port: number }).port;
  assert.equal(await portInUse('127.0.0.1', port), true);
  await new Promise((resolve) => other.close(resolve));
  assert.equal(await portInUse('127.0.0.1', port), false, 'free again (and the probe released it)');
  assert.equal(await portInUse('127.0.0.1', port), false);
});

test('listenerProblem names the port plainly and never says ready', () => {
  const failed = { state: 'failed', details: "cannot bind '0.0.0.0:8080': Address already in use" } as const;
  assert.equal(
    listenerProblem('default/http', 8080, failed, true),
    "gateway default/http: port 8080 is taken by another process, so Envoy cannot listen there and the gateway is not ready; stop what uses port 8080 or change the Gateway's port (Envoy: cannot bind '0.0.0.0:8080': Address already in use)",
  );
  assert.match(listenerProblem('default/http', 8080, { state: 'pending' }, true), /port 8080 is taken by another process/);
  assert.equal(listenerProblem('default/http', 8080, { state: 'pending' }, false), 'gateway default/http: Envoy has not opened port 8080 yet; not ready');
  assert.match(listenerProblem('default/http', 80, { state: 'failed', details: 'Permission denied' }, false), /Envoy cannot listen on port 80, so the gateway is not ready \(Envoy: Permission denied\)/);
});
