// Load generators for the ext-auth benchmark: a closed loop of gRPC Check calls (throughput), and an open loop of
// HTTP requests at a fixed rate (latency at a given load, not distorted by waiting for slow answers).
import { Agent, request } from 'node:http';
import { connect, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect } from 'node:net';

export interface Latencies {
  count: number;
  seconds: number;
  /** Sorted, in milliseconds. */
  ms: number[];
  errors: number;
}

/**
 * `concurrency` calls in flight for `seconds`, each a pre-encoded CheckRequest. The client speaks gRPC on a bare
 * HTTP/2 session rather than through grpc-js: it costs about half as much CPU per call, which the service needs
 * on a 2-core machine.
 */
export async function checkLoop(address: string, requests: Buffer[], concurrency: number, seconds: number): Promise<Latencies> {
  const session = address.startsWith('unix:')
    ? connect('http://localhost', { createConnection: () => netConnect(address.slice('unix:'.length)) })
    : connect(`http://${address}`);
  const frames = requests.map(grpcFrame);
  const ms: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  const worker = async (w: number) => {
    for (let i = w; performance.now() < end; i += concurrency) {
      const t0 = performance.now();
      const ok = await call(session, frames[i % frames.length] as Buffer);
      if (ok) ms.push(performance.now() - t0);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  session.close();
  return { count: ms.length, seconds: (performance.now() - started) / 1000, ms: ms.sort((a, b) => a - b), errors };
}

const CHECK_HEADERS = { ':method': 'POST', ':path': '/envoy.service.auth.v3.Authorization/Check', 'content-type': 'application/grpc', te: 'trailers' };

/** One unary call; true when the trailers say grpc-status 0. */
function call(session: ClientHttp2Session, frame: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const stream = session.request(CHECK_HEADERS, { endStream: false });
    let status: string | undefined;
    stream.on('trailers', (t) => (status = String(t['grpc-status'])));
    stream.on('response', (h) => h['grpc-status'] !== undefined && (status = String(h['grpc-status'])));
    stream.on('data', () => {});
    stream.on('close', () => resolve(status === '0'));
    stream.on('error', () => resolve(false));
    stream.end(frame);
  });
}

/** gRPC's length-prefixed message: a 0 (not compressed), the length, the bytes. */
function grpcFrame(message: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

export interface Target {
  path: string;
  headers: Record<string, string>;
}

/**
 * `rate` GETs per second for `seconds`, sent on schedule whatever the answers' pace (kept-alive connections),
 * going round the targets in turn: each target's latencies are measured under the same load at the same time.
 */
export async function httpOpenLoop(port: number, targets: Target[], rate: number, seconds: number): Promise<Latencies[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const results = targets.map(() => ({ ms: [] as number[], errors: 0 }));
  const pending: Promise<void>[] = [];
  const started = performance.now();
  const total = rate * seconds;
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    for (; sent < due; sent++) {
      const i = sent % targets.length;
      const { path, headers } = targets[i] as Target;
      const r = results[i] as (typeof results)[number];
      pending.push(get(agent, port, path, headers).then((d) => void (d < 0 ? r.errors++ : r.ms.push(d))));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  agent.destroy();
  const elapsed = (performance.now() - started) / 1000;
  return results.map((r) => ({ count: r.ms.length, seconds: elapsed, ms: r.ms.sort((a, b) => a - b), errors: r.errors }));
}

/** The request's latency in ms, or -1 when it failed or was not answered 200. */
function get(agent: Agent, port: number, path: string, headers: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? performance.now() - t0 : -1));
    });
    req.on('error', () => resolve(-1));
    req.end();
  });
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
