import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureLogs } from '../../../test/support/logs.ts';
import { issueCertificate, makeCa, makeCertificates, makeIdentityCertificates, servedFingerprint } from '../../../test/support/tls.ts';
import { FakeEnvoy, type FakeEnvoyOptions } from '../../../test/support/xds-client.ts';
import { silentLogger } from '../../lib/logger.ts';
import { SnapshotCache } from '../cache/snapshot-cache.ts';
import { TYPE_URLS as T, type XdsResources } from '../resources.ts';
import { AdsServer, type AdsServerOptions } from './ads.ts';
import { parseTokens, TokenTable } from './identity.ts';
import { ServingCertificate, watchCertificateFiles } from './serving-certificate.ts';
import type { ReceivedResponse } from './discovery.ts';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const ADS = { ads: {}, resource_api_version: 'V3' };

interface ConfigOptions {
  port?: number;
  endpoint?: string;
  /** The cluster route r1 sends traffic to. */
  r1Cluster?: string;
  /** Whether a cluster's timeout changed (a CDS change). */
  timeout?: number;
}

/** Two EDS clusters with endpoints, one listener using RDS r1, and two route configs. */
function config(o: ConfigOptions = {}): XdsResources {
  const cluster = (name: string) => ({ name, type: 'EDS', eds_cluster_config: { eds_config: ADS }, connect_timeout: { seconds: o.timeout ?? 1 } });
  const socket = (address: string, port_value: number) => ({ socket_address: { address, port_value } });
  const cla = (name: string, address: string) => ({ cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(address, 8080) } }] }] });
  const route = (name: string, cluster: string) => ({ name, virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] });
  const hcm = { '@type': HCM, stat_prefix: 'gw', rds: { config_source: ADS, route_config_name: 'r1' }, http_filters: [{ name: 'router', typed_config: { '@type': ROUTER } }] };
  const listener = { name: 'l1', address: socket('0.0.0.0', o.port ?? 10080), filter_chains: [{ filters: [{ name: 'hcm', typed_config: hcm }] }] };
  const named = <R extends { name?: string; cluster_name?: string }>(r: R) => ({ name: (r.name ?? r.cluster_name)!, resource: r });
  return {
    [T.cluster]: [cluster('c1'), cluster('c2')].map(named),
    [T.endpoint]: [cla('c1', o.endpoint ?? '10.0.0.1'), cla('c2', '10.0.0.2')].map(named),
    [T.listener]: [listener].map(named),
    [T.route]: [route('r1', o.r1Cluster ?? 'c1'), route('r2', 'c2')].map(named),
  };
}

async function start(t: TestContext, opts: Partial<AdsServerOptions> = {}) {
  const cache = new SnapshotCache();
  const server = new AdsServer({ cache, logger: silentLogger, ...opts });
  const port = await server.listen('127.0.0.1', 0);
  t.after(() => server.close());
  const connect = (cluster: string, extra: Omit<FakeEnvoyOptions, 'port' | 'cluster'> = {}) => {
    const envoy = new FakeEnvoy({ port, cluster, ...extra });
    t.after(() => envoy.close());
    return envoy;
  };
  return { cache, server, port, connect };
}

/** What Envoy does on start: CDS, then EDS for its clusters, LDS, then RDS for its listeners; ACKing each. */
async function initialFetch(envoy: FakeEnvoy, routes = ['r1'], clusters = ['c1', 'c2']) {
  envoy.subscribe(T.cluster);
  const cds = await envoy.next(T.cluster);
  envoy.subscribe(T.endpoint, clusters);
  envoy.ack(cds);
  const eds = await envoy.next(T.endpoint);
  envoy.ack(eds, clusters);
  envoy.subscribe(T.listener);
  const lds = await envoy.next(T.listener);
  envoy.subscribe(T.route, routes);
  envoy.ack(lds);
  const rds = await envoy.next(T.route);
  envoy.ack(rds, routes);
  return { cds, eds, lds, rds };
}

