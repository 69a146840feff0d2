// A real Consul agent in -dev mode (an in-memory single server) on random loopback ports, for the tests that
// talk to Consul. `restart()` starts it again on the same ports and folder (a dev agent forgets its data).
import type { TestContext } from 'node:test';
import { freePorts, raftLeader, requireBinary, startProcess, tempDir, type ProcessHandle } from './components.ts';

export interface ConsulAgent {
  /** `http://127.0.0.1:<http>` */
  api: string;
  http: number;
  dir: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

export interface ConsulStartOptions {
  /** Node name (default portico-test). */
  node?: string;
  /** Datacenter (default dc1). */
  datacenter?: string;
  /** Extra agent flags. */
  args?: string[];
}

export async function startConsul(t: Pick<TestContext, 'after'>, opts: ConsulStartOptions = {}): Promise<ConsulAgent> {
  const consul = requireBinary('consul');
  const dir = await tempDir('consul', t);
  const [http = 0, grpc, serfLan, serfWan, server] = await freePorts(5);
  const api = `http://127.0.0.1:${http}`;
  const args = [
    'agent',
    '-dev',
    `-node=${opts.node ?? 'portico-test'}`,
    `-datacenter=${opts.datacenter ?? 'dc1'}`,
    '-bind=127.0.0.1',
    '-client=127.0.0.1',
    `-http-port=${http}`,
    `-grpc-port=${grpc}`,
    `-serf-lan-port=${serfLan}`,
    `-serf-wan-port=${serfWan}`,
    `-server-port=${server}`,
    // Not needed, and their fixed defaults (8600, 8503) would collide with another agent: off.
    '-dns-port=-1',
    '-grpc-tls-port=-1',
    '-log-level=warn',
    ...(opts.args ?? []),
  ];
  const start = () =>
    startProcess(consul, args, {
      cwd: dir,
      timeoutMs: 60_000,
      // The leader endpoint answers "" until the single dev server has elected itself.
      readyWhen: async () => (await raftLeader(api)) !== '',
    });
  let proc: ProcessHandle = await start();
  let stopped = false;
  t.after(() => (stopped ? undefined : proc.stop()));
  return {
    api,
    http,
    dir,
    stop: async () => {
      stopped = true;
      await proc.stop();
    },
    restart: async () => {
      if (!stopped) await proc.stop();
      proc = await start();
      stopped = false;
    },
  };
}
