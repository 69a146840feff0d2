// No request to any Portico port crashes or wedges the process. The real processes (`bin/portico controller`,
// `extauth`, `ratelimit` with a real redis-server, `echo`) as child processes; the malformed-request corpus
// (test/support/malformed-requests.ts) to every port they listen on: admin (with a token), xDS, ext-auth (in h2c, and
// a second one with mutual TLS and a token: the corpus both as raw bytes and inside TLS with the token), rate-limit
// and its admin (no token), echo. Then each process must still
// run, must not have needed its process guard (an error it caught is a crash prevented, counted as one: the causes
// are to be fixed where they are), and must answer a normal request.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { CHECK, decodeCheckResponse } from '../../src/extauth/check-protocol.ts';
import { SHOULD_RATE_LIMIT } from '../../src/ratelimit/rls.ts';
import { freePorts, startProcess, tempDir, type ProcessHandle } from '../support/components.ts';
import { CORPUS, sendCorpus, type ProbeTarget } from '../support/malformed-requests.ts';
import { startRedis } from '../support/redis.ts';
import { rlsClient } from '../support/rls-client.ts';
import { makeCertificates, writeCertificates } from '../support/tls.ts';

const PORTICO = resolve(import.meta.dirname, '../../bin/portico');
const ADS_PATH = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

interface Started {
  proc: ProcessHandle;
  /** Errors its process guard logged (each one a crash it prevented). */
  caught(): number;
  /** Its log lines at level error or above (bad input is the caller's mistake, not an error of the process). */
  errors(): string[];
}

/** `bin/portico <args>` with JSON logs, ready when `readyWhen` holds; stopped after the test. */
async function portico(t: TestContext, args: string[], readyWhen: () => Promise<boolean>): Promise<Started> {
  const proc = await startProcess(PORTICO, [...args, '--log-format', 'json'], { name: `portico ${args[0]}`, readyWhen, timeoutMs: 45_000, intervalMs: 200 });
  // A process that died is reported by the test itself; every other one must still be stopped.
  t.after(() => proc.stop().catch(() => undefined));
  let caught = 0;
  const errors: string[] = [];
  proc.child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    caught += text.split('"unexpected error').length - 1;
    errors.push(...text.split('\n').filter((line) => /"level":(5\d|60)/.test(line)));
  });
  return { proc, caught: () => caught, errors: () => errors };
}

const ok = async (url: string) => (await fetch(url, { signal: AbortSignal.timeout(5000) })).status === 200;

/** How a grpc-js client reaches a port: plaintext by default. */
interface Caller {
  credentials?: grpc.ChannelCredentials;
  token?: string;
}