const names = (r: ReceivedResponse) => r.resources.map((x) => (x.name ?? x.cluster_name) as string);

async function eventually(check: () => void | Promise<void>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

describe('AdsServer', () => {
  it('serves clusters, endpoints, listeners and routes on the first fetch, and records the ACKs', async (t) => {
    const { cache, server, connect } = await start(t);
    const snapshot = cache.set('ns/gw', config());
    const envoy = connect('ns/gw');
    const { cds, eds, lds, rds } = await initialFetch(envoy);
    assert.deepEqual([cds, eds, lds, rds].map((r) => r.version_info), [T.cluster, T.endpoint, T.listener, T.route].map((u) => snapshot.versions[u]));
    assert.deepEqual(names(cds), ['c1', 'c2']);
    assert.deepEqual(names(eds), ['c1', 'c2']);
    assert.deepEqual(names(rds), ['r1']);
    const hcm = (lds.resources[0] as any).filter_chains[0].filters[0].typed_config;
    assert.equal(hcm['@type'], HCM);
    assert.equal(hcm.http_filters[0].typed_config['@type'], ROUTER);
    await eventually(() => {
      const [proxy] = server.proxies();
      assert.equal(proxy?.nodeKey, 'ns/gw');
      assert.equal(proxy?.nodeId, 'ns/gw/envoy-1');
      assert.equal(proxy?.types[T.route]?.ackedVersion, snapshot.versions[T.route]);
      assert.equal(proxy?.types[T.cluster]?.ackedVersion, snapshot.versions[T.cluster]);
    });
  });

  it('pushes a changed type and nothing else, and emits the ACK', async (t) => {
    const { cache, server, connect } = await start(t);
    cache.set('ns/gw', config());
    const envoy = connect('ns/gw');
    await initialFetch(envoy);
    const next = cache.set('ns/gw', config({ r1Cluster: 'c2' }));
    const rds = await envoy.next(T.route);
    assert.equal(rds.version_info, next.versions[T.route]);
    assert.equal((rds.resources[0] as any).virtual_hosts[0].routes[0].route.cluster, 'c2');
    const acked = once(server, 'ack');
    envoy.ack(rds, ['r1']);
    assert.deepEqual((await acked)[0], { nodeId: 'ns/gw/envoy-1', nodeKey: 'ns/gw', typeUrl: T.route, version: next.versions[T.route] });
    assert.deepEqual(await envoy.drain(), []);
  });

  it('emits a disconnect when an identified proxy goes away', async (t) => {
    const { cache, server, connect } = await start(t);
    cache.set('ns/gw', config());
    const envoy = connect('ns/gw');
    await initialFetch(envoy);
    const gone = once(server, 'disconnect');
    envoy.close();
    assert.deepEqual((await gone)[0], { nodeId: 'ns/gw/envoy-1', nodeKey: 'ns/gw' });
  });

  it('sends only EDS when only endpoints change', async (t) => {
    const { cache, connect } = await start(t);
    cache.set('ns/gw', config());
    const envoy = connect('ns/gw');
    await initialFetch(envoy);
    cache.set('ns/gw', config({ endpoint: '10.0.0.9' }));
    const eds = await envoy.next(T.endpoint);
    assert.equal((eds.resources[0] as any).endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address, '10.0.0.9');
    assert.deepEqual(await envoy.drain(), []);
  });

  it('pushes clusters, endpoints, listeners, then routes when everything changes', async (t) => {
    const { cache, connect } = await start(t);
    cache.set('ns/gw', config());
    const envoy = connect('ns/gw');
    await initialFetch(envoy);
    cache.set('ns/gw', config({ timeout: 2, endpoint: '10.0.0.9', port: 10081, r1Cluster: 'c2' }));
    const pushed = [];
    for (let i = 0; i < 4; i++) pushed.push((await envoy.next()).type_url);
    assert.deepEqual(pushed, [T.cluster, T.endpoint, T.listener, T.route]);
    assert.deepEqual(await envoy.drain(), []);
  });

  it('on a NACK keeps the last good config, reports it, and pushes the next snapshot', async (t) => {
    const { cache, server, connect } = await start(t);
    const good = cache.set('ns/gw', config());
    const envoy = connect('ns/gw');
    await initialFetch(envoy);

    const bad = cache.set('ns/gw', config({ port: 1 }));
    const rejected = await envoy.next(T.listener);
    const nacked = once(server, 'nack');
    envoy.nack(rejected, 'cannot bind to port 1');
    assert.deepEqual((await nacked)[0], { nodeId: 'ns/gw/envoy-1', nodeKey: 'ns/gw', typeUrl: T.listener, version: bad.versions[T.listener], message: 'cannot bind to port 1' });
    assert.deepEqual(await envoy.drain(300), [], 'the rejected version must not be sent again');
    const [proxy] = server.proxies();
    assert.deepEqual(proxy?.types[T.listener]?.lastNack, { version: bad.versions[T.listener], message: 'cannot bind to port 1' });
    assert.equal(proxy?.types[T.listener]?.ackedVersion, good.versions[T.listener]);

    // Another type changing does not drag the rejected listeners along.
    cache.set('ns/gw', config({ port: 1, endpoint: '10.0.0.9' }));
    assert.equal((await envoy.next()).type_url, T.endpoint);
    assert.deepEqual(await envoy.drain(), []);

    const fixed = cache.set('ns/gw', config({ port: 10082, endpoint: '10.0.0.9' }));
    const lds = await envoy.next(T.listener);
    assert.equal(lds.version_info, fixed.versions[T.listener]);
    envoy.ack(lds);
    await eventually(() => {
      const listener = server.proxies()[0]?.types[T.listener];
      assert.equal(listener?.ackedVersion, fixed.versions[T.listener]);
      assert.equal(listener?.lastNack, undefined);
    });
  });

  it('gives a reconnecting proxy the current state and forgets the old stream', async (t) => {
    const { cache, server, connect } = await start(t);
    cache.set('ns/gw', config());
    const first = connect('ns/gw');
    await initialFetch(first);
    first.close();
    await eventually(() => assert.deepEqual(server.proxies(), []));
    const current = cache.set('ns/gw', config({ r1Cluster: 'c2', endpoint: '10.0.0.5' }));
    const second = connect('ns/gw');
    const { cds, eds, lds, rds } = await initialFetch(second);
    assert.deepEqual([cds, eds, lds, rds].map((r) => r.version_info), [T.cluster, T.endpoint, T.listener, T.route].map((u) => current.versions[u]));
    assert.equal(server.proxies().length, 1);
  });

  it('serves each node.cluster its own gateway config', async (t) => {
    const { cache, connect } = await start(t);
    cache.set('ns/a', config({ port: 10001 }));
    cache.set('ns/b', config({ port: 10002 }));
    const a = connect('ns/a');
    const b = connect('ns/b');
    a.subscribe(T.listener);
    b.subscribe(T.listener);
    const port = async (e: FakeEnvoy) => ((await e.next(T.listener)).resources[0] as any).address.socket_address.port_value;
    assert.equal(await port(a), 10001);
    assert.equal(await port(b), 10002);
  });

  it('answers RDS and EDS with the requested names only, and again when the names change', async (t) => {
    const { cache, connect } = await start(t);
    const snapshot = cache.set('ns/gw', config());
    const envoy = connect('ns/gw');
    envoy.subscribe(T.endpoint, ['c2']);
    assert.deepEqual(names(await envoy.next(T.endpoint)), ['c2']);
    envoy.subscribe(T.route, ['r1']);
    const r1 = await envoy.next(T.route);
    assert.deepEqual(names(r1), ['r1']);
    envoy.ack(r1, ['r1', 'r2']);
    const both = await envoy.next(T.route);
    assert.deepEqual(names(both), ['r1', 'r2']);
    assert.equal(both.version_info, snapshot.versions[T.route]);
    envoy.ack(both, ['r1', 'r2']);
    assert.deepEqual(await envoy.drain(), []);
  });

  it('ignores a request carrying a stale nonce', async (t) => {
    const { cache, connect } = await start(t);
    cache.set('ns/gw', config());
    const envoy = connect('ns/gw');
    const { rds } = await initialFetch(envoy);
    cache.set('ns/gw', config({ r1Cluster: 'c2' }));
    const latest = await envoy.next(T.route);
    envoy.send({ type_url: T.route, resource_names: ['r1', 'r2'], version_info: rds.version_info, response_nonce: rds.nonce });
    assert.deepEqual(await envoy.drain(), []);
    envoy.ack(latest, ['r1', 'r2']);
    assert.deepEqual(names(await envoy.next(T.route)), ['r1', 'r2']);
  });

  it('keeps a proxy with no config yet waiting, then serves it', async (t) => {
    const { cache, connect } = await start(t);
    const envoy = connect('ns/later');
    envoy.subscribe(T.cluster);
    envoy.subscribe(T.listener);
    assert.deepEqual(await envoy.drain(), []);
    cache.set('ns/later', config());
    assert.deepEqual(names(await envoy.next(T.cluster)), ['c1', 'c2']);
    assert.deepEqual(names(await envoy.next(T.listener)), ['l1']);
  });

  it('carries on after an undecodable message', async (t) => {
    const { cache, connect } = await start(t);
    cache.set('ns/gw', config());
    const envoy = connect('ns/gw');
    envoy.send(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    envoy.subscribe(T.cluster);
    assert.deepEqual(names(await envoy.next(T.cluster)), ['c1', 'c2']);
  });

  it('ends a stream whose first request has no node.cluster', async (t) => {
    const { connect } = await start(t);
    const envoy = connect('');
    envoy.subscribe(T.cluster);
    const status = await envoy.ended;
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    assert.match(status.details, /node\.cluster/);
  });

  it('per-identity tokens: each token gets its own node only; no, unknown or foreign tokens get nothing', async (t) => {
    const logs = captureLogs();
    const tokens = new TokenTable(parseTokens('gateway/ns/gw tok-gw\ngateway/other/gw tok-other\nservice/extauth tok-x\n'));
    const { cache, server, connect } = await start(t, { tokens, logger: logs.logger });
    cache.set('ns/gw', config());
    cache.set('other/gw', config({ endpoint: '10.9.9.9' }));
    const events: string[] = [];
    server.on('ack', (e) => events.push(`ack ${e.nodeKey}`));
    server.on('nack', (e) => events.push(`nack ${e.nodeKey}`));
    for (const token of [undefined, 'wrong', 'tok-g', 'tok-gw ']) {
      const status = await connect('ns/gw', token === undefined ? {} : { token }).ended;
      assert.equal(status.code, grpc.status.UNAUTHENTICATED, `token ${token}`);
    }
    // Another gateway's token, or a service's, asking for ns/gw: refused before anything is sent or recorded.
    for (const token of ['tok-other', 'tok-x']) {
      const thief = connect('ns/gw', { token, nodeId: `thief-${token.length}` });
      thief.subscribe(T.cluster);
      thief.nack({ type_url: T.cluster, nonce: '1', version_info: '', resources: [] }, 'fake NACK');
      const status = await thief.ended;
      assert.equal(status.code, grpc.status.PERMISSION_DENIED, token);
      assert.match(status.details, /may not receive the config of ns\/gw/);
      assert.deepEqual(thief.received, [], 'nothing was sent');
    }
    const envoy = connect('ns/gw', { token: 'tok-gw' });
    envoy.subscribe(T.cluster);
    const cds = await envoy.next(T.cluster);
    assert.deepEqual(names(cds), ['c1', 'c2']);
    envoy.ack(cds);
    await eventually(() => assert.deepEqual(events, ['ack ns/gw']), 3000);
    assert.deepEqual(server.proxies().map((p) => [p.nodeKey, p.identity]), [['ns/gw', 'gateway/ns/gw']]);
    const refusals = logs.entries.filter((e) => String(e.msg).startsWith('refusing an ADS stream: identity'));
    assert.deepEqual(refusals.map((e) => [e.identity, e.requestedNodeKey]), [['gateway/other/gw', 'ns/gw'], ['service/extauth', 'ns/gw']]);
    assert.doesNotMatch(logs.text(), /tok-/, 'no token in the log');
  });

  it('mutual TLS: the SPIFFE ID of the client certificate is the identity', async (t) => {
    const td = 'portico.local';
    const ids = [`spiffe://${td}/gateway/ns/gw`, `spiffe://${td}/service/extauth`, 'spiffe://other.example/gateway/ns/gw'];
    const certs = makeIdentityCertificates(ids);
    const tls = { cert: certs.server.cert, key: certs.server.key, ca: certs.ca.cert };
    const { cache, connect } = await start(t, { tls, tokens: new TokenTable(parseTokens('gateway/ns/gw tok-gw\nservice/extauth tok-x')) });
    cache.set('ns/gw', config());
    cache.set('portico:extauth', {});
    const as = (id: string) => ({ ca: certs.ca.cert, cert: certs.clients[id]!.cert, key: certs.clients[id]!.key });

    const own = connect('ns/gw', { tls: as(ids[0]!) });
    own.subscribe(T.cluster);
    assert.deepEqual(names(await own.next(T.cluster)), ['c1', 'c2']);
    const sameToken = connect('ns/gw', { tls: as(ids[0]!), token: 'tok-gw' });
    sameToken.subscribe(T.cluster);
    assert.deepEqual(names(await sameToken.next(T.cluster)), ['c1', 'c2'], 'a token naming the same identity is fine');

    const extauth = connect('ns/gw', { tls: as(ids[1]!) });
    extauth.subscribe(T.secret, ['s1']);
    assert.equal((await extauth.ended).code, grpc.status.PERMISSION_DENIED, 'the ext-auth identity gets no gateway secrets');
    const mixed = connect('ns/gw', { tls: as(ids[1]!), token: 'tok-gw' });
    mixed.subscribe(T.cluster);
    assert.match((await mixed.ended).details, /certificate \(service\/extauth\) and the token \(gateway\/ns\/gw\) name different identities/);
    const foreign = connect('ns/gw', { tls: as(ids[2]!) });
    foreign.subscribe(T.cluster);
    const status = await foreign.ended;
    assert.equal(status.code, grpc.status.UNAUTHENTICATED, 'another trust domain is no identity');
    assert.match(status.details, /carries no identity spiffe:\/\/portico\.local\//);
    const plain = issueCertificate(certs.ca, 'envoy', 'extendedKeyUsage=clientAuth');
    const unnamed = connect('ns/gw', { tls: { ca: certs.ca.cert, ...plain } });
    unnamed.subscribe(T.cluster);
    assert.match((await unnamed.ended).details, /has no URI SAN/);
  });

  it('a renewed serving certificate is served to new connections, from memory and from its files', async (t) => {
    const ca = makeCa();
    const first = issueCertificate(ca, 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    const second = issueCertificate(ca, 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    const serving = new ServingCertificate({ cert: first.cert, key: first.key });
    const { cache, port, connect } = await start(t, { tls: serving });
    cache.set('ns/gw', config());
    assert.equal(await servedFingerprint(port), fingerprint(first.cert));
    assert.equal(serving.update({ cert: second.cert, key: first.key }), 'the private key does not match the certificate in tls.crt');
    assert.equal(await servedFingerprint(port), fingerprint(first.cert), 'a mismatched pair is not used');
    assert.equal(serving.update(second), undefined);
    assert.equal(await servedFingerprint(port), fingerprint(second.cert));
    const envoy = connect('ns/gw', { tls: { ca: ca.cert } });
    envoy.subscribe(T.cluster);
    assert.deepEqual(names(await envoy.next(T.cluster)), ['c1', 'c2'], 'gRPC works on the renewed certificate');

    // Files replaced the way Vault Agent and Nomad templates do it: a new file renamed over the old one.
    const dir = mkdtempSync(join(tmpdir(), 'portico-xds-tls-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, `${name}.new`), text, { mode: 0o600 });
      renameSync(join(dir, `${name}.new`), join(dir, name));
    };
    write('tls.crt', second.cert);
    write('tls.key', second.key);
    const stop = watchCertificateFiles(serving, { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') }, silentLogger, 50);
    t.after(stop);
    const third = issueCertificate(ca, 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    write('tls.crt', third.cert); // the key is not there yet: the pair does not check out, the old one serves
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await servedFingerprint(port), fingerprint(second.cert));
    write('tls.key', third.key);
    await eventually(async () => assert.equal(await servedFingerprint(port), fingerprint(third.cert)), 5000);
  });

  it('serves over TLS, and with a CA requires a client certificate', async (t) => {
    const certs = makeCertificates();
    const tls = { cert: certs.serverCert, key: certs.serverKey };
    const plain = await start(t, { tls });
    plain.cache.set('ns/gw', config());
    const envoy = plain.connect('ns/gw', { tls: { ca: certs.ca } });
    envoy.subscribe(T.cluster);
    assert.deepEqual(names(await envoy.next(T.cluster)), ['c1', 'c2']);

    const mutual = await start(t, { tls: { ...tls, ca: certs.ca } });
    mutual.cache.set('ns/gw', config());
    const anonymous = mutual.connect('ns/gw', { tls: { ca: certs.ca } });
    anonymous.subscribe(T.cluster);
    assert.equal((await anonymous.ended).code, grpc.status.UNAVAILABLE);
    const unnamed = mutual.connect('ns/gw', { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
    unnamed.subscribe(T.cluster);
    assert.equal((await unnamed.ended).code, grpc.status.UNAUTHENTICATED, 'a certificate that names no identity is refused');
  });

  it('serves SDS secrets by name on the same stream; a rotation pushes the Secret and nothing else', async (t) => {
    const { cache, connect } = await start(t);
    const secret = (name: string, cert: string) => ({ name, resource: { name, tls_certificate: { certificate_chain: { inline_string: cert }, private_key: { inline_string: 'KEY' } } } });
    const withSecrets = (cert: string) => ({ ...config(), [T.secret]: [secret('s1', cert), secret('s2', 'other')] });
    cache.set('ns/gw', withSecrets('v1'));
    const envoy = connect('ns/gw');
    await initialFetch(envoy);
    envoy.subscribe(T.secret, ['s1']);
    const sds = await envoy.next(T.secret);
    assert.deepEqual(names(sds), ['s1']);
    envoy.ack(sds, ['s1']);
    cache.set('ns/gw', withSecrets('v2'));
    const rotated = await envoy.next();
    assert.equal(rotated.type_url, T.secret);
    assert.equal((rotated.resources[0] as any).tls_certificate.certificate_chain.inline_string, 'v2');
    assert.deepEqual(await envoy.drain(), []);
  });

  it('answers delta xDS with UNIMPLEMENTED', async (t) => {
    const { port } = await start(t);
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    t.after(() => client.close());
    const identity = (b: Buffer) => b;
    const call = client.makeBidiStreamRequest('/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources', identity, identity);
    call.on('error', () => {}); // the status says it
    const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    assert.equal(status.code, grpc.status.UNIMPLEMENTED);
  });
});

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

