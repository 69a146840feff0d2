// Load generators for the ext-auth benchmark: a closed loop of gRPC Check calls (throughput), and an open loop of
// HTTP requests at a fixed rate (latency at a given load, not distorted by waiting for slow answers), by vegeta.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { findBinary } from '../src/lib/binaries.ts';

const run = promisify(execFile);

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
 * `rate` GETs per second for `seconds`, sent on schedule whatever the answers' pace, by vegeta (a Go generator:
 * a Node one on the same two cores set the very tail it was to measure), going round the targets in turn: each
 * target's latencies are measured under the same load at the same moments. Built by `scripts/setup.sh vegeta`.
 */
export async function httpOpenLoop(port: number, targets: Target[], rate: number, seconds: number): Promise<Latencies[]> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-vegeta-'));
  try {
    const file = join(dir, 'targets.txt');
    await writeFile(file, targets.map((t) => [`GET http://127.0.0.1:${port}${t.path}`, ...Object.entries(t.headers).map(([k, v]) => `${k}: ${v}`)].join('\n')).join('\n\n') + '\n');
    const vegeta = findBinary('vegeta');
    const attack = `${vegeta} attack -targets=${file} -rate=${rate}/s -duration=${seconds}s -keepalive=true -timeout=10s | ${vegeta} encode --to json`;
    const { stdout } = await run('sh', ['-c', attack], { maxBuffer: 1 << 30 });
    const results = targets.map(() => ({ ms: [] as number[], errors: 0 }));
    const byPath = new Map(targets.map((t, i) => [`http://127.0.0.1:${port}${t.path}`, results[i] as (typeof results)[number]]));
    for (const line of stdout.split('\n')) {
      if (!line) continue;
      const hit = JSON.parse(line) as { url: string; code: number; latency: number };
      const r = byPath.get(hit.url);
      if (!r) continue;
      if (hit.code === 200) r.ms.push(hit.latency / 1e6);
      else r.errors++;
    }
    return results.map((r) => ({ count: r.ms.length, seconds, ms: r.ms.sort((a, b) => a - b), errors: r.errors }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
