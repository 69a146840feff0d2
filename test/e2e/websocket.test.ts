// WebSocket upgrades through a real Envoy to the echo upstream, with Node's own WebSocket client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.ts';
import { backend, GATEWAY, route, upstream } from '../support/fixtures.ts';

const ROUTES = route('ws', `    - matches: [{ path: { type: PathPrefix, value: /chat } }]
      backendRefs:
${backend('b')}
    - backendRefs:
${backend('a')}`);

/** Opens a WebSocket, sends each message in turn, and resolves with the replies once all have come. */
function exchange(url: string, messages: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const replies: string[] = [];
    const timer = setTimeout(() => reject(new Error(`no full exchange over ${url} (replies: ${replies.join(' | ')})`)), 5000);
    ws.onerror = () => reject(new Error(`WebSocket to ${url} failed`));
    ws.onopen = () => messages.forEach((m) => ws.send(m));
    ws.onmessage = (e) => {
      replies.push(String(e.data));
      if (replies.length === messages.length) ws.close();
    };
    ws.onclose = () => {
      clearTimeout(timer);
      resolve(replies);
    };
  });
}

test('WebSocket upgrades pass through, routed like any request', async (t) => {
  const gw = await startGateway(t, {
    backends: ['a', 'b'],
    files: { 'gateway.yaml': GATEWAY, 'upstreams.yaml': `${upstream('a')}---${upstream('b')}`, 'routes.yaml': ROUTES },
  });
  await gw.until('/chat', (r) => r.status === 200);
  assert.deepEqual(await exchange(`ws://127.0.0.1:${gw.port}/chat/room`, ['hello', 'again']), ['b: hello', 'b: again']);
  assert.deepEqual(await exchange(`ws://127.0.0.1:${gw.port}/other`, ['x'.repeat(100_000)]), [`a: ${'x'.repeat(100_000)}`]);
});
