// `portico get` against a real Consul (ACLs on, default deny) where a real controller, with the
// least-privilege token, writes the statuses of resources PUT into Consul KV: the table and -o yaml show
// what the controller wrote (a route with a missing backend says so), with the Consul flags or the
// controller's own portico.yaml; a token that may not read the statuses, or that Consul does not know, is
// one line naming the rule or the token problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { Controller } from '../../src/app/controller.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { portico } from '../support/cli.ts';
import { tempDir, waitFor } from '../support/components.ts';
import { aclToken, controllerToken, startConsul, type ConsulAgent } from '../support/consul.ts';

const RESOURCES: Record<string, string> = {
  'gateway.networking.k8s.io/v1/GatewayClass/portico': 'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: { name: portico }\nspec: { controllerName: portico.dev/gateway-controller }\n',
  'gateway.networking.k8s.io/v1/Gateway/default/gw': 'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: gw, namespace: default }\nspec:\n  gatewayClassName: portico\n  listeners: [{ name: http, protocol: HTTP, port: 18080 }]\n',
  'gateway.networking.k8s.io/v1/HTTPRoute/default/web': 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: { name: web, namespace: default }\nspec:\n  parentRefs: [{ name: gw }]\n  rules: [{ backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: missing }] }]\n',
};

async function put(consul: ConsulAgent, key: string, body: string): Promise<void> {
  const res = await consul.fetch(`/v1/kv/${key}`, { method: 'PUT', body });
  assert.equal(res.status, 200, await res.text());
}

test('portico get reads the statuses a controller writes to Consul KV; ACL problems are one line naming the rule', { timeout: 180_000 }, async (t) => {
  const consul = await startConsul(t, { acl: true });
  const controller = new Controller({
    consulKv: { rootKey: 'portico', statusPrefix: 'portico-status' },
    consul: { address: consul.api, token: await controllerToken(consul) },
    xdsAddress: '127.0.0.1:0',
    adminAddress: 'off',
    logger: silentLogger,
  });
  await controller.start();
  t.after(() => controller.stop());
  for (const [key, body] of Object.entries(RESOURCES)) await put(consul, `portico/${key}`, body);
  await waitFor(async () => (await consul.fetch('/v1/kv/portico-status/gateway.networking.k8s.io/HTTPRoute/default/web?raw')).status === 200, { what: 'the route status in Consul' });

  // What `portico get` needs: read on the status prefix, nothing more.
  const dir = await tempDir('get-e2e', t);
  const tokenFile = join(dir, 'reader-token');
  await writeFile(tokenFile, `${await aclToken(consul, 'status-reader', 'key_prefix "portico-status/" { policy = "read" }')}\n`, { mode: 0o600 });
  const consulFlags = ['--consul-address', consul.api, '--consul-token-file', tokenFile];

  const routes = portico(['get', 'httproutes', ...consulFlags]);
  assert.equal(routes.status, 0, routes.stderr);
  const [header, row, ...rest] = routes.stdout.trimEnd().split('\n');
  assert.match(header ?? '', /^NAME +NAMESPACE +ACCEPTED +RESOLVEDREFS +GENERATION$/);
  // The generation of a KV resource is its key's ModifyIndex.
  assert.match(row ?? '', /^web +default +True +False +\d+$/, routes.stdout);
  assert.deepEqual(rest, []);

  const gateway = portico(['get', 'gtw', 'gw', '-n', 'default', ...consulFlags]);
  assert.match(gateway.stdout, /^gw +default +True +True +\d+$/m, gateway.stderr);

  const yaml = parse(portico(['get', 'httproute', 'web', '-o', 'yaml', ...consulFlags]).stdout) as { source: string; status: { parents: { conditions: { type: string; reason: string; message: string }[] }[] } };
  assert.equal(yaml.source, 'portico/gateway.networking.k8s.io/v1/HTTPRoute/default/web:1', 'the key (and the line) the resource came from');
  const resolved = yaml.status.parents[0]?.conditions.find((c) => c.type === 'ResolvedRefs');
  assert.equal(resolved?.reason, 'BackendNotFound');
  assert.match(resolved?.message ?? '', /missing/);

  // The controller's portico.yaml gives the same answer (its prefix and connection; the token file beside it).
  const config = join(dir, 'portico.yaml');
  await writeFile(config, `sources:\n  consulKv: { rootKey: portico }\nconsul:\n  address: ${consul.api}\n  tokenFile: reader-token\n`);
  assert.equal(portico(['get', 'httproutes', '--config', config]).stdout, routes.stdout);

  // A token without read on the prefix: Consul hides the keys instead of refusing; get names the rule.
  await writeFile(tokenFile, `${await aclToken(consul, 'no-status-read', 'key_prefix "portico/" { policy = "read" }')}\n`);
  const denied = portico(['get', 'httproutes', ...consulFlags]);
  assert.equal(denied.status, 1, denied.stdout);
  assert.match(denied.stderr, /^portico: PORTICO_CONSUL: permission denied reading statuses under portico-status\/ at http:\/\/127\.0\.0\.1:\d+; the token needs key_prefix "portico-status\/" \{ policy = "read" \}\n$/);

  await writeFile(tokenFile, '00000000-0000-0000-0000-000000000000\n');
  const unknown = portico(['get', 'httproutes', ...consulFlags]);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /^portico: PORTICO_CONSUL: reading statuses under portico-status\/ at http:\/\/127\.0\.0\.1:\d+: Consul does not know the token \(ACL not found\); check consul\.token \/ tokenFile\n$/);
});
