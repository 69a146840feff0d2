// The README's first command. `make run` is `bin/portico up examples/quickstart --echo 127.0.0.1:18080`: here the
// real bin/portico up, as a process, on a copy of examples/quickstart whose Gateway and echo take free ports (the
// only change to the copy), so the test never needs 8080. The URL it prints answers; an edit is served; an added
// AuthConfig starts the ext-auth service and protects the route. And with the Gateway's port already taken by
// another process, `up` names the taken port and never claims the gateway is ready.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORTICO, porticoEnv } from '../support/cli.ts';
import { freePorts, startProcess, tempDir, waitFor, type ProcessHandle } from '../support/components.ts';
import { basicAuthConfig, basicCredentials } from '../support/fixtures.ts';
import { httpRequest, type HttpResult } from '../support/http.ts';

const QUICKSTART = fileURLToPath(new URL('../../examples/quickstart', import.meta.url));
const READY = /gateway default\/http ready: curl (http:\/\/127\.0\.0\.1:(\d+)\/)/;

/** A copy of the quickstart with the Gateway on `port` and the echo Upstream on `echoPort` (removed by `up`'s stop). */
async function quickstartCopy(port: number, echoPort: number): Promise<string> {
  const dir = await tempDir('up');
  await cp(QUICKSTART, dir, { recursive: true });
  await edit(dir, 'gateway.yaml', (text) => replaceOnce(text, 'port: 8080', `port: ${port}`));
  await edit(dir, 'echo.yaml', (text) => replaceOnce(text, 'port: 18080', `port: ${echoPort}`));
  return dir;
}

function replaceOnce(text: string, from: string, to: string): string {
  assert.equal(text.split(from).length, 2, `the quickstart has '${from}' once`);
  return text.replace(from, to);
}

/** Rewrites a file of the folder atomically, as an editor saves it. */
async function edit(dir: string, file: string, change: (text: string) => string): Promise<void> {
  const path = join(dir, file);
  const text = change(await readFile(path, 'utf8'));
  await writeFile(join(dir, `.${file}.tmp`), text);
  await rename(join(dir, `.${file}.tmp`), path);
}

async function up(t: TestContext, dir: string, echoPort: number): Promise<ProcessHandle> {
  const proc = await startProcess(PORTICO, ['up', dir, '--echo', `127.0.0.1:${echoPort}`, '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--log-format', 'json'], {
    name: 'portico up',
    env: porticoEnv(),
  });
  // Stopped before its folder goes: `up` writes statuses there while it runs.
  t.after(async () => {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return proc;
}

async function until(url: string, check: (r: HttpResult) => boolean, headers: Record<string, string> = {}): Promise<HttpResult> {
  const { port, pathname, search } = new URL(url);
  let last: HttpResult | undefined;
  await waitFor(async () => {
    last = await httpRequest(Number(port), `${pathname}${search}`, { headers }).catch(() => undefined);
    return last !== undefined && check(last);
  }, { timeoutMs: 20_000, intervalMs: 50, what: () => `${url} (last answer: ${last?.status} ${JSON.stringify(last?.headers)})` });
  return last as HttpResult;
}

const AUTH = `${basicAuthConfig()}---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: basic-auth, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: echo }]
  options: { extauth: { configRef: { name: basic-auth, namespace: default } } }
`;

test('portico up on the quickstart: the printed URL answers, an edit is served, an AuthConfig starts ext-auth and protects the route', { timeout: 120_000 }, async (t) => {
  const [port = 0, echoPort = 0] = await freePorts(2);
  const dir = await quickstartCopy(port, echoPort);
  const proc = await up(t, dir, echoPort);
  await waitFor(() => READY.test(proc.output()), { timeoutMs: 60_000, what: () => `the ready line; output:\n${proc.output()}` });
  const [, url = '', printedPort] = READY.exec(proc.output()) ?? [];
  assert.equal(Number(printedPort), port, 'the URL names the Gateway port');

  // The README's curl: JSON from the echo upstream, through the route's header filter.
  const hello = await until(`${url}hello?x=1`, (r) => r.status === 200);
  assert.equal(hello.headers['x-served-by'], 'portico');
  assert.equal(hello.json?.backend, 'echo');
  assert.equal(hello.json?.path, '/hello?x=1');

  await edit(dir, 'echo.yaml', (text) => replaceOnce(text, 'value: portico', 'value: edited'));
  await until(`${url}hello`, (r) => r.status === 200 && r.headers['x-served-by'] === 'edited');

  // The walkthrough's basic auth: `up` starts the ext-auth service for it (a 401 with the realm comes from the
  // service; without one Envoy would answer 403), and the right credentials pass.
  await writeFile(join(dir, 'auth.yaml'), AUTH);
  const denied = await until(`${url}hello`, (r) => r.status === 401);
  assert.equal(denied.headers['www-authenticate'], 'Basic realm="gloo"');
  const allowed = await until(`${url}hello`, (r) => r.status === 200, basicCredentials('test', 'test123'));
  assert.equal(allowed.json?.backend, 'echo');
  assert.equal((await httpRequest(port, '/hello', { headers: basicCredentials('test', 'wrong') })).status, 401);
  proc.assertRunning();
});

test('portico up with the Gateway port taken: it names the port and never says ready', { timeout: 120_000 }, async (t) => {
  const [port = 0, echoPort = 0] = await freePorts(2);
  // Another program already listening where the Gateway wants to (as a new user's 8080 might be).
  const squatter: Server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => squatter.listen(port, '0.0.0.0', resolve));
  t.after(() => new Promise((resolve) => squatter.close(resolve)));
  const dir = await quickstartCopy(port, echoPort);
  const proc = await up(t, dir, echoPort);

  const taken = new RegExp(`gateway default/http: port ${port} is taken by another process`);
  await waitFor(() => taken.test(proc.output()), { timeoutMs: 60_000, what: () => `the taken port named; output:\n${proc.output()}` });
  const line = proc.output().split('\n').find((l) => taken.test(l)) ?? '';
  t.diagnostic(JSON.parse(line).msg);
  assert.equal(JSON.parse(line).level, 50, 'an error');
  assert.match(line, /not ready/);
  assert.doesNotMatch(proc.output(), /ready: curl/, 'no readiness claimed');
  proc.assertRunning();
});
