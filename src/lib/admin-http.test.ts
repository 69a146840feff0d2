// The admin endpoint against what a client may send as raw bytes: request-targets URL cannot parse, prototype
// names as debug paths, other methods, a handler that throws. Each is answered, and the server keeps serving.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { startAdmin, targetPath, type AdminHandlers } from './admin-http.ts';

/** Sends `request` on a fresh connection; resolves to the status code of the answer. */
function statusOf(port: number, request: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)));
    socket.end(request);
  });
}

const get = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\nhost: admin\r\nconnection: close\r\n${headers}\r\n`;

async function admin(t: { after(fn: () => unknown): void }, token?: string) {
  const errors: unknown[] = [];
  const handlers: AdminHandlers = {
    ready: () => true,
    degraded: () => [],
    debug: {
      ok: () => ({ fine: true }),
      broken: () => {
        throw new Error('debug handler bug');
      },
    },
    onError: (err) => errors.push(err),
  };
  const server = await startAdmin('127.0.0.1', 0, handlers, token ? { token } : {});
  t.after(() => server.close());
  return { port: server.port, errors };
}

test('targetPath: origin- and absolute-form give the path; what URL cannot parse, or is no path, gives undefined', () => {
  assert.equal(targetPath('/debug/ir?x=1'), '/debug/ir');
  assert.equal(targetPath('http://h:1/healthz'), '/healthz');
  for (const bad of ['http://[', 'http://[/healthz', '*', 'admin:19000', '', undefined, 'javascript:1']) assert.equal(targetPath(bad), undefined, String(bad));
});

for (const token of [undefined, 's3cret']) {
  test(`malformed targets and prototype names are answered, never thrown on (${token ? 'with' : 'without'} a token)`, async (t) => {
    const { port, errors } = await admin(t, token);
    const auth = token ? `authorization: Bearer ${token}\r\n` : '';
    assert.equal(await statusOf(port, get('http://[')), 400);
    assert.equal(await statusOf(port, get('http://[/healthz')), 400);
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf']) {
      assert.equal(await statusOf(port, get(`/debug/${name}`, auth)), 404, name);
    }
    assert.equal(await statusOf(port, get('/debug/constructor')), token ? 401 : 404);
    assert.equal(await statusOf(port, `POST /healthz HTTP/1.1\r\nhost: a\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`), 405);
    assert.equal(await statusOf(port, get('/debug/broken', auth)), 500);
    assert.equal((errors[0] as Error).message, 'debug handler bug');
    assert.equal(await statusOf(port, get('/debug/ok', auth)), 200);
    assert.equal(await statusOf(port, get('/healthz')), 200);
  });
}

test('headers over the cap get 431, and the server still answers', async (t) => {
  const { port } = await admin(t);
  assert.equal(await statusOf(port, get('/healthz', `x-big: ${'a'.repeat(20_000)}\r\n`)), 431);
  assert.equal(await statusOf(port, get('/healthz')), 200);
});
