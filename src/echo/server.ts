// A small upstream for quickstarts and end-to-end tests: it answers every request with JSON that
// says what it saw (method, path with query, host, headers) and which backend answered.
// Query knobs: `?delay=<ms>` waits before answering, `?status=<code>` answers with that status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EchoReply {
  backend: string;
  method: string;
  path: string;
  host: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

export async function startEcho(opts: { name: string; host?: string; port?: number }): Promise<EchoServer> {
  const server = createServer((req, res) => void answer(opts.name, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server) };
}

async function answer(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = new URL(req.url ?? '/', 'http://echo');
  const delay = Number(url.searchParams.get('delay') ?? 0);
  if (delay > 0) await new Promise((r) => setTimeout(r, Math.min(delay, 60_000)));
  const reply: EchoReply = {
    backend: name,
    method: req.method ?? '',
    path: req.url ?? '',
    host: req.headers.host ?? '',
    headers: req.headers,
    body: Buffer.concat(chunks).toString('utf8'),
  };
  const status = Number(url.searchParams.get('status') ?? 200);
  res.writeHead(status >= 100 && status < 600 ? status : 200, { 'content-type': 'application/json', 'x-echo-backend': name });
  res.end(JSON.stringify(reply));
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
