// Rate-limit service benchmark: Portico's service against envoyproxy/ratelimit (the peer), in one run, with the
// same limits (one envoyproxy/ratelimit YAML file, read by both), the same Redis and the same load generator
// (bench/rls-load.ts: raw HTTP/2 gRPC calls): the most each answers with `concurrency` calls in flight (closed
// loop), then each one's latency at one fixed rate, 70% of the peer's maximum (open loop). Each service is held to one core
// (`taskset -c <core>`); Redis and the load generator run on the other cores. The peer runs with its Redis
// pipelining tuned (REDIS_PIPELINE_WINDOW=150us, REDIS_PIPELINE_LIMIT=8). Neither service's local over-limit
// cache plays a part: the limits are high enough that no key goes over, so every decision counts in Redis.
// Each service runs `rounds` times, alternating, and the best round of each is reported (the machine is shared);
// so is each service's CPU time per decision (from /proc), which other load on the machine disturbs less.
// The peer is built first when missing (scripts/setup.sh ratelimit-peer: minutes cold, a second when cached);
// the default set-up never builds it.
// Run: . scripts/env.sh && node bench/ratelimit.ts [seconds=10] [concurrency=256] [keys=1000] [rounds=2] [core=1]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { findBinary } from '../src/lib/binaries.ts';
import type { LimitRequest } from '../src/ratelimit/limiter.ts';
import { freePort, startProcess, tempDir, type ProcessHandle } from '../test/support/components.ts';
import { startRedis } from '../test/support/redis.ts';
import { OK, rlsClient } from '../test/support/rls-client.ts';
import { runLoad, runRate, type LoadResult } from './rls-load.ts';

const [seconds = 10, concurrency = 256, keys = 1000, rounds = 2, core = 1] = process.argv.slice(2).map(Number);
const cleanups: (() => unknown)[] = [];
const t = { after: (fn: () => unknown) => void cleanups.push(fn) };
const DOMAIN = 'bench';

/** A per-API-key limit beneath a generic key, as gateways commonly send: two entries per descriptor. */
const CONFIG = `domain: ${DOMAIN}
descriptors:
  - key: generic_key
    value: bench
    descriptors:
      - key: api_key
        rate_limit: { unit: minute, requests_per_unit: 1000000000 }
`;

const requests: LimitRequest[] = Array.from({ length: keys }, (_, i) => ({
  domain: DOMAIN,
  descriptors: [{ entries: [{ key: 'generic_key', value: 'bench' }, { key: 'api_key', value: `key-${i}` }] }],
}));

interface Service {
  name: string;
  start(port: number): Promise<ProcessHandle>;
}

