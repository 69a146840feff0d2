// TLS mismatches between the controller and Consul: HTTPS to Consul's plain HTTP port, plain HTTP to its
// HTTPS port, and an HTTPS port whose certificate the controller's CA does not vouch for. Each shows in
// /healthz (degraded) and in the log as one line naming Consul, the address, what does not match and the
// setting to check, for the KV source and catalog discovery alike; the controller keeps running. With the
// right CA, all is well.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { Controller } from '../../src/app/controller.ts';
import type { ConsulOptions } from '../../src/consul/client.ts';
import { freePort, tempDir, waitFor } from '../support/components.ts';
import { startConsul } from '../support/consul.ts';
import { fill, GATEWAY, route } from '../support/fixtures.ts';
import { issueCertificate, makeCa } from '../support/tls.ts';

async function health(c: Controller): Promise<{ status: string; degraded: string[] }> {
  return (await (await fetch(`http://127.0.0.1:${c.adminPort}/healthz`)).json()) as { status: string; degraded: string[] };
}

test('TLS mismatch with Consul: a plain-words degraded health and log line, never a crash', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir('consul-tls', t);
  const ca = makeCa();
  const server = issueCertificate(ca, 'server.dc1.consul', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  const files = { ca: join(dir, 'ca.pem'), otherCa: join(dir, 'other-ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server-key.pem') };
  await Promise.all([writeFile(files.ca, ca.cert), writeFile(files.otherCa, makeCa('another-ca').cert), writeFile(files.cert, server.cert), writeFile(files.key, server.key)]);
  const httpsPort = await freePort();
  const consul = await startConsul(t, { args: [`-https-port=${httpsPort}`, `-hcl=tls { defaults { cert_file = "${files.cert}" key_file = "${files.key}" } }`] });
  const https = `https://127.0.0.1:${httpsPort}`;

  // Routes to a catalog service, from a folder (the KV source cannot be read): catalog discovery fails too.
  const configDir = join(dir, 'config');
  const routes = GATEWAY + '---\n' + route('web', '    - backendRefs: [{ name: web, port: 8080 }]');
  await mkdir(configDir);
  await writeFile(join(configDir, 'routes.yaml'), fill(routes, { PORT: await freePort() }));

  const run = async (consulOptions: ConsulOptions, withRoutes = false) => {
    const logs: string[] = [];
    const c = new Controller({
      ...(withRoutes && { configDir }),
      consulKv: { rootKey: 'portico', statusPrefix: 'portico-status' },
      consul: consulOptions,
      discovery: { consul: consulOptions },
      xdsAddress: '127.0.0.1:0',
      adminAddress: '127.0.0.1:0',
      logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    });
    await c.start();
    t.after(() => c.stop());
    return { c, logs };
  };
  const degraded = async (consulOptions: ConsulOptions, expected: RegExp, withRoutes = false) => {
    const { c, logs } = await run(consulOptions, withRoutes);
    let shown: string[] = [];
    await waitFor(async () => (shown = (await health(c)).degraded).some((d) => expected.test(d)), { what: () => `degraded health matching ${expected} (last: ${shown.join(' | ')})` });
    const line = logs.map((l) => JSON.parse(l) as { msg: string; err?: unknown }).find((l) => expected.test(l.msg));
    assert.ok(line, `a log line matching ${expected}`);
    assert.equal(line.err, undefined, 'no error object (with its stack) in the log line');
    return shown.join('\n');
  };

  const plainPort = consul.api.replace('http://', 'https://');
  const toPlain = await degraded({ address: plainPort, tls: { caFile: files.ca } }, /TLS mismatch with Consul at https:\/\/127\.0\.0\.1:\d+ \(reading portico\/\): the port answers plain HTTP, not TLS/);
  assert.ok(toPlain.includes(plainPort), toPlain);

  const unknownCa = /TLS mismatch with Consul at https:\/\/127\.0\.0\.1:\d+ \(reading portico\/\): certificate signed by an unknown authority \(check consul\.tls\.caFile/;
  assert.ok((await degraded({ address: https }, unknownCa)).includes(https));
  await degraded({ address: https, tls: { caFile: files.otherCa } }, unknownCa);
  // Catalog discovery says the same, with what it was doing.
  await degraded({ address: https, tls: { caFile: files.otherCa } }, /^consul discovery: TLS mismatch with Consul at https:\/\/127\.0\.0\.1:\d+ \(watching the instances of service web\): certificate signed by an unknown authority/, true);

  const plainToTls = `http://127.0.0.1:${httpsPort}`;
  assert.ok((await degraded({ address: plainToTls }, /TLS mismatch with Consul at http:\/\/127\.0\.0\.1:\d+ \(reading portico\/\): the port wants TLS and refused plain HTTP/)).includes(plainToTls));

  const { c } = await run({ address: https, tls: { caFile: files.ca } });
  await waitFor(async () => (await health(c)).status === 'ok', { what: 'healthy with the right CA' });
});
