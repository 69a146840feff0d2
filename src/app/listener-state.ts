// Whether Envoy holds a Gateway's listeners, read from its admin API. `portico up` asks before it says a Gateway
// is ready: Envoy binds a listener's port when LDS adds it, and when another process already has the port the bind
// fails, LDS is rejected and Envoy keeps the reason in the listener's `error_state` (config_dump), while the
// process itself runs on. Only this says the port was not opened.
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

/** Polls until no listener is pending any more, or `timeoutMs` passed (those still pending are returned so). */
export async function settledListenerStates(adminPort: number, names: readonly string[], timeoutMs: number, intervalMs = 100): Promise<Map<string, ListenerState>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await listenerStates(adminPort, names).catch(() => new Map<string, ListenerState>());
    const settled = names.every((n) => states.get(n) && states.get(n)?.state !== 'pending');
    if (settled || Date.now() >= deadline) return new Map(names.map((n) => [n, states.get(n) ?? { state: 'pending' }]));
    await sleep(intervalMs);
  }
}

/** What to tell the user about a listener that is not serving, naming its port plainly. */
export function listenerProblem(gateway: string, port: number, state: Exclude<ListenerState, { state: 'active' }>): string {
  if (state.state === 'pending') return `gateway ${gateway}: Envoy has not opened port ${port} yet; not ready`;
  if (/address already in use/i.test(state.details)) {
    return `gateway ${gateway}: port ${port} is taken by another process, so Envoy cannot listen there and the gateway is not ready; stop what uses port ${port} or change the Gateway's port (Envoy: ${state.details})`;
  }
  return `gateway ${gateway}: Envoy cannot listen on port ${port}, so the gateway is not ready (Envoy: ${state.details})`;
}
