import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderBootstrap, renderClientCertSds, XDS_CLIENT_SECRET, XDS_CLUSTER } from './bootstrap.ts';

const base = { gateway: 'default/gw', nodeId: 'default/gw/a', xds: [{ host: '127.0.0.1', port: 18000 }], adminPort: 19001 };
const clusters = (doc: Record<string, any>) => doc.static_resources.clusters as Record<string, any>[];

test('an endpoints file makes the ADS cluster EDS from that file, watched through its folder', () => {
  const doc = renderBootstrap({ ...base, xds: [], xdsEndpointsFile: '/alloc/xds/endpoints.json' }) as Record<string, any>;
  const xds = clusters(doc).find((c) => c.name === XDS_CLUSTER)!;
  assert.equal(xds.type, 'EDS');
  assert.equal(xds.load_assignment, undefined);
  assert.deepEqual(xds.eds_cluster_config.eds_config.path_config_source, { path: '/alloc/xds/endpoints.json', watched_directory: { path: '/alloc/xds' } });
});

test('over TLS an endpoints file needs the name the controllers share', () => {
  assert.throws(() => renderBootstrap({ ...base, xds: [], xdsEndpointsFile: '/x/e.json', tls: { caFile: '/s/ca.pem' } }), /--xds-tls-server-name/);
});

test('an SDS file puts the client certificate behind SDS, re-read when a renewed pair lands in its folder', () => {
  const tls = { caFile: '/s/ca.pem', certFile: '/s/envoy.pem', keyFile: '/s/envoy.pem', serverName: 'portico-xds.service.consul', sdsFile: '/s/sds.json' };
  const doc = renderBootstrap({ ...base, tls }) as Record<string, any>;
  const ctx = clusters(doc)[0]!.transport_socket.typed_config.common_tls_context;
  assert.equal(ctx.tls_certificates, undefined);
  assert.deepEqual(ctx.tls_certificate_sds_secret_configs, [{ name: XDS_CLIENT_SECRET, sds_config: { path_config_source: { path: '/s/sds.json', watched_directory: { path: '/s' } }, resource_api_version: 'V3' } }]);
  const secret = (renderClientCertSds(tls) as Record<string, any>).resources[0];
  assert.equal(secret.name, XDS_CLIENT_SECRET);
  assert.deepEqual(secret.tls_certificate.watched_directory, { path: '/s' });
  assert.equal(secret.tls_certificate.private_key.filename, '/s/envoy.pem');
});

test('the stats listener passes GET /ready and /stats/prometheus to the loopback admin, nothing else', () => {
  const doc = renderBootstrap({ ...base, stats: { host: '0.0.0.0', port: 9102 } }) as Record<string, any>;
  const [listener] = doc.static_resources.listeners;
  assert.deepEqual(listener.address, { socket_address: { address: '0.0.0.0', port_value: 9102 } });
  const routes = listener.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes;
  assert.deepEqual(routes.map((r: any) => r.match.path ?? r.match.prefix), ['/ready', '/stats/prometheus', '/']);
  assert.deepEqual(routes.at(-1).direct_response, { status: 404 });
  const admin = clusters(doc).find((c) => c.name !== XDS_CLUSTER)!;
  assert.deepEqual(admin.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address, { socket_address: { address: '127.0.0.1', port_value: 19001 } });
});
