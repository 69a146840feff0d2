// GRPCRoute served by a real Envoy to real gRPC servers (@grpc/grpc-js, HTTP/2 cleartext): service, method
// and header matches pick the backend, a call no rule matches fails with UNIMPLEMENTED, and request header
// filters reach the backend as metadata.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { startGateway } from '../support/gateway.ts';
import { GATEWAY } from '../support/fixtures.ts';

interface Reply {
  backend: string;
  path: string;
  metadata: Record<string, unknown>;
}

const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString('utf8')) as unknown,
};

/** A gRPC server answering every method of `methods` with who it is and what it saw (JSON messages: gRPC does not care). */
async function startGrpcBackend(t: TestContext, name: string, methods: string[]): Promise<number> {
  const server = new grpc.Server();
  const method = (path: string) => ({
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  });
  const definition: grpc.ServiceDefinition = Object.fromEntries(methods.map((path) => [path, method(path)]));
  const answer = (path: string) => (call: grpc.ServerUnaryCall<unknown, Reply>, done: grpc.sendUnaryData<Reply>) =>
    done(null, { backend: name, path, metadata: call.metadata.getMap() });
  const handlers: grpc.UntypedServiceImplementation = Object.fromEntries(methods.map((path) => [path, answer(path)]));
  server.addService(definition, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  t.after(() => new Promise<void>((resolve) => server.tryShutdown(() => resolve())));
  return port;
}

function call(client: grpc.Client, path: string, metadata: Record<string, string> = {}): Promise<Reply> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(path, json.serialize, json.deserialize as (b: Buffer) => Reply, {}, md, { deadline: Date.now() + 5000 }, (err, reply) =>
      err || !reply ? reject(err ?? new Error('no reply')) : resolve(reply),
    ),
  );
}

const upstream = (name: string, port: number) => `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: ${name}, namespace: default }
spec: { static: { hosts: [{ addr: 127.0.0.1, port: ${port} }] } }
`;

const ROUTE = `
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: greeter, namespace: default }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - matches:
        - method: { service: helloworld.Greeter, method: SayHello }
          headers: [{ name: x-tenant, value: blue }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: x-via, value: portico }] }
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: blue }]
    - matches: [{ method: { service: helloworld.Greeter } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: green }]
    - matches: [{ method: { type: RegularExpression, service: 'grpc\\.health\\.v1\\..*', method: 'Check|Watch' } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: blue }]
`;

test('GRPCRoute: service, method and header matches pick the h2c backend', async (t) => {
  const methods = ['/helloworld.Greeter/SayHello', '/helloworld.Greeter/SayGoodbye', '/grpc.health.v1.Health/Check', '/other.Service/Call'];
  const blue = await startGrpcBackend(t, 'blue', methods);
  const green = await startGrpcBackend(t, 'green', methods);
  const gw = await startGateway(t, {
    backends: [],
    files: { 'gateway.yaml': GATEWAY, 'upstreams.yaml': `${upstream('blue', blue)}---${upstream('green', green)}`, 'route.yaml': ROUTE },
  });
  const client = new grpc.Client(`127.0.0.1:${gw.port}`, grpc.credentials.createInsecure());
  t.after(() => client.close());

  // Config reaches Envoy a moment after it starts.
  let first: Reply | undefined;
  for (let i = 0; i < 100 && !first; i++) first = await call(client, '/helloworld.Greeter/SayGoodbye').catch(() => new Promise<undefined>((r) => setTimeout(r, 100)));
  assert.equal(first?.backend, 'green');

  const tenant = await call(client, '/helloworld.Greeter/SayHello', { 'x-tenant': 'blue' });
  assert.equal(tenant.backend, 'blue');
  assert.deepEqual(tenant.metadata['x-via'], 'portico');
  assert.equal((await call(client, '/helloworld.Greeter/SayHello')).backend, 'green');
  assert.equal((await call(client, '/grpc.health.v1.Health/Check')).backend, 'blue');
  await assert.rejects(call(client, '/other.Service/Call'), (err: grpc.ServiceError) => err.code === grpc.status.UNIMPLEMENTED);
});
