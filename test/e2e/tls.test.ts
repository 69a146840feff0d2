// HTTPS listeners served by a real Envoy with certificates this test makes: SNI chooses the listener and the
// certificate (one from another namespace by ReferenceGrant), a Host of another listener gets 421, HTTP redirects to HTTPS, a bad certificateRef shows in
// status while the rest serves, and rotating a certificate's files changes what Envoy serves without
// draining the listener or failing a request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { envoyStat } from '../support/envoy-admin.ts';
import { backend, gatewayWith, route, upstream } from '../support/fixtures.ts';
import { startGateway, type GatewayEnv } from '../support/gateway.ts';
import { httpsRequest, type HttpsOptions } from '../support/http.ts';
import { issueCertificate, makeCa, type KeyPair } from '../support/tls.ts';

const GATEWAY = gatewayWith(`    - { name: http, protocol: HTTP, port: \${PORT} }
    - name: shop
      protocol: HTTPS
      port: \${HTTPS}
      hostname: shop.example.com
      tls: { certificateRefs: [{ name: shop }], options: { portico.dev/min-tls-version: '1.3' } }
    - name: wild
      protocol: HTTPS
      port: \${HTTPS}
      hostname: '*.example.com'
      tls:
        certificateRefs: [{ name: wild }]
        options: { portico.dev/max-tls-version: '1.2', portico.dev/cipher-suites: ECDHE-ECDSA-AES256-GCM-SHA384 }
    - { name: any, protocol: HTTPS, port: \${HTTPS}, tls: { certificateRefs: [{ name: alpha }, { name: beta }] } }
    - { name: broken, protocol: HTTPS, port: \${HTTPS}, hostname: broken.example.com, tls: { certificateRefs: [{ name: missing }] } }
    - { name: partner, protocol: HTTPS, port: \${HTTPS}, hostname: partner.test, tls: { certificateRefs: [{ name: partner, namespace: certs }] } }
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: gateways, namespace: certs }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: Gateway, namespace: default }]
  to: [{ group: '', kind: Secret }]`);

/** A route on each HTTPS listener to a backend; the redirect route sends every plain HTTP request to HTTPS. */
const ROUTES = [
  ...[['shop', 'shop'], ['wild', 'wild'], ['any', 'any'], ['partner', 'any']].map(([listener, target]) =>
    route(listener as string, `    - backendRefs:\n${backend(target as string)}`, `      sectionName: ${listener}\n`),
  ),
  route('to-https', `    - filters:
        - type: RequestRedirect
          requestRedirect: { scheme: https, port: \${HTTPS}, statusCode: 301 }`, '      sectionName: http\n'),
].join('---\n');

const ca = makeCa();
const issue = (cn: string, ...dns: string[]): KeyPair => issueCertificate(ca, cn, `subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}`);

function secretFiles(name: string, pair: KeyPair, namespace = 'default'): Record<string, string> {
  return { [`.secrets/${namespace}/${name}/tls.crt`]: pair.cert, [`.secrets/${namespace}/${name}/tls.key`]: pair.key };
}

/** An HTTPS request to the gateway with this SNI (and Host, unless given another). */
function get(gw: GatewayEnv, servername: string, path = '/', opts: Partial<HttpsOptions> = {}) {
  return httpsRequest(gw.ports.HTTPS as number, path, { servername, host: servername, ca: ca.cert, ...opts });
}

