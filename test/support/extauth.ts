// Portico's ext-auth service for end-to-end tests: in-process, on a Unix socket in a temp folder, taking its
// AuthConfigs from the controller's service config stream; plus the JWT and pass-through fixtures around it.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { authorizationService, decodeCheckRequest, encodeCheckResponse } from '../../src/extauth/check-protocol.ts';
import { allow, deny } from '../../src/extauth/decision.ts';
import { ExtAuthService } from '../../src/extauth/service.ts';
import { Backoff } from '../../src/lib/backoff.ts';
import type { GrpcServing } from '../../src/lib/grpc-unary-server.ts';
import type { Logger } from '../../src/lib/logger.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { ServiceConfigClient } from '../../src/xds/client/service-config-client.ts';
import { SERVICE_NODE_KEYS } from '../../src/contracts/service-config.ts';
import { tempDir } from './components.ts';

export interface ExtAuthEnv {
  address: string;
  stop(): Promise<void>;
}

/** A socket address for the service (give it to the controller's extAuthAddress before starting either). */
export async function extAuthSocket(t: TestContext): Promise<string> {
  return `unix:${join(await tempDir('portico-extauth-', t), 'extauth.sock')}`;
}

/** `serving`: the gRPC server's TLS, token and caps (default h2c, no token). */
export async function startExtAuth(t: TestContext, address: string, xdsPort: number, logger: Logger = silentLogger, serving: GrpcServing = {}): Promise<ExtAuthEnv> {
  const service = new ExtAuthService(logger, serving);
  await service.listen(address);
  const client = new ServiceConfigClient({
    address: `127.0.0.1:${xdsPort}`,
    nodeKey: SERVICE_NODE_KEYS.extauth,
    logger,
    onConfig: (items) => service.apply(items),
    backoff: new Backoff({ initialMs: 50, maxMs: 200 }),
  });
  client.start();
  await client.ready();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.stop();
    await service.close();
  };
  t.after(stop);
  return { address, stop };
}

export interface JwtIssuer {
  jwksUrl: string;
  /** Signed by this issuer's key; `issuer` overrides the `iss` claim (a token claiming another issuer). */
  sign(claims: JWTPayload, opts?: { audience?: string; expiresIn?: string; issuer?: string }): Promise<string>;
}

/** An RS256 key pair whose public half is served as a JWKS on loopback. */
export async function startJwtIssuer(t: TestContext, issuer: string): Promise<JwtIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server = await listen(createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] }))));
  t.after(() => new Promise((r) => server.close(r)));
  return {
    jwksUrl: `http://127.0.0.1:${port(server)}/jwks.json`,
    sign: (claims, opts = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(opts.issuer ?? issuer)
        .setAudience(opts.audience ?? 'portico')
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '5m')
        .sign(privateKey),
  };
}

/** An HTTP auth service: allows a request whose `x-pass` header is `yes` (and tells upstream who), else 403. */
export async function startHttpAuthService(t: TestContext): Promise<string> {
  const server = await listen(
    createServer((req, res) => {
      if (req.headers['x-pass'] === 'yes') res.setHeader('x-auth-user', 'from-http').end();
      else res.writeHead(403).end();
    }),
  );
  t.after(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${port(server)}/check`;
}

/** A gRPC ext_authz service: allows a request whose `x-pass` header is `yes`, else 403. */
export async function startGrpcAuthService(t: TestContext): Promise<string> {
  const server = new grpc.Server();
  server.addService(authorizationService, {
    Check: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const { input } = decodeCheckRequest(call.request);
      cb(null, encodeCheckResponse(input.headers['x-pass'] === 'yes' ? allow({ 'x-auth-user': 'from-grpc' }) : deny(403, 'no pass')));
    },
  });
  const bound = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  t.after(() => new Promise<void>((r) => server.tryShutdown(() => r())));
  return `127.0.0.1:${bound}`;
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function port(server: Server): number {
  return (server.address() as { port: number }).port;
}