/** A unary call with grpc-js (raw bytes both ways); resolves to the answer or to the status it failed with. */
function grpcCall(port: number, path: string, body: Buffer, caller: Caller = {}): Promise<Buffer | grpc.ServiceError> {
  const same = (b: Buffer) => b;
  const Client = grpc.makeGenericClientConstructor({ M: { path, requestStream: false, responseStream: false, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same } }, 'S');
  const client = new Client(`127.0.0.1:${port}`, caller.credentials ?? grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    M(req: Buffer, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void;
  };
  const metadata = new grpc.Metadata();
  if (caller.token) metadata.set('authorization', `Bearer ${caller.token}`);
  return new Promise((resolve) => client.M(body, metadata, { deadline: Date.now() + 5000 }, (err, res) => (client.close(), resolve(err ?? (res as Buffer)))));
}

/** An empty CheckRequest names no AuthConfig: a live ext-auth service denies it (403), it never fails the call. */
async function checkAnswered(port: number, caller?: Caller): Promise<boolean> {
  const answer = await grpcCall(port, CHECK, Buffer.alloc(0), caller);
  return Buffer.isBuffer(answer) && decodeCheckResponse(answer, 'ext-auth').allow === false;
}

test('the malformed-request corpus to every port: no process exits, none needs its guard, each still answers', { timeout: 150_000 }, async (t) => {
  const [xds, admin, extauth, extauthTls, ratelimit, ratelimitAdmin, echo] = (await freePorts(7)) as [number, number, number, number, number, number, number];
  const configDir = await tempDir('sockets', t);
  const secrets = await tempDir('sockets-secrets', t);
  const certs = makeCertificates();
  const pem = writeCertificates(certs, secrets);
  await writeFile(join(secrets, 'token'), 'corpus-token\n', { mode: 0o600 });
  const mtls: Caller = { credentials: grpc.credentials.createSsl(Buffer.from(certs.ca), Buffer.from(certs.clientKey), Buffer.from(certs.clientCert)), token: 'corpus-token' };
  const redis = await startRedis(t);
  const started = Date.now();
  const [controllerP, echoP] = await Promise.all([
    portico(t, ['controller', '--config-dir', configDir, '--xds-address', `127.0.0.1:${xds}`, '--admin-address', `127.0.0.1:${admin}`, '--admin-token-file', join(secrets, 'token')], () =>
      ok(`http://127.0.0.1:${admin}/readyz`),
    ),
    portico(t, ['echo', '--listen', `127.0.0.1:${echo}`], () => ok(`http://127.0.0.1:${echo}/`)),
  ]);
  const tlsFlags = ['--listen-tls-cert', pem.serverCert, '--listen-tls-key', pem.serverKey, '--listen-tls-ca', pem.ca, '--listen-token-file', join(secrets, 'token')];
  const [extauthP, extauthTlsP, ratelimitP] = await Promise.all([
    portico(t, ['extauth', '--listen', `127.0.0.1:${extauth}`, '--xds-address', `127.0.0.1:${xds}`], () => checkAnswered(extauth)),
    portico(t, ['extauth', '--listen', `127.0.0.1:${extauthTls}`, ...tlsFlags, '--xds-address', `127.0.0.1:${xds}`], () => checkAnswered(extauthTls, mtls)),
    portico(t, ['ratelimit', '--listen', `127.0.0.1:${ratelimit}`, '--redis', redis.url, '--xds-address', `127.0.0.1:${xds}`, '--admin-address', `127.0.0.1:${ratelimitAdmin}`], () =>
      ok(`http://127.0.0.1:${ratelimitAdmin}/healthz`),
    ),
  ]);
  t.diagnostic(`processes started in ${Date.now() - started} ms`);

  const targets: (ProbeTarget & { owner: Started })[] = [
    { name: 'controller admin', port: admin, grpcPath: '/', owner: controllerP },
    { name: 'controller xDS', port: xds, grpcPath: ADS_PATH, owner: controllerP },
    { name: 'ext-auth', port: extauth, grpcPath: CHECK, owner: extauthP },
    { name: 'ext-auth (mutual TLS, token): the bytes as they are', port: extauthTls, grpcPath: CHECK, owner: extauthTlsP },
    {
      name: 'ext-auth (mutual TLS, token): inside TLS, with the token',
      port: extauthTls,
      grpcPath: CHECK,
      owner: extauthTlsP,
      inside: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey, servername: 'localhost', token: 'corpus-token' },
    },
    { name: 'rate-limit', port: ratelimit, grpcPath: SHOULD_RATE_LIMIT, owner: ratelimitP },
    { name: 'rate-limit admin', port: ratelimitAdmin, grpcPath: '/', owner: ratelimitP },
    { name: 'echo', port: echo, grpcPath: '/', owner: echoP },
  ];
  const corpusStarted = Date.now();
  const sent = await Promise.all(targets.map((target) => sendCorpus(target)));
  t.diagnostic(`corpus sent in ${Date.now() - corpusStarted} ms`);

  const processes = [controllerP, extauthP, extauthTlsP, ratelimitP, echoP];
  const exited = processes.filter((p) => p.proc.exitReason() !== undefined);
  const caught = processes.reduce((sum, p) => sum + p.caught(), 0);
  for (const [i, target] of targets.entries()) t.diagnostic(`${target.name} (port ${target.port}): ${sent[i]} requests`);
  t.diagnostic(`crashes: ${exited.length} processes exited, ${caught} errors caught by a process guard`);
  for (const p of exited) p.proc.assertRunning(); // throws with the output tail
  assert.equal(caught, 0, processes.map((p) => `${p.proc.name}: ${p.caught()} caught\n${p.caught() ? p.proc.output() : ''}`).join('\n'));
  const errorLines = processes.flatMap((p) => p.errors().map((line) => `${p.proc.name}: ${line.slice(0, 300)}`));
  t.diagnostic(`log lines at level error: ${errorLines.length}`);
  assert.deepEqual(errorLines, [], 'bad input is logged as the caller’s mistake, never as an error of the process');

  // Each still answers a normal request.
  assert.ok(await ok(`http://127.0.0.1:${admin}/healthz`), 'controller admin /healthz');
  const debug = await fetch(`http://127.0.0.1:${admin}/debug/proxies`, { headers: { authorization: 'Bearer corpus-token' }, signal: AbortSignal.timeout(5000) });
  assert.equal(debug.status, 200, 'controller admin /debug/proxies with the token');
  const ads = await grpcCall(xds, '/envoy.service.discovery.v3.AggregatedDiscoveryService/NoSuchMethod', Buffer.alloc(0));
  assert.equal((ads as grpc.ServiceError).code, grpc.status.UNIMPLEMENTED, 'the xDS server answers gRPC');
  assert.ok(await checkAnswered(extauth), 'an ext-auth Check is answered');
  assert.ok(await checkAnswered(extauthTls, mtls), 'an ext-auth Check over mutual TLS with the token is answered');
  const noToken = await grpcCall(extauthTls, CHECK, Buffer.alloc(0), { ...mtls, token: 'wrong' });
  assert.equal((noToken as grpc.ServiceError).code, grpc.status.UNAUTHENTICATED, 'and one with another token is refused');
  const rls = rlsClient(`127.0.0.1:${ratelimit}`);
  t.after(() => rls.close());
  assert.ok((await rls.askKeys('corpus', ['k', 'v'])).overall_code !== undefined, 'a RateLimit call is answered');
  assert.ok(await ok(`http://127.0.0.1:${ratelimitAdmin}/healthz`), 'rate-limit admin /healthz');
  assert.ok(await ok(`http://127.0.0.1:${echo}/after-the-corpus`), 'echo GET');
  for (const p of processes) p.proc.assertRunning();
  assert.equal(sent.every((n) => n === CORPUS.length), true);
});
