// The controller's admin endpoint (loopback by default): health, readiness, connected proxies, statuses.
// Beyond loopback it can serve HTTPS (optionally requiring client certificates) and require a bearer token
// for /debug/* and /metrics; /healthz and /readyz stay open for the health checks of Nomad, Consul and load balancers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import { bearerMatches } from './bearer.ts';
import { applyHttpLimits, httpServerOptions, type HttpLimits } from './http-limits.ts';

export interface AdminHandlers {
  ready(): boolean;
  /** Degraded components, empty when healthy. */
  degraded(): string[];
  debug: Record<string, () => unknown>;
  /** Prometheus text exposition (behind the token, like /debug/*). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Told of a handler that failed (the client gets a 500 without detail). */
  onError?: (err: unknown, path: string) => void;
}

export interface AdminSecurity {
  /** PEM contents; with `ca`, clients must present a certificate it signed. */
  tls?: { cert: string; key: string; ca?: string };
  /** Required as `authorization: Bearer <token>` on /debug/*. */
  token?: string;
  /** Header size, timeouts, connections (default DEFAULT_HTTP_LIMITS). */
  limits?: HttpLimits;
}

export interface AdminServer {
  port: number;
  /** Serves renewed TLS options to new connections (HTTPS only; no-op over HTTP). */
  renew(options: SecureContextOptions): void;
  close(): Promise<void>;
}

export async function startAdmin(host: string, port: number, h: AdminHandlers, security: AdminSecurity = {}): Promise<AdminServer> {
  // A Map, not the handlers' object: a path such as /debug/constructor must not find Object.prototype's.
  const debug = new Map(Object.entries(h.debug));
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    try {
      route(req, res, h, debug, security.token);
    } catch (err) {
      h.onError?.(err, req.url ?? '');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
    }
  };
  const { tls } = security;
  const options = httpServerOptions(security.limits);
  const server: Server = tls
    ? createHttpsServer({ ...options, cert: tls.cert, key: tls.key, ...(tls.ca && { ca: tls.ca, requestCert: true, rejectUnauthorized: true }) }, handle)
    : createServer(options, handle);
  applyHttpLimits(server, security.limits, (err) => h.onError?.(err, ''));
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

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}

/**
 * The path of a request-target, or undefined when it is none Portico serves. The target is the client's raw
 * text: origin-form (`/debug/ir?x`) or absolute-form (`http://host/debug/ir`), and anything else a client
 * sends (`http://[`, `*`, a CONNECT authority), which must be answered, never thrown on.
 */
export function targetPath(target: string | undefined): string | undefined {
  if (!target || !(target.startsWith('/') || /^https?:\/\//i.test(target))) return undefined;
  return URL.parse(target, 'http://admin')?.pathname;
}

function route(req: IncomingMessage, res: ServerResponse, h: AdminHandlers, debug: ReadonlyMap<string, () => unknown>, token: string | undefined): void {
  const path = targetPath(req.url);
  if (path === undefined) return send(res, 400, { error: 'malformed request target' });
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'only GET and HEAD are served' }, { allow: 'GET, HEAD' });
  if (path === '/healthz') {
    const degraded = h.degraded();
    return send(res, 200, { status: degraded.length ? 'degraded' : 'ok', degraded });
  }
  if (path === '/readyz') return h.ready() ? send(res, 200, { ready: true }) : send(res, 503, { ready: false });
  if (token && !bearerMatches(req.headers.authorization, token)) {
    return send(res, 401, { error: 'this endpoint needs authorization: Bearer <the admin token>' }, { 'www-authenticate': 'Bearer' });
  }
  if (path === '/metrics' && h.metrics) {
    return void h.metrics().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
      },
      (err: unknown) => {
        h.onError?.(err, path);
        send(res, 500, { error: 'metrics failed' });
      },
    );
  }
  const handler = path.startsWith('/debug/') ? debug.get(path.slice('/debug/'.length)) : undefined;
  if (handler) return send(res, 200, handler());
  const endpoints = ['/healthz', '/readyz', ...(h.metrics ? ['/metrics'] : []), ...[...debug.keys()].map((k) => `/debug/${k}`)];
  // The path is the client's text: echoed as a JSON string (escaped), never as markup.
  return send(res, 404, { error: `no such endpoint ${path}`, endpoints });
}
