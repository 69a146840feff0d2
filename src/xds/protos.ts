// Envoy's API protos, loaded once with protobufjs from the copies that @grpc/grpc-js-xds ships.
// We load only the files Portico uses, by name: loading the whole tree fails on a few v3 files whose
// imports are not shipped. To serve a new extension, add its file to ENVOY_PROTO_FILES.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { ProtoError } from '../lib/errors.ts';

export const ENVOY_PROTO_FILES: readonly string[] = [
  'envoy/service/discovery/v3/ads.proto',
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/config/core/v3/base.proto',
  'envoy/config/core/v3/address.proto',
  'envoy/config/core/v3/config_source.proto',
  'envoy/config/core/v3/protocol.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/filters/http/buffer/v3/buffer.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/service/auth/v3/external_auth.proto',
  'envoy/extensions/filters/http/ratelimit/v3/rate_limit.proto',
  'envoy/service/ratelimit/v3/rls.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
];

let root: protobuf.Root | undefined;

/** The shared root with every file of ENVOY_PROTO_FILES (and their imports), field names in snake_case. */
export function envoyRoot(): protobuf.Root {
  root ??= loadRoot(ENVOY_PROTO_FILES);
  return root;
}

function loadRoot(files: readonly string[]): protobuf.Root {
  const includeDirs = protoIncludeDirs();
  const r = new protobuf.Root();
  // protobufjs resolves imports relative to the importing file; Envoy's imports are relative to one of
  // several include roots (envoy-api, xds, googleapis, validate), like protoc's -I.
  r.resolvePath = (_origin, target) => (isAbsolute(target) ? target : findInclude(includeDirs, target));
  try {
    return r.loadSync([...files], { keepCase: true });
  } catch (err) {
    throw new ProtoError(`cannot load Envoy protos: ${(err as Error).message}`, { cause: err });
  }
}

function protoIncludeDirs(): string[] {
  const require = createRequire(import.meta.url);
  const xds = dirname(require.resolve('@grpc/grpc-js-xds/package.json'));
  // google/protobuf/descriptor.proto (imported by validate.proto) lives in protobufjs; the other
  // google/protobuf files are bundled into protobufjs itself.
  const protobufjs = dirname(require.resolve('protobufjs/package.json'));
  const deps = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(xds, 'deps', d));
  return [...deps, protobufjs];
}

function findInclude(includeDirs: string[], target: string): string {
  for (const dir of includeDirs) {
    const candidate = join(dir, target);
    if (existsSync(candidate)) return candidate;
  }
  // Let protobufjs report the missing file with its name.
  return target;
}
