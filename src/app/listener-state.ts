// Whether Envoy holds a Gateway's listeners, read from its admin API. `portico up` asks before it says a Gateway
// is ready: Envoy binds a listener's port when LDS adds it; when another process already has the port the bind
// fails, LDS is rejected (listener_manager.listener_create_failure counts it) and Envoy runs on without it (the
// controller withholds nothing for it: it reports it on the Gateway and sends the listener again until Envoy
// binds it). A port that is not held is then tried directly: a port in use is named as taken.
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export type ListenerState = { state: 'active' } | { state: 'failed'; details: string } | { state: 'pending' };

interface DynamicListener {
  name?: string;
  active_state?: unknown;
  error_state?: { details?: string };
}

/** The state of each named listener in the Envoy whose admin API is on `adminPort` (absent or warming: pending). */
export async function listenerStates(adminPort: number, names: readonly string[]): Promise<Map<string, ListenerState>> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/config_dump?resource=dynamic_listeners`);
  const configs = res.ok ? (((await res.json()) as { configs?: DynamicListener[] }).configs ?? []) : [];
  return new Map(
    names.map((name): [string, ListenerState] => {
      const l = configs.find((c) => c.name === name);
      if (l?.active_state) return [name, { state: 'active' }];
      if (l?.error_state) return [name, { state: 'failed', details: l.error_state.details ?? 'rejected by Envoy' }];
      return [name, { state: 'pending' }];
    }),
  );
}

/** How many listeners this Envoy failed to create (a port it could not bind among them). */
async function createFailures(adminPort: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${adminPort}/stats?filter=${encodeURIComponent('^listener_manager\\.listener_create_failure$')}`);
  return Number(/: (\d+)/.exec(await res.text())?.[1] ?? 0);
}

/**
 * Polls until every listener is active, or Envoy failed to create one, or `timeoutMs` passed; the listeners not
 * active then are returned failed (with Envoy's reason when it still shows one) or pending.
 */
export async function settledListenerStates(adminPort: number, names: readonly string[], timeoutMs: number, intervalMs = 100): Promise<Map<string, ListenerState>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await listenerStates(adminPort, names).catch(() => new Map<string, ListenerState>());
    const all = new Map(names.map((n): [string, ListenerState] => [n, states.get(n) ?? { state: 'pending' }]));
    const done = [...all.values()].every((s) => s.state === 'active') || [...all.values()].some((s) => s.state === 'failed');
    if (done || Date.now() >= deadline || (await createFailures(adminPort).catch(() => 0)) > 0) return all;
    await sleep(intervalMs);
  }
}

/** Whether another process listens on `address`:`port` (asked only of a port Envoy does not hold). */
export function portInUse(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    probe.listen({ host: address, port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

/** What to tell the user about a listener that is not serving, naming its port plainly. */
export function listenerProblem(gateway: string, port: number, state: Exclude<ListenerState, { state: 'active' }>, inUse: boolean): string {
  if (inUse) {
    const envoy = state.state === 'failed' ? ` (Envoy: ${state.details})` : '';
    return `gateway ${gateway}: port ${port} is taken by another process, so Envoy cannot listen there and the gateway is not ready; stop what uses port ${port} or change the Gateway's port${envoy}`;
  }
  if (state.state === 'pending') return `gateway ${gateway}: Envoy has not opened port ${port} yet; not ready`;
  return `gateway ${gateway}: Envoy cannot listen on port ${port}, so the gateway is not ready (Envoy: ${state.details})`;
}
