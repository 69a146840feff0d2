// A small upstream for quickstarts and end-to-end tests: it answers every request with JSON that
// says what it saw (method, path with query, host, headers) and which backend answered.
// Query knobs: `?delay=<ms>` waits before answering, `?status=<code>` answers with that status,
// `?key=<k>` counts the requests carrying that key (the reply's `attempt`), and `&fail=<n>` answers the
// first n of them with 503 (for retries). WebSocket upgrades are accepted and echoed (websocket.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { acceptWebSocket } from './websocket.ts';

export interface EchoReply {
  backend: string;
  method: string;
  path: string;
  host: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** With `?key=`: how many requests with this key this backend has seen, this one included. */
  attempt?: number;
}

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

export async function startEcho(opts: { name: string; host?: string; port?: number }): Promise<EchoServer> {
  const attempts = new Map<string, number>();
  const server = createServer((req, res) => void answer(opts.name, attempts, req, res));
  // Upgraded sockets are no longer the server's connections: close() ends them itself.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    upgraded.add(socket.once('close', () => upgraded.delete(socket)));
    acceptWebSocket(opts.name, req, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const close = () => {
    for (const s of upgraded) s.destroy();
    return closeServer(server);
  };
  return { port: (server.address() as AddressInfo).port, close };
}

async function answer(name: string, attempts: Map<string, number>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? '/', 'http://echo');
  const key = url.searchParams.get('key');
  const attempt = key === null ? undefined : (attempts.get(key) ?? 0) + 1;
  if (key !== null) attempts.set(key, attempt as number);
  const delay = Number(url.searchParams.get('delay') ?? 0);
  if (delay > 0) await new Promise((r) => setTimeout(r, Math.min(delay, 60_000)));
  const failing = attempt !== undefined && attempt <= Number(url.searchParams.get('fail') ?? 0);
  const reply: EchoReply = {
    backend: name,
    method: req.method ?? '',
    path: req.url ?? '',
    host: req.headers.host ?? '',
    headers: req.headers,
    body: Buffer.concat(chunks).toString('utf8'),
    ...(attempt !== undefined && { attempt }),
  };
  const status = failing ? 503 : Number(url.searchParams.get('status') ?? 200);
  res.writeHead(status >= 100 && status < 600 ? status : 200, { 'content-type': 'application/json', 'x-echo-backend': name });
  res.end(JSON.stringify(reply));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
