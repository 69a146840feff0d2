// Gloo Upstream options and UpstreamGroups, served by a real Envoy: a weighted group split, an h2c upstream,
// health checks and outlier detection ejecting a failing host, TLS (with a client certificate) to an
// upstream, load balancing policies as Envoy applied them, and a group with a missing Upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer as createH2Server, createServer as createH2cServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tempDir, waitFor } from '../support/components.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';
import { envoyStat } from '../support/envoy-admin.ts';
import { countBackends, startGateway, type GatewayEnv } from '../support/gateway.ts';
import { assertShare } from '../support/statistics.ts';
import { makeCertificates, writeCertificates } from '../support/tls.ts';

type Request = IncomingMessage | Http2ServerRequest;
type Handler = (req: Request, res: Pick<ServerResponse | Http2ServerResponse, 'statusCode' | 'setHeader' | 'end'>) => void;

/** Starts a test-local server on loopback, closed after the test; returns its port. */
async function listen(t: { after(fn: () => unknown): void }, server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as AddressInfo).port;
}

/** Answers like the echo upstream does, with what the connection looked like. */
function reply(name: string, extra: (req: Request) => Record<string, unknown> = () => ({})): Handler {
  return (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ backend: name, protocol: req.httpVersion, ...extra(req) }));
  };
}

/** A host that fails every request (and so every health check). */
const failing: Handler = (_req, res) => {
  res.statusCode = 503;
  res.end('down');
};

/** `ports`: numbers, or `${backend}` placeholders the harness fills in. */
function optionsUpstream(name: string, ports: (number | string)[], options: string): string {
  return `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: ${name}, namespace: default }
spec:
  static:
    hosts: [${ports.map((p) => `{ addr: 127.0.0.1, port: ${p} }`).join(', ')}]
${options}
`;
}

const GROUP = `
apiVersion: gloo.solo.io/v1
kind: UpstreamGroup
metadata: { name: canary, namespace: default }
spec:
  destinations:
    - destination: { upstream: { name: a } }
      weight: 80
    - destination: { upstream: { name: b } }
      weight: 20
`;

function groupRoute(name: string, path: string, group: string): string {
  return route(name, `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]
      backendRefs:
        - { group: gloo.solo.io, kind: UpstreamGroup, name: ${group} }`);
}

function pathRoute(name: string, path: string, target: string): string {
  return route(name, `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]
      backendRefs:
${backend(target)}`);
}

interface HostStatus {
  address: { socket_address: { port_value: number } };
  health_status: Record<string, unknown>;
}

/** Envoy's view of one host of a cluster (admin /clusters), e.g. its failed_active_health_check flag. */
async function hostHealth(gw: GatewayEnv, cluster: string, port: number): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${gw.envoy.adminPort}/clusters?format=json`);
  const body = (await res.json()) as { cluster_statuses: { name: string; host_statuses?: HostStatus[] }[] };
  const hosts = body.cluster_statuses.find((c) => c.name === cluster)?.host_statuses ?? [];
  return hosts.find((h) => h.address.socket_address.port_value === port)?.health_status ?? {};
}

/** The cluster as Envoy accepted it (admin /config_dump). */
async function activeCluster(gw: GatewayEnv, name: string): Promise<Record<string, any> | undefined> {
  const res = await fetch(`http://127.0.0.1:${gw.envoy.adminPort}/config_dump?resource=dynamic_active_clusters`);
  const body = (await res.json()) as { configs: { cluster: Record<string, any> }[] };
  return body.configs.find((c) => c.cluster.name === name)?.cluster;
}

