// Envoy reaching the data-path services over TLS with a token: from portico.yaml (`extAuth`/`rateLimit` with
// `tls` and `tokenFile`) to the clusters' transport sockets and the filters' initial metadata, encoded as Envoy protos.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../../test/support/components.ts';
import { parseDocuments } from '../../api/parse.ts';
import { parseConfigFile, resolveConfig } from '../../app/config.ts';
import { translate } from '../../gatewayapi/translate.ts';
import { ConfigError } from '../../lib/errors.ts';
import { encodeMessage } from '../encode.ts';
import { TYPE_URLS } from '../resources.ts';
import { EXT_AUTH_CLUSTER, EXT_AUTHZ_FILTER } from './ext-authz.ts';
import { RATE_LIMIT_CLUSTER } from './rate-limit.ts';
import { translateIr, type XdsTranslatorOptions } from './translate.ts';

const TLS = { caFile: '/etc/envoy/portico-ca.pem', certFile: '/etc/envoy/envoy.crt', keyFile: '/etc/envoy/envoy.key', serverName: 'extauth.service.consul' };

test('portico.yaml: extAuth and rateLimit take tls (absolute files on the Envoy host) and a tokenFile (read, relative to the file)', async (t) => {
  const dir = await tempDir('service-transport', t);
  writeFileSync(join(dir, 'token'), 'tok-123\n');
  const yaml = `sources: { directory: { path: . } }
extAuth: { address: 'extauth.service.consul:18100', tls: { caFile: ${TLS.caFile}, certFile: ${TLS.certFile}, keyFile: ${TLS.keyFile}, serverName: ${TLS.serverName} }, tokenFile: token }
rateLimit: { address: '127.0.0.1:18081', tls: { caFile: ${TLS.caFile} }, tokenFile: token }
`;
  const c = resolveConfig(parseConfigFile(yaml, join(dir, 'portico.yaml')), {});
  assert.deepEqual(c.extAuth, { address: 'extauth.service.consul:18100', tls: TLS, token: 'tok-123' });
  assert.deepEqual(c.rateLimit?.transport, { tls: { caFile: TLS.caFile }, token: 'tok-123' });
  assert.throws(() => parseConfigFile('extAuth: { address: "a:1", tls: { caFile: ca.pem } }', 'p.yaml'), /extAuth\.tls\.caFile: must be an absolute path/);
  assert.throws(() => resolveConfig(parseConfigFile(`sources: { directory: { path: . } }\nextAuth: { address: "a:1", tokenFile: nope }`, join(dir, 'p.yaml')), {}), (e: unknown) => e instanceof ConfigError && /extAuth\.tokenFile '.*nope' cannot be read: ENOENT/.test(e.message));
  const certOnly = `sources: { directory: { path: . } }\nrateLimit: { address: "a:1", tls: { caFile: /ca.pem, certFile: /c.pem } }`;
  assert.throws(() => resolveConfig(parseConfigFile(certOnly, join(dir, 'p.yaml')), {}), /rateLimit\.tls: certFile and keyFile go together/);
});

const input = readFileSync(join(import.meta.dirname, '../../gatewayapi/testdata/rate-limits.in.yaml'), 'utf8');
const { ir } = translate(parseDocuments(input, { file: 'rate-limits.in.yaml' }).resources);
const served = (opts: XdsTranslatorOptions) => translateIr(ir, opts).get('default/gw') ?? {};

test('the services’ clusters get a TLS transport socket (ALPN h2, SNI and SAN from serverName) and the filters the token as initial metadata', () => {
  const transport = { tls: TLS, token: 'tok-123' };
  const resources = served({
    extAuth: { address: '10.0.0.5:18100', ...transport },
    rateLimit: { address: '10.0.0.6:18081', domain: 'portico', denyOnFail: false, beforeAuth: false, timeoutMs: 100, rateLimitHeaders: false, transport },
  });
  for (const [typeUrl, list] of Object.entries(resources)) {
    for (const r of list) assert.doesNotThrow(() => encodeMessage(typeUrl.split('/')[1] as string, r.resource), r.name);
  }
  const clusters = new Map((resources[TYPE_URLS.cluster] ?? []).map((c) => [c.name, c.resource as Record<string, any>]));
  for (const name of [EXT_AUTH_CLUSTER, RATE_LIMIT_CLUSTER]) {
    const tls = clusters.get(name)?.transport_socket?.typed_config;
    assert.equal(tls.sni, TLS.serverName, name);
    assert.deepEqual(tls.common_tls_context.alpn_protocols, ['h2']);
    assert.deepEqual(tls.common_tls_context.validation_context.trusted_ca, { filename: TLS.caFile });
    assert.deepEqual(tls.common_tls_context.validation_context.match_typed_subject_alt_names, [{ san_type: 'DNS', matcher: { exact: TLS.serverName } }]);
    assert.deepEqual(tls.common_tls_context.tls_certificates, [{ certificate_chain: { filename: TLS.certFile }, private_key: { filename: TLS.keyFile } }]);
  }
  const [listener] = resources[TYPE_URLS.listener] ?? [];
  const filters = (listener?.resource as any).filter_chains[0].filters[0].typed_config.http_filters as any[];
  const grpcOf = (name: string) => filters.find((f) => f.name === name).typed_config;
  const bearer = [{ key: 'authorization', value: 'Bearer tok-123' }];
  assert.deepEqual(grpcOf(EXT_AUTHZ_FILTER).grpc_service.initial_metadata, bearer);
  assert.deepEqual(grpcOf('envoy.filters.http.ratelimit').rate_limit_service.grpc_service.initial_metadata, bearer);

  const plain = served({ extAuth: { address: '10.0.0.5:18100' } });
  const cluster = plain[TYPE_URLS.cluster]?.find((c) => c.name === EXT_AUTH_CLUSTER)?.resource as Record<string, unknown>;
  assert.equal(cluster.transport_socket, undefined, 'plaintext by default');
});