test('HTTPS listeners', async (t) => {
  const shop = issue('shop v1', 'shop.example.com');
  const gw = await startGateway(t, {
    backends: ['shop', 'wild', 'any'],
    ports: ['HTTPS'],
    files: {
      'gateway.yaml': GATEWAY,
      'upstreams.yaml': ['shop', 'wild', 'any'].map((name) => upstream(name)).join('---\n'),
      'routes.yaml': ROUTES,
      ...secretFiles('shop', shop),
      ...secretFiles('wild', issue('wildcard', '*.example.com')),
      ...secretFiles('alpha', issue('alpha', 'alpha.test')),
      ...secretFiles('beta', issue('beta', 'beta.test')),
      ...secretFiles('partner', issue('partner', 'partner.test'), 'certs'),
    },
  });
  await gw.until('/', (r) => r.status === 301); // the HTTP listener is up: so is the config
  const ready = await waitForHttps(gw, 'shop.example.com');
  assert.equal(ready.status, 200);

  await t.test('SNI chooses the listener and, among its certificates, the one for the name', async () => {
    for (const [sni, cn, san, backendName] of [
      ['shop.example.com', 'shop v1', 'DNS:shop.example.com', 'shop'],
      ['api.example.com', 'wildcard', 'DNS:*.example.com', 'wild'],
      ['alpha.test', 'alpha', 'DNS:alpha.test', 'any'],
      ['beta.test', 'beta', 'DNS:beta.test', 'any'],
      ['partner.test', 'partner', 'DNS:partner.test', 'any'], // a Secret of namespace certs, by ReferenceGrant
    ] as const) {
      const r = await get(gw, sni);
      assert.equal(r.status, 200, `${sni}: ${r.body}`);
      assert.deepEqual([r.peer.cn, r.peer.san, r.json?.backend], [cn, san, backendName], sni);
    }
  });

  await t.test('TLS versions and cipher suites follow the listener options', async () => {
    const limited = await get(gw, 'api.example.com');
    assert.deepEqual(limited.tls, { protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
    assert.equal((await get(gw, 'shop.example.com')).tls.protocol, 'TLSv1.3');
    await assert.rejects(get(gw, 'shop.example.com', '/', { maxVersion: 'TLSv1.2' }), /protocol version/);
    assert.equal((await get(gw, 'api.example.com', '/', { maxVersion: 'TLSv1.2' })).status, 200);
  });

  await t.test('a Host of another listener than the SNI chose answers 421 Misdirected Request', async () => {
    assert.equal((await get(gw, 'shop.example.com', '/', { host: 'api.example.com' })).status, 421);
    assert.equal((await get(gw, 'api.example.com', '/', { host: 'shop.example.com' })).status, 421);
    assert.equal((await get(gw, 'alpha.test', '/', { host: 'shop.example.com' })).status, 421);
    assert.equal((await get(gw, 'shop.example.com', '/', { host: 'elsewhere.test' })).status, 421);
    // The port in Host plays no part.
    assert.equal((await get(gw, 'shop.example.com', '/', { host: `shop.example.com:${gw.ports.HTTPS}` })).status, 200);
  });

  await t.test('HTTP redirects to HTTPS, and the redirect can be followed', async () => {
    const r = await gw.get('/cart?item=1', { host: 'shop.example.com' });
    assert.equal(r.status, 301);
    const location = new URL(String(r.headers.location));
    assert.equal(location.href, `https://shop.example.com:${gw.ports.HTTPS}/cart?item=1`);
    const followed = await get(gw, location.hostname, `${location.pathname}${location.search}`);
    assert.equal(followed.status, 200);
    assert.equal(followed.json?.path, '/cart?item=1');
    assert.equal(followed.json?.backend, 'shop');
  });

  await t.test('a missing certificate shows in the listener status; the other listeners serve', async () => {
    const status = (await gw.status('gateway.networking.k8s.io/Gateway/default/gw'))?.status as Record<string, unknown> | undefined;
    const listeners = (status?.listeners ?? []) as { name: string; conditions: { type: string; status: string; reason: string; message: string }[] }[];
    const broken = listeners.find((l) => l.name === 'broken')?.conditions ?? [];
    const refs = broken.find((c) => c.type === 'ResolvedRefs');
    assert.deepEqual([refs?.status, refs?.reason], ['False', 'InvalidCertificateRef']);
    assert.match(refs?.message ?? '', /Secret default\/missing not found/);
    assert.equal(broken.find((c) => c.type === 'Programmed')?.status, 'False');
    const accepted = (status?.conditions as { type: string; reason: string }[]).find((c) => c.type === 'Accepted');
    assert.equal(accepted?.reason, 'ListenersNotValid');
    const shopStatus = listeners.find((l) => l.name === 'shop')?.conditions.find((c) => c.type === 'Programmed');
    assert.equal(shopStatus?.status, 'True');
    // broken.example.com falls to the wildcard listener's certificate, which is not for the missing one.
    assert.equal((await get(gw, 'broken.example.com')).json?.backend, 'wild');
  });

  await t.test('rotating the certificate files: every request succeeds, the listener is not drained', async () => {
    const modifiedBefore = await envoyStat(gw.envoy.adminPort, 'listener_manager.listener_modified');
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => keepAlive.destroy());
    const kept = await get(gw, 'shop.example.com', '/', { agent: keepAlive });
    assert.equal(kept.peer.cn, 'shop v1');

    const failures: string[] = [];
    let requests = 0;
    let rotated = false;
    let servedAfterMs = 0;
    const loop = (async () => {
      while (!rotated) {
        const [fresh, reused] = await Promise.all([
          get(gw, 'shop.example.com').catch((err: Error) => ({ status: 0, body: err.message, peer: { cn: '' } })),
          get(gw, 'shop.example.com', '/', { agent: keepAlive }).catch((err: Error) => ({ status: 0, body: err.message, peer: { cn: '' }, localPort: -1 })),
        ]);
        requests += 2;
        if (fresh.status !== 200) failures.push(`new connection: ${fresh.status} ${fresh.body}`);
        if (reused.status !== 200) failures.push(`kept connection: ${reused.status} ${reused.body}`);
        if (fresh.peer.cn === 'shop v2') rotated = true;
      }
    })();
    // Two writes, as a person or cert tool would do them: the key follows the certificate.
    const next = issue('shop v2', 'shop.example.com');
    const writtenAt = performance.now();
    await gw.write('.secrets/default/shop/tls.crt', next.cert);
    await gw.write('.secrets/default/shop/tls.key', next.key);
    try {
      await Promise.race([loop.then(() => (servedAfterMs = performance.now() - writtenAt)), new Promise((_, reject) => setTimeout(() => reject(new Error('the new certificate was not served within 15 s')), 15_000).unref())]);
    } finally {
      rotated = true; // also when the wait failed: the load must not outlive the test
      await loop;
    }

    assert.deepEqual(failures, [], `${failures.length} of ${requests} requests failed`);
    const after = await get(gw, 'shop.example.com', '/', { agent: keepAlive });
    assert.equal(after.status, 200);
    assert.equal(after.localPort, kept.localPort, 'the kept connection survived the rotation');
    assert.equal(after.peer.cn, 'shop v1', 'a TLS session keeps the certificate it was set up with');
    assert.equal(await envoyStat(gw.envoy.adminPort, 'listener_manager.listener_modified'), modifiedBefore, 'the listener was not modified (so not drained)');
    t.diagnostic(`new certificate served ${Math.round(servedAfterMs)} ms after the write; ${requests} requests during the rotation, none failed`);
  });
});

/** HTTPS config reaches Envoy a moment after HTTP (the listener warms until its Secrets arrive). */
async function waitForHttps(gw: GatewayEnv, sni: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await get(gw, sni).catch((err: Error) => err);
    if (!(r instanceof Error) && r.status === 200) return r;
    if (Date.now() > deadline) assert.fail(`HTTPS on ${sni} did not answer 200: ${r instanceof Error ? r.message : `${r.status} ${r.body}`}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
