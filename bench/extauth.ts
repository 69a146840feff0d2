// Ext-auth benchmark, one run: (1) the service alone — `portico extauth` in its own process (one Node thread, so
// one core at most) answering gRPC Checks for basic auth (cached), API key and JWT: checks/s, p50/p99, and checks
// per CPU-second of the service; (2) what it adds in front of Envoy — the same Envoy at 1,000 req/s on a route
// without auth and on a route with API-key auth, requests to the two taking turns in one open loop.
// With `core` 0 or 1 the service is held to that core (`taskset`) and this process and Envoy to
// the other; by default (-1) nothing is pinned: on 2 cores, pinning the rest to one core made its tail the figure.
// Run: . scripts/env.sh && node bench/extauth.ts [seconds=5] [concurrency=32] [core=-1]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Controller } from '../src/app/controller.ts';
import { startEnvoy } from '../src/app/envoy.ts';
import { findBinary } from '../src/lib/binaries.ts';
import { silentLogger } from '../src/lib/logger.ts';
import { encodeMessage } from '../src/xds/encode.ts';
import { freePort, startProcess, waitFor } from '../test/support/components.ts';
import { GATEWAY, route } from '../test/support/fixtures.ts';
import { httpRequest } from '../test/support/http.ts';
import { checkLoop, httpOpenLoop, percentile, type Latencies } from './load.ts';

const [seconds = 5, concurrency = 32, core = -1] = process.argv.slice(2).map(Number);
const RATE = 1000;
const API_KEY = { 'api-key': 'bench-key-0123456789' };
const BASIC = { authorization: `Basic ${Buffer.from('test:test123').toString('base64')}` };

const { publicKey, privateKey } = await generateKeyPair('RS256');
const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k', alg: 'RS256' }] });
const token = await new SignJWT({ sub: 'bench' }).setProtectedHeader({ alg: 'RS256', kid: 'k' }).setIssuer('bench').setExpirationTime('1h').sign(privateKey);

const authConfig = (name: string, step: string) => `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: ${name}, namespace: default }
spec: { configs: [${step}] }
`;
const AUTH = [
  authConfig('basic', '{ basicAuth: { apr: { users: { test: { salt: n28wuo5p, hashedPassword: NLFTUNkXaht0g/2GJjUM51 } } } } }'),
  authConfig('key', '{ apiKeyAuth: { apiKeySecretRefs: [{ name: bench-key }] } }'),
  authConfig('jwt', `{ jwt: { providers: { bench: { issuer: bench, jwks: { local: { key: '${jwks}' } } } } } }`),
  `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: key, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: bench, sectionName: key }]
  options: { extauth: { configRef: { name: key } } }
`,
].join('---');

// Both routes answer from Envoy itself (a DirectResponse): no upstream on these two cores to add its own tail.
const OK_RESPONSE = `
apiVersion: gateway.solo.io/v1alpha1
kind: DirectResponse
metadata: { name: ok, namespace: default }
spec: { status: 200, body: ok }
`;
const rule = (name: string) =>
  `    - name: ${name}\n      matches: [{ path: { type: PathPrefix, value: /${name} } }]\n      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.solo.io, kind: DirectResponse, name: ok } }]`;