test('Upstream options and UpstreamGroups', async (t) => {
  const h2c = await listen(t, createH2cServer(reply('h2c')) as unknown as Server);
  const failingHc = await listen(t, createHttpServer(failing));
  const failingOd = await listen(t, createHttpServer(failing));
  const certs = makeCertificates();
  const files = writeCertificates(certs, await tempDir('upstream-tls', t));
  const peer = (req: Request) => {
    const socket = req.socket as TLSSocket;
    return { client: socket.authorized ? socket.getPeerCertificate().subject.CN : null, sni: socket.servername };
  };
  // A client certificate is asked for, not required, so the reply can say whether Envoy sent one.
  const tlsPort = await listen(t, createHttpsServer({ key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true, rejectUnauthorized: false }, reply('tls', peer)));
  // Portico sets no ALPN list for HTTP/2 over TLS: Envoy offers h2 for the protocol it speaks.
  const alpn = (req: Request) => ({ alpn: (req.socket as TLSSocket).alpnProtocol });
  const h2Port = await listen(t, createH2Server({ key: certs.serverKey, cert: certs.serverCert }, reply('h2', alpn)) as unknown as Server);
  const ssl = (san: string) => `  sslConfig:
    sni: localhost
    sslFiles: { rootCa: ${files.ca}, tlsCert: ${files.clientCert}, tlsKey: ${files.clientKey} }
    verifySubjectAltName: [${san}]`;

  const gw = await startGateway(t, {
    backends: ['a', 'b'],
    files: {
      'gateway.yaml': GATEWAY,
      'upstreams.yaml': [upstream('a'), upstream('b'), GROUP].join('---'),
      'options.yaml': [
        optionsUpstream('h2c', [h2c], '  useHttp2: true'),
        optionsUpstream('checked', ['${a}', failingHc], '  healthChecks:\n    - { timeout: 1s, interval: 0.2s, noTrafficInterval: 0.2s, unhealthyThreshold: 1, healthyThreshold: 1, httpHealthCheck: { path: /health } }'),
        // Envoy's default maxEjectionPercent (10%) ejects no host of two.
        optionsUpstream('outlier', ['${b}', failingOd], '  outlierDetection: { consecutive5xx: 2, interval: 0.1s, baseEjectionTime: 60s, maxEjectionPercent: 50 }'),
        optionsUpstream('pair', ['${a}', '${b}'], '  loadBalancerConfig: { roundRobin: {} }'),
        optionsUpstream('random', ['${a}', '${b}'], '  loadBalancerConfig: { random: {} }'),
        optionsUpstream('least', ['${a}'], '  loadBalancerConfig: { leastRequest: { choiceCount: 3 } }\n  connectionConfig: { connectTimeout: 0.5s }\n  circuitBreakers: { maxConnections: 7, maxRetries: 1 }'),
        optionsUpstream('ring', ['${a}', '${b}'], '  loadBalancerConfig: { ringHash: { ringHashConfig: { minimumRingSize: 64, maximumRingSize: 1024 } } }'),
        `\napiVersion: gloo.solo.io/v1\nkind: UpstreamGroup\nmetadata: { name: partial, namespace: default }\nspec:\n  destinations:\n    - { destination: { upstream: { name: a } }, weight: 1 }\n    - { destination: { upstream: { name: ghost } }, weight: 1 }\n`,
        optionsUpstream('tls', [tlsPort], ssl('localhost')),
        optionsUpstream('tls-wrong-san', [tlsPort], ssl('other.example')),
        optionsUpstream('h2', [h2Port], `${ssl('localhost')}\n  useHttp2: true`),
        `\napiVersion: gloo.solo.io/v1\nkind: Upstream\nmetadata: { name: gloo-tls, namespace: default }\nspec:\n  static: { hosts: [{ addr: 127.0.0.1, port: ${tlsPort}, sniAddr: sni.example }], useTls: true }\n`,
      ].join('---'),
      'routes.yaml': [
        groupRoute('group', '/group', 'canary'),
        pathRoute('h2c', '/h2c', 'h2c'),
        pathRoute('checked', '/checked', 'checked'),
        pathRoute('outlier', '/outlier', 'outlier'),
        pathRoute('pair', '/pair', 'pair'),
        pathRoute('random', '/random', 'random'),
        pathRoute('least', '/least', 'least'),
        pathRoute('ring', '/ring', 'ring'),
        groupRoute('partial', '/partial', 'partial'),
        pathRoute('tls', '/tls', 'tls'),
        pathRoute('tls-wrong-san', '/wrong-san', 'tls-wrong-san'),
        pathRoute('gloo-tls', '/gloo-tls', 'gloo-tls'),
        pathRoute('h2', '/h2', 'h2'),
      ].join('---'),
    },
  });
  await gw.until('/group', (r) => r.status === 200);

  await t.test('an UpstreamGroup splits 80/20 over 1000 requests (binomial tolerance)', async () => {
    const counts = await countBackends(gw, '/group', 1000);
    assertShare(counts, 'a', 0.8, 1000);
    assert.equal((counts.a ?? 0) + (counts.b ?? 0), 1000, JSON.stringify(counts));
  });

  await t.test('useHttp2 speaks cleartext HTTP/2 (h2c) to the upstream', async () => {
    const r = await gw.until('/h2c', (res) => res.status === 200);
    assert.equal(r.json?.backend, 'h2c');
    assert.equal((r.json as Record<string, unknown>).protocol, '2.0');
  });

  await t.test('active HTTP health checks take a failing host out of rotation', async () => {
    await waitFor(async () => (await hostHealth(gw, 'upstream/default/checked', failingHc)).failed_active_health_check === true, { what: 'the failing host to fail its health check' });
    assert.deepEqual(await countBackends(gw, '/checked', 50), { a: 50 });
  });

  await t.test('outlier detection ejects a host after consecutive 5xx', async () => {
    let health: Record<string, unknown> = {};
    await waitFor(async () => {
      await gw.get('/outlier');
      health = await hostHealth(gw, 'upstream/default/outlier', failingOd);
      return health.failed_outlier_check === true;
    }, { what: () => `the failing host to be ejected (its health: ${JSON.stringify(health)})` });
    assert.deepEqual(await countBackends(gw, '/outlier', 50), { b: 50 });
  });

  await t.test('round robin alternates between the hosts; random is applied as Envoy RANDOM', async () => {
    // Round robin is Envoy's default, so the traffic alone cannot show the option was read: the config Envoy holds
    // must say so (config_dump leaves a default enum out), and the other policy of the same option must arrive.
    const pair = await activeCluster(gw, 'upstream/default/pair');
    assert.ok(pair, 'Envoy has the cluster');
    assert.equal(pair.lb_policy ?? 'ROUND_ROBIN', 'ROUND_ROBIN', JSON.stringify(pair));
    assert.equal((await activeCluster(gw, 'upstream/default/random'))?.lb_policy, 'RANDOM');
    const counts = await countBackends(gw, '/pair', 40);
    assert.ok(Math.abs((counts.a ?? 0) - (counts.b ?? 0)) <= 4, JSON.stringify(counts));
  });

  await t.test('Envoy applied least request, ring hash, the connect timeout and circuit breakers', async () => {
    const least = await activeCluster(gw, 'upstream/default/least');
    assert.equal(least?.lb_policy, 'LEAST_REQUEST');
    assert.equal(least?.least_request_lb_config?.choice_count, 3);
    assert.equal(least?.connect_timeout, '0.500s');
    assert.deepEqual(least?.circuit_breakers?.thresholds, [{ max_connections: 7, max_retries: 1 }]);
    assert.equal((await gw.get('/least')).json?.backend, 'a');
    const ring = await activeCluster(gw, 'upstream/default/ring');
    assert.equal(ring?.lb_policy, 'RING_HASH');
    assert.deepEqual(ring?.ring_hash_lb_config, { minimum_ring_size: '64', maximum_ring_size: '1024' });
    assert.equal((await gw.get('/ring')).status, 200);
  });

  await t.test("a group's missing Upstream: its share answers 500, and the route says BackendNotFound", async () => {
    const statuses = await Promise.all(Array.from({ length: 60 }, () => gw.get('/partial').then((r) => r.status)));
    assert.ok(statuses.includes(200) && statuses.includes(500), `expected a mix of 200 and 500, got ${statuses.join(',')}`);
    const text = JSON.stringify(await gw.status('gateway.networking.k8s.io/HTTPRoute/default/partial'));
    assert.match(text, /"type":"ResolvedRefs","status":"False","reason":"BackendNotFound"/);
    assert.match(text, /UpstreamGroup default\/partial: spec\.destinations\[1\]\.destination\.upstream: Upstream default\/ghost not found/);
  });

  await t.test('TLS to the upstream: SNI, the CA, a SAN check and a client certificate', async () => {
    const r = await gw.until('/tls', (res) => res.status === 200);
    assert.deepEqual(r.json, { backend: 'tls', protocol: '1.1', client: 'envoy', sni: 'localhost' });
    // A 503 alone could be any failure: Envoy's counter says the handshake failed on the SAN check.
    const sanFailures = () => envoyStat(gw.envoy.adminPort, 'cluster.upstream/default/tls-wrong-san.ssl.fail_verify_san');
    const before = await sanFailures();
    assert.equal((await gw.get('/wrong-san')).status, 503, 'a certificate without the expected SAN must be refused');
    assert.ok((await sanFailures()) > before, 'ssl.fail_verify_san counted the refusal');
    assert.equal(await envoyStat(gw.envoy.adminPort, 'cluster.upstream/default/tls.ssl.fail_verify_san'), 0, 'the right SAN passes the same check');
  });

  await t.test('useHttp2 with sslConfig speaks HTTP/2 over TLS, offering ALPN h2', async () => {
    const r = await gw.until('/h2', (res) => res.status === 200);
    assert.deepEqual(r.json, { backend: 'h2', protocol: '2.0', alpn: 'h2' });
  });

  await t.test("Gloo's static useTls with a host's sniAddr: TLS without a client certificate, that server name", async () => {
    const r = await gw.until('/gloo-tls', (res) => res.status === 200);
    assert.deepEqual(r.json, { backend: 'tls', protocol: '1.1', client: null, sni: 'sni.example' });
  });

  await t.test('a certificate file Envoy cannot read: Envoy rejects the cluster, the route using it is withheld and says why, and recovers', async () => {
    const missing = '/nonexistent/portico-ca.crt';
    await gw.write('nofile.yaml', [optionsUpstream('nofile', ['${a}'], `  sslConfig: { sslFiles: { rootCa: ${missing} } }`), pathRoute('nofile', '/nofile', 'nofile')].join('---'));
    // Contained (src/app/containment.ts): what Envoy refuses is withheld and reported in its own status.
    const key = 'gateway.networking.k8s.io/HTTPRoute/default/nofile';
    type Condition = { type: string; status: string; reason: string; message: string };
    const accepted = async () => ((await gw.status(key))?.status as { parents?: { conditions: Condition[] }[] } | undefined)?.parents?.[0]?.conditions.find((c) => c.type === 'Accepted');
    let last: Condition | undefined;
    await waitFor(async () => (last = await accepted())?.reason === 'RejectedByEnvoy', { timeoutMs: 20_000, what: () => `the route to report Envoy's rejection (last: ${JSON.stringify(last)})` });
    assert.equal(last?.status, 'False');
    assert.match(last?.message ?? '', /rejected Cluster .*portico-ca\.crt.*it is not served/);
    assert.equal((await gw.get('/group')).status, 200, 'Envoy keeps serving the rest');
    await gw.remove('nofile.yaml');
    await waitFor(async () => (await gw.status(key)) === undefined, { what: "the removed route's status to go" });
    assert.equal((await gw.get('/group')).status, 200);
  });

  await t.test('an invalid Upstream is rejected with its line; the others keep serving', async () => {
    await gw.write('bad.yaml', optionsUpstream('h2c', [h2c], '  useHttp2: true\n  loadBalancerConfig: { maglev: {}, random: {} }'));
    await waitFor(async () => JSON.stringify(await gw.status('gloo.solo.io/Upstream/default/h2c')).includes('"reason":"Invalid"'), { what: 'the Invalid status' });
    const text = JSON.stringify(await gw.status('gloo.solo.io/Upstream/default/h2c'));
    assert.match(text, /bad\.yaml:\d+: Upstream default\/h2c: spec\.loadBalancerConfig\.maglev: only one load balancing policy may be set/);
    assert.equal((await gw.get('/h2c')).json?.backend, 'h2c');
    assert.equal((await gw.get('/group')).status, 200);
  });
});
