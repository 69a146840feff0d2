// The controller's admin endpoint (loopback by default): health, readiness, connected proxies, statuses.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AdminHandlers {
  ready(): boolean;
  /** Degraded components, empty when healthy. */
  degraded(): string[];
  debug: Record<string, () => unknown>;
}

export async function startAdmin(host: string, port: number, h: AdminHandlers): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://admin').pathname;
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body, null, 2)}\n`);
    };
    if (path === '/healthz') {
      const degraded = h.degraded();
      return send(200, { status: degraded.length ? 'degraded' : 'ok', degraded });
    }
    if (path === '/readyz') return h.ready() ? send(200, { ready: true }) : send(503, { ready: false });
    const debug = h.debug[path.replace(/^\/debug\//, '')];
    if (path.startsWith('/debug/') && debug) return send(200, debug());
    return send(404, { error: `no such endpoint ${path}`, endpoints: ['/healthz', '/readyz', ...Object.keys(h.debug).map((k) => `/debug/${k}`)] });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
