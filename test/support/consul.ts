// A real Consul agent for tests on random loopback ports, ready once it has elected itself leader:
// `consul agent -dev` (in-memory) by default; `persistent: true` runs a single server with a data dir
// instead (a dev agent forgets everything on restart), so restart() brings it back with its KV data on the
// same ports. `acl: true` turns ACLs on, default deny, with a known initial management token.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePorts, raftLeader, requireBinary, startProcess, tempDir, type AfterHook, type ProcessHandle } from './components.ts';

export interface ConsulAgent {
  /** `http://127.0.0.1:<port>` */
  api: string;
  httpPort: number;
  serverPort: number;
  /** The management token when started with `acl: true`. */
  managementToken?: string;
  process(): ProcessHandle;
  /** Stops the agent (like a crash of the Consul side: clients see refused connections). */
  stop(): Promise<void>;
  /** Starts it again (stopping it first if it runs) on the same ports and data dir; resolves once it is leader again. */
  restart(): Promise<void>;
}

export interface ConsulStartOptions {
  /** Node name (default portico-test). */
  node?: string;
  /** Datacenter (default dc1). */
  datacenter?: string;
  acl?: boolean;
  persistent?: boolean;
  /** Extra agent flags. */
  args?: string[];
}

export async function startConsul(t: AfterHook, opts: ConsulStartOptions = {}): Promise<ConsulAgent> {
  const consul = requireBinary('consul');
  const dir = await tempDir('consul', t);
  const [http = 0, grpc, serfLan, serfWan, server = 0] = await freePorts(5);
  const api = `http://127.0.0.1:${http}`;
  const managementToken = opts.acl ? randomUUID() : undefined;
  const args = [
    'agent',
    ...(opts.persistent ? ['-server', '-bootstrap-expect=1', `-data-dir=${join(dir, 'data')}`, '-hcl=performance { raft_multiplier = 1 }'] : ['-dev']),
    `-node=${opts.node ?? 'portico-test'}`,
    '-bind=127.0.0.1',
    '-client=127.0.0.1',
    `-http-port=${http}`,
    `-grpc-port=${grpc}`,
    `-serf-lan-port=${serfLan}`,
    `-serf-wan-port=${serfWan}`,
    `-server-port=${server}`,
    // Not needed here, and their fixed defaults (8600, 8503) would collide with another agent: off.
    '-dns-port=-1',
    '-grpc-tls-port=-1',
    '-log-level=warn',
    ...(opts.datacenter ? [`-datacenter=${opts.datacenter}`] : []),
    ...(opts.args ?? []),
  ];
  if (managementToken) {
    const hcl = join(dir, 'acl.hcl');
    await writeFile(hcl, `acl {\n  enabled = true\n  default_policy = "deny"\n  tokens { initial_management = "${managementToken}" }\n}\n`);
    args.push(`-config-file=${hcl}`);
  }
  const start = () =>
    startProcess(consul, args, {
      cwd: dir,
      timeoutMs: 60_000,
      // The leader endpoint answers "" until the single dev server has elected itself.
      readyWhen: async () => (await raftLeader(api)) !== '',
    });
  let proc = await start();
  let stopped = false;
  t.after(() => (stopped ? undefined : proc.stop()));
  return {
    api,
    httpPort: http,
    serverPort: server,
    ...(managementToken && { managementToken }),
    process: () => proc,
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
