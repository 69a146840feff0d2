import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEcho } from './server.ts';

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
