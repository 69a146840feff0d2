// A small upstream for quickstarts and end-to-end tests: it answers every request with JSON that
// says what it saw (method, path with query, host, headers) and which backend answered.
// Query knobs: `?delay=<ms>` waits before answering, `?status=<code>` answers with that status,
// `?key=<k>` counts the requests carrying that key (the reply's `attempt`), and `&fail=<n>` answers the
// first n of them with 503 (for retries). WebSocket upgrades are accepted and echoed (websocket.ts).
// It listens wherever it is told, so it answers any bytes without throwing: a target URL cannot parse is a 400,
// a body over MAX_BODY_BYTES a 413, a client gone mid-request is dropped, and the HTTP limits apply.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { applyHttpLimits, httpServerOptions, type HttpLimits } from '../lib/http-limits.ts';
import type { Logger } from '../lib/logger.ts';
import { acceptWebSocket } from './websocket.ts';

/** The largest request body echoed back (the reply holds it twice: as text and in JSON). */
export const MAX_BODY_BYTES = 1024 * 1024;

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

export interface EchoOptions {
  name: string;
  host?: string;
  port?: number;
  /** Header size, timeouts, connections (default DEFAULT_HTTP_LIMITS). */
  limits?: HttpLimits;
  /** Where a failure to answer is reported (none by default: it is a test upstream). */
  logger?: Logger;
}

export async function startEcho(opts: EchoOptions): Promise<EchoServer> {
  const attempts = new Map<string, number>();
  const server = createServer(httpServerOptions(opts.limits), (req, res) => {
    answer(opts.name, attempts, req, res).catch((err: unknown) => {
      opts.logger?.warn({ error: (err as Error).message }, 'echo: request failed');
      if (!res.headersSent && !res.destroyed) res.writeHead(500).end();
      else res.destroy();
    });
  });
  applyHttpLimits(server, opts.limits, (err) => opts.logger?.error({ error: err.message }, 'echo: server error'));
  // Upgraded sockets are no longer the server's connections: close() ends them itself.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket.once('close', () => upgraded.delete(socket)));
    // node:http's upgrade socket is a net.Socket (typed as the Duplex it also is).
    acceptWebSocket(opts.name, req, socket as Socket, head);
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
  const url = URL.parse(req.url ?? '/', 'http://echo');
  if (!url) return void res.writeHead(400, { connection: 'close' }).end('malformed request target\n');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return void res.writeHead(413, { connection: 'close' }).end(`body over ${MAX_BODY_BYTES} bytes\n`);
    chunks.push(chunk as Buffer);
  }
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
  // 1xx are interim answers, not one to end a request with.
  res.writeHead(status >= 200 && status < 600 ? status : 200, { 'content-type': 'application/json', 'x-echo-backend': name });
  res.end(JSON.stringify(reply));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
