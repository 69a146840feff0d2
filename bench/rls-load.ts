// A closed-loop gRPC load generator for ShouldRateLimit, on node:http2 directly: every request is encoded once
// up front, and each of `concurrency` loops sends the next as soon as its answer is in. grpc-js costs about as
// much per call as a server, which would make a Node client the bottleneck; raw HTTP/2 streams cost far less.
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import type { LimitRequest } from '../src/ratelimit/limiter.ts';
import { encodeRequest } from '../src/ratelimit/rls.ts';

export interface LoadResult {
  decisions: number;
  /** Calls answered with a gRPC status other than OK (or reset). */
  errors: number;
  seconds: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
}

const PATH = '/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit';

/** The gRPC frame of a request: a 0 (uncompressed) byte, the length, the message. */
function frame(req: LimitRequest): Buffer {
  const message = encodeRequest(req);
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** Runs `concurrency` loops over the requests for `seconds` against `host:port`; latencies after `warmupSeconds`. */
export async function runLoad(address: string, requests: LimitRequest[], opts: { concurrency: number; seconds: number; warmupSeconds: number; connections: number }): Promise<LoadResult> {
  const frames = requests.map(frame);
  const sessions: ClientHttp2Session[] = Array.from({ length: opts.connections }, () => connect(`http://${address}`));
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const measureFrom = start + opts.warmupSeconds * 1000;
  const end = measureFrom + opts.seconds * 1000;
  const loop = async (i: number) => {
    const session = sessions[i % sessions.length] as ClientHttp2Session;
    for (;;) {
      const sent = performance.now();
      if (sent >= end) return;
      const ok = await call(session, frames[next++ % frames.length] as Buffer);
      const done = performance.now();
      if (sent < measureFrom) continue;
      if (ok) latencies.push(done - sent);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, (_, i) => loop(i)));
  for (const s of sessions) s.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { decisions: latencies.length, errors, seconds: opts.seconds, p50: at(0.5), p99: at(0.99) };
}

function call(session: ClientHttp2Session, body: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status: string | undefined;
    stream.on('response', (headers) => (status = headers['grpc-status'] as string | undefined));
    stream.on('trailers', (trailers) => (status = (trailers['grpc-status'] as string | undefined) ?? status));
    stream.on('data', () => {});
    stream.on('error', () => resolve(false));
    stream.on('close', () => resolve(status === '0'));
    stream.end(body);
  });
}
