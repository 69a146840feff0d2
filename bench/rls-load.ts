// A gRPC load generator for ShouldRateLimit, on node:http2 directly (grpc-js costs about as much per call as a
// server, which would make a Node client the bottleneck; raw HTTP/2 streams cost far less); every request is
// encoded once up front. Closed loop (`runLoad`): `concurrency` loops, each sending the next call as soon as its
// answer is in: the most a service answers. Open loop (`runRate`): calls at a fixed rate whatever the answers,
// each timed from when it was due (no coordinated omission): the latency at a given load.
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import type { LimitRequest } from '../src/ratelimit/limiter.ts';
import { encodeRequest } from '../src/ratelimit/rls.ts';

export interface LoadResult {
  /** Answered in the measured seconds (after the warm-up). */
  decisions: number;
  /** Answered in the whole run, warm-up included. */
  allDecisions: number;
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

interface Sessions {
  frames: Buffer[];
  sessions: ClientHttp2Session[];
}

function open(address: string, requests: LimitRequest[], connections: number): Sessions {
  return { frames: requests.map(frame), sessions: Array.from({ length: connections }, () => connect(`http://${address}`)) };
}

function summary(latencies: number[], errors: number, allDecisions: number, seconds: number): LoadResult {
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { decisions: latencies.length, allDecisions, errors, seconds, p50: at(0.5), p99: at(0.99) };
}

/** `rate` calls a second for `seconds`, after `warmupSeconds` at that rate. */
export async function runRate(address: string, requests: LimitRequest[], opts: { rate: number; seconds: number; warmupSeconds: number; connections: number }): Promise<LoadResult> {
  const { frames, sessions } = open(address, requests, opts.connections);
  const latencies: number[] = [];
  const intervalMs = 1000 / opts.rate;
  const total = Math.round((opts.seconds + opts.warmupSeconds) * opts.rate);
  const warmup = Math.round(opts.warmupSeconds * opts.rate);
  let errors = 0;
  let answered = 0;
  let sent = 0;
  const start = performance.now();
  const calls: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor((performance.now() - start) / intervalMs));
      for (; sent < due; sent++) {
        const i = sent;
        const dueAt = start + i * intervalMs;
        calls.push(call(sessions[i % sessions.length] as ClientHttp2Session, frames[i % frames.length] as Buffer).then((ok) => {
          if (ok) answered++;
          if (i < warmup) return;
          if (ok) latencies.push(performance.now() - dueAt);
          else errors++;
        }));
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.all(calls);
  for (const s of sessions) s.close();
  return summary(latencies, errors, answered, opts.seconds);
}

/** Runs `concurrency` loops over the requests for `seconds` against `host:port`; latencies after `warmupSeconds`. */
export async function runLoad(address: string, requests: LimitRequest[], opts: { concurrency: number; seconds: number; warmupSeconds: number; connections: number }): Promise<LoadResult> {
  const { frames, sessions } = open(address, requests, opts.connections);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  let all = 0;
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
      if (ok) all++;
      if (sent < measureFrom) continue;
      if (ok) latencies.push(done - sent);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, (_, i) => loop(i)));
  for (const s of sessions) s.close();
  return summary(latencies, errors, all, opts.seconds);
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