async function main(): Promise<void> {
  execFileSync(resolve('scripts/setup.sh'), ['ratelimit-peer'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const dir = await tempDir('bench-ratelimit', t);
  const redis = await startRedis(t);
  // The peer reads <RUNTIME_ROOT>/<RUNTIME_SUBDIRECTORY>/config/*.yaml; Portico reads the same file.
  const configDir = join(dir, 'runtime', 'ratelimit', 'config');
  await mkdir(configDir, { recursive: true });
  const configFile = join(configDir, 'bench.yaml');
  await writeFile(configFile, CONFIG);
  const pinned = (cmd: string, args: string[]) => ['taskset', ['-c', String(core), cmd, ...args]] as const;
  const services: Service[] = [
    {
      name: 'envoyproxy/ratelimit',
      start: async (port) => {
        const [bin, args] = pinned(findBinary('envoy-ratelimit'), []);
        const env = {
          GRPC_PORT: String(port), GRPC_HOST: '127.0.0.1', PORT: String(await freePort()), HOST: '127.0.0.1', DEBUG_PORT: String(await freePort()), DEBUG_HOST: '127.0.0.1',
          RUNTIME_ROOT: join(dir, 'runtime'), RUNTIME_SUBDIRECTORY: 'ratelimit', RUNTIME_WATCH_ROOT: 'false', RUNTIME_IGNOREDOTFILES: 'true',
          REDIS_SOCKET_TYPE: 'tcp', REDIS_URL: `127.0.0.1:${redis.port}`, REDIS_PIPELINE_WINDOW: '150us', REDIS_PIPELINE_LIMIT: '8',
          USE_STATSD: 'false', USE_PROMETHEUS: 'false', LOG_LEVEL: 'warn', LOCAL_CACHE_SIZE_IN_BYTES: '0',
        };
        return startProcess(bin, [...args], { env, name: 'envoy-ratelimit', readyWhen: () => answers(port) });
      },
    },
    {
      name: 'portico ratelimit',
      start: async (port) => {
        const [bin, args] = pinned(resolve('bin/portico'), ['ratelimit', '--listen', `127.0.0.1:${port}`, '--redis', redis.url, '--config-file', configFile, '--admin-address', 'off', '--log-level', 'warn', '--log-format', 'json']);
        return startProcess(bin, [...args], { name: 'portico-ratelimit', readyWhen: () => answers(port) });
      },
    },
  ];
  const best = new Map<string, Measured>();
  const atRate = new Map<string, LoadResult>();
  let rate = 0;
  for (let round = 0; round < rounds; round++) {
    for (const s of services) {
      await redis.cli('FLUSHALL');
      const port = await freePort();
      const proc = await s.start(port);
      const address = `127.0.0.1:${port}`;
      const cpuBefore = cpuSeconds(proc.pid);
      const started = performance.now();
      const load = await runLoad(address, requests, { concurrency, seconds, warmupSeconds: 2, connections: 4 });
      const result = { ...load, cpu: cpuSeconds(proc.pid) - cpuBefore, wall: (performance.now() - started) / 1000 };
      // The latency at a load both can carry: 70% of the peer's first measured maximum, the same for both.
      rate ||= Math.round((0.7 * load.decisions) / seconds);
      const paced = await runRate(address, requests, { rate, seconds, warmupSeconds: 1, connections: 4 });
      await proc.stop();
      console.log(JSON.stringify({ service: s.name, round, ...figures(result), errors: result.errors, atRate: { rate, ...latency(paced), errors: paced.errors } }));
      const prev = best.get(s.name);
      if (!prev || result.decisions > prev.decisions) best.set(s.name, result);
      const prevPaced = atRate.get(s.name);
      if (!prevPaced || paced.p99 < prevPaced.p99) atRate.set(s.name, paced);
    }
  }
  const [peer, ours] = services.map((s) => best.get(s.name) as Measured) as [Measured, Measured];
  const [peerPaced, oursPaced] = services.map((s) => atRate.get(s.name) as LoadResult) as [LoadResult, LoadResult];
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  console.log(JSON.stringify({
    summary: { seconds, concurrency, keys, core, rounds, rate },
    peer: { ...figures(peer), atRate: latency(peerPaced) },
    portico: { ...figures(ours), atRate: latency(oursPaced) },
    throughputRatio: ratio(ours.decisions, peer.decisions),
    cpuEfficiencyRatio: ratio(ours.allDecisions / ours.cpu, peer.allDecisions / peer.cpu),
  }));
}

type Measured = LoadResult & { cpu: number; wall: number };

/** Decisions/s, latency, and decisions per CPU-second of the service (steadier than throughput on a shared machine). */
function figures(m: Measured) {
  return {
    decisionsPerSecond: Math.round(m.decisions / m.seconds),
    ...latency(m),
    decisionsPerCpuSecond: Math.round(m.allDecisions / m.cpu),
    // Below 1, the service was not what bounded the closed loop (the load generator or Redis was).
    coreUtilization: Math.round((m.cpu / m.wall) * 100) / 100,
  };
}

function latency(m: LoadResult) {
  return { p50Ms: round3(m.p50), p99Ms: round3(m.p99) };
}

/** User + system CPU time of a process so far, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The service answers ShouldRateLimit (and counted in Redis: it is up and configured). */
async function answers(port: number): Promise<boolean> {
  const client = rlsClient(`127.0.0.1:${port}`);
  try {
    return (await client.ask(requests[0] as LimitRequest)).overall_code === OK;
  } finally {
    client.close();
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

try {
  await main();
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
