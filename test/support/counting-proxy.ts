// An HTTP proxy on loopback that forwards every request to a real component and counts the requests by path:
// how a test knows a client has asked again (a retry, the next poll) without sleeping and hoping it did.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AfterHook } from './components.ts';

export interface CountingProxy {
  /** `http://127.0.0.1:<port>`: give it to the client instead of the component's address. */
  url: string;
  /** Requests forwarded so far whose path (with the query) matches. */
  count(path: RegExp): number;
}

export async function startCountingProxy(t: AfterHook, target: string): Promise<CountingProxy> {
  const to = new URL(target);
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const upstream = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, count: (path) => paths.filter((p) => path.test(p)).length };
}
