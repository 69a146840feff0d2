import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { MAX_BODY_BYTES, startEcho } from './server.ts';

test('?key counts requests per key and &fail=N answers the first N with 503', async (t) => {
  const echo = await startEcho({ name: 'e' });
  t.after(() => echo.close());
  const get = async (query: string) => {
    const res = await fetch(`http://127.0.0.1:${echo.port}/x?${query}`);
    return { status: res.status, attempt: ((await res.json()) as { attempt?: number }).attempt };
  };
  assert.deepEqual(await get('key=a&fail=2'), { status: 503, attempt: 1 });
  assert.deepEqual(await get('key=a&fail=2'), { status: 503, attempt: 2 });
  assert.deepEqual(await get('key=a&fail=2'), { status: 200, attempt: 3 });
  assert.deepEqual(await get('key=b'), { status: 200, attempt: 1 });
  assert.deepEqual(await get('status=201'), { status: 201, attempt: undefined });
});

test('WebSocket upgrades: every message comes back prefixed with the backend name', async (t) => {
  const echo = await startEcho({ name: 'ws' });
  t.after(() => echo.close());
  const ws = new WebSocket(`ws://127.0.0.1:${echo.port}/chat`);
  const replies: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    ws.onerror = () => reject(new Error('websocket error'));
    ws.onmessage = (e) => {
      replies.push(String(e.data));
      if (replies.length === 2) ws.close();
    };
    ws.onclose = () => resolve();
  });
  await new Promise((resolve) => (ws.onopen = resolve));
  ws.send('hello');
  ws.send('x'.repeat(70_000));
  await done;
  assert.equal(replies[0], 'ws: hello');
  assert.equal(replies[1], `ws: ${'x'.repeat(70_000)}`);
});

/** Sends raw bytes on a fresh connection; resolves to what came back before the server closed it. */
function rawExchange(port: number, bytes: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.end(bytes);
  });
}

test('bytes no client should send are answered, never thrown on: bad target, body over the cap, a client gone mid-body, a giant WebSocket frame', async (t) => {
  const echo = await startEcho({ name: 'e' });
  t.after(() => echo.close());
  assert.match(await rawExchange(echo.port, 'GET http://[ HTTP/1.1\r\nhost: e\r\n\r\n'), /^HTTP\/1\.1 400/);
  const big = `POST / HTTP/1.1\r\nhost: e\r\ncontent-length: ${MAX_BODY_BYTES + 10}\r\n\r\n${'x'.repeat(MAX_BODY_BYTES + 10)}`;
  assert.match(await rawExchange(echo.port, big), /^HTTP\/1\.1 413/);
  const gone = connect(echo.port, '127.0.0.1');
  gone.write('POST / HTTP/1.1\r\nhost: e\r\ncontent-length: 100\r\n\r\nabc');
  await new Promise((r) => setTimeout(r, 50));
  gone.destroy();
  const upgrade = 'GET / HTTP/1.1\r\nhost: e\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n';
  const frameHead = Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]); // a masked binary frame of 4 GB
  const ws = await rawExchange(echo.port, Buffer.concat([Buffer.from(upgrade), frameHead]));
  assert.match(ws, /^HTTP\/1\.1 101/);
  assert.ok(ws.endsWith('\x88\x02\x03\xf1'), 'closed with 1009');
  assert.equal((await fetch(`http://127.0.0.1:${echo.port}/still`)).status, 200);
});