/** CPU seconds the process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function checkRequest(config: string, headers: Record<string, string>): Buffer {
  const attributes = { context_extensions: { 'portico-authconfig': `default/${config}`, 'portico-route': 'bench' }, request: { http: { headers, path: '/', method: 'GET' } } };
  return Buffer.from(encodeMessage('envoy.service.auth.v3.CheckRequest', { attributes }));
}

function summary(what: string, l: Latencies, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const ms = (p: number) => Number(percentile(l.ms, p).toFixed(3));
  return { what, requests: l.count, errors: l.errors, perSecond: Math.round(l.count / l.seconds), p50Ms: ms(50), p99Ms: ms(99), ...extra };
}

// The HTTP load generator (seconds when cached).
execFileSync(resolve(import.meta.dirname, '../scripts/setup.sh'), ['vegeta'], { stdio: ['ignore', 'inherit', 'inherit'] });
// Every thread of this process (and what it starts: Envoy) away from the service's core.
if (core >= 0) execFileSync('taskset', ['-a', '-p', '-c', String(1 - core), String(process.pid)], { stdio: 'ignore' });
const dir = await mkdtemp(join(tmpdir(), 'portico-bench-extauth-'));
const socket = `unix:${join(dir, 'extauth.sock')}`;
const port = await freePort();
await writeFile(join(dir, 'all.yaml'), [GATEWAY.replaceAll('${PORT}', String(port)), OK_RESPONSE, route('bench', [rule('open'), rule('key')].join('\n')), AUTH].join('---'));
await mkdir(join(dir, '.secrets/default/bench-key'), { recursive: true });
await writeFile(join(dir, '.secrets/default/bench-key/api-key'), API_KEY['api-key']);

const controller = new Controller({ configDir: dir, xdsAddress: '127.0.0.1:0', adminAddress: 'off', extAuthAddress: socket, logger: silentLogger });
await controller.start();
const envoy = await startEnvoy({ envoyBin: findBinary('envoy'), gateway: 'default/gw', xdsHost: '127.0.0.1', xdsPort: controller.xdsPort, logger: silentLogger });
const pinned = core >= 0 ? ['taskset', ['-c', String(core), resolve(import.meta.dirname, '../bin/portico')]] as const : [resolve(import.meta.dirname, '../bin/portico'), []] as const;
const service = await startProcess(pinned[0], [...pinned[1], 'extauth', '--listen', socket, '--xds-address', `127.0.0.1:${controller.xdsPort}`, '--log-level', 'warn', '--log-format', 'json'], { name: 'portico extauth' });
try {
  await waitFor(async () => (await httpRequest(port, '/key', { headers: API_KEY }).catch(() => undefined))?.status === 200, { timeoutMs: 30_000, what: 'Envoy + ext-auth serving /key' });

  for (const [name, headers] of [['basic', BASIC], ['key', API_KEY], ['jwt', { authorization: `Bearer ${token}` }]] as const) {
    const request = checkRequest(name, headers);
    await checkLoop(socket, [request], concurrency, 1); // warm-up (JIT, the basic-auth cache)
    const cpuBefore = cpuSeconds(service.pid);
    const l = await checkLoop(socket, [request], concurrency, seconds);
    const cpu = cpuSeconds(service.pid) - cpuBefore;
    console.log(JSON.stringify(summary(`service alone: ${name}`, l, { concurrency, serviceCpuSeconds: cpu, checksPerCpuSecond: Math.round(l.count / cpu) })));
  }
  // One check at a time: the service's own latency, without queueing behind other checks.
  const sequential = await checkLoop(socket, [checkRequest('key', API_KEY)], 1, seconds);
  console.log(JSON.stringify(summary('service alone: key, one check at a time', sequential, { p999Ms: Number(percentile(sequential.ms, 99.9).toFixed(3)) })));

  const open = { path: '/open', headers: {} };
  const key = { path: '/key', headers: API_KEY };
  // One open loop going round both routes, each at RATE: a stall anywhere (this process, Envoy, the machine)
  // hits both alike, so the difference is what ext-auth adds.
  await httpOpenLoop(port, [open, key], 2 * RATE, 1); // warm-up
  const [alone, authed] = (await httpOpenLoop(port, [open, key], 2 * RATE, 2 * seconds)) as [Latencies, Latencies];
  console.log(JSON.stringify(summary('Envoy alone (no auth)', alone, { rate: RATE })));
  console.log(JSON.stringify(summary('Envoy + ext-auth (API key)', authed, { rate: RATE })));
  const added = (p: number) => Number((percentile(authed.ms, p) - percentile(alone.ms, p)).toFixed(3));
  console.log(JSON.stringify({ what: 'added by ext-auth', rate: RATE, p50Ms: added(50), p99Ms: added(99) }));
} finally {
  await service.stop();
  await envoy.stop();
  await controller.stop();
  await rm(dirname(socket.slice('unix:'.length)), { recursive: true, force: true });
}
