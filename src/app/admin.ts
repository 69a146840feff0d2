// The controller's admin endpoint (loopback by default): health, readiness, connected proxies, statuses.
// Beyond loopback it can serve HTTPS (optionally requiring client certificates) and require a bearer token
// for /debug/* and /metrics; /healthz and /readyz stay open for the health checks of Nomad, Consul and load balancers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { bearerMatches } from '../lib/bearer.ts';

export interface AdminHandlers {
  ready(): boolean;
  /** Degraded components, empty when healthy. */
  degraded(): string[];
  debug: Record<string, () => unknown>;
  /** Prometheus text exposition (behind the token, like /debug/*). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

export interface AdminSecurity {
  /** PEM contents; with `ca`, clients must present a certificate it signed. */
  tls?: { cert: string; key: string; ca?: string };
  /** Required as `authorization: Bearer <token>` on /debug/*. */
  token?: string;
}

export interface AdminServer {
  port: number;
  /** Serves renewed TLS options to new connections (HTTPS only; no-op over HTTP). */
  renew(options: SecureContextOptions): void;
  close(): Promise<void>;
}

export async function startAdmin(host: string, port: number, h: AdminHandlers, security: AdminSecurity = {}): Promise<AdminServer> {
  const handle = (req: IncomingMessage, res: ServerResponse) => route(req, res, h, security.token);
  const { tls } = security;
  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key, ...(tls.ca && { ca: tls.ca, requestCert: true, rejectUnauthorized: true }) }, handle)
    : createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    renew: (options) => (server as Partial<HttpsServer>).setSecureContext?.(options),
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

function route(req: IncomingMessage, res: ServerResponse, h: AdminHandlers, token: string | undefined): void {
  const path = new URL(req.url ?? '/', 'http://admin').pathname;
  const send = (code: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(`${JSON.stringify(body, null, 2)}\n`);
  };
  if (path === '/healthz') {
    const degraded = h.degraded();
    return send(200, { status: degraded.length ? 'degraded' : 'ok', degraded });
  }
  if (path === '/readyz') return h.ready() ? send(200, { ready: true }) : send(503, { ready: false });
  if (token && !bearerMatches(req.headers.authorization, token)) {
    return send(401, { error: 'this endpoint needs authorization: Bearer <the admin token>' }, { 'www-authenticate': 'Bearer' });
  }
  if (path === '/metrics' && h.metrics) {
    return void h.metrics().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
      },
      (err: unknown) => send(500, { error: `metrics failed: ${(err as Error).message}` }),
    );
  }
  const debug = h.debug[path.replace(/^\/debug\//, '')];
  if (path.startsWith('/debug/') && debug) return send(200, debug());
  const endpoints = ['/healthz', '/readyz', ...(h.metrics ? ['/metrics'] : []), ...Object.keys(h.debug).map((k) => `/debug/${k}`)];
  return send(404, { error: `no such endpoint ${path}`, endpoints });
}
