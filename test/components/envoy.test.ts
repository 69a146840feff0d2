// Smoke test: the Envoy scripts/setup.sh installed starts from a static bootstrap on loopback ports,
// reports LIVE on its admin /ready, serves a static listener, and stops.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePorts, requireBinary, startProcess, tempDir } from '../support/components.ts';

test('envoy: starts from a static bootstrap, /ready is LIVE, serves a direct response', { timeout: 60_000 }, async (t) => {
  const envoy = requireBinary('envoy');
  const dir = await tempDir('envoy-smoke', t);
  const [adminPort, listenerPort] = await freePorts(2);
  const bootstrap = {
    node: { id: 'portico-smoke', cluster: 'portico-smoke' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
    static_resources: {
      listeners: [
        {
          name: 'smoke',
          address: { socket_address: { address: '127.0.0.1', port_value: listenerPort } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    stat_prefix: 'smoke',
                    route_config: {
                      virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'portico smoke' } } }] }],
                    },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  };
  const config = join(dir, 'bootstrap.json');
  await writeFile(config, JSON.stringify(bootstrap));

  const admin = `http://127.0.0.1:${adminPort}`;
  // --disable-hot-restart: no shared memory, so parallel Envoys (other tests) cannot collide on a base id.
  const proc = await startProcess(envoy, ['-c', config, '--disable-hot-restart', '--log-level', 'warn', '--drain-time-s', '1'], {
    cwd: dir,
    timeoutMs: 30_000,
    readyWhen: async () => (await fetch(`${admin}/ready`)).ok,
  });
  t.after(() => proc.stop());

  const ready = await fetch(`${admin}/ready`);
  assert.equal(ready.status, 200);
  assert.equal((await ready.text()).trim(), 'LIVE');

  const res = await fetch(`http://127.0.0.1:${listenerPort}/anything`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'portico smoke');

  const info = (await (await fetch(`${admin}/server_info`)).json()) as { state: string; version: string };
  assert.equal(info.state, 'LIVE');
  assert.match(info.version, /\/1\.\d+\.\d+\//);
  proc.assertRunning();
});
