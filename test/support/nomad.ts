// A real Nomad dev agent (server + client in one process) for tests, on random loopback ports with a temp
// data dir; optionally wired to a Consul agent (service registration, templates) and with raw_exec on, so
// jobs can run Portico and Envoy from this checkout. No task outlives the test: the agent's process group is
// stopped, then any task still running in its data dir is killed and the tmpfs mounts Nomad made for the
// task dirs are unmounted, so that the data dir can be removed.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts, raftLeader, requireBinary, startProcess, type AfterHook, type ProcessHandle } from './components.ts';

export interface NomadAgent {
  /** `http://127.0.0.1:<port>` */
  api: string;
  process: ProcessHandle;
  /** `nomad job run -detach` with `-var name=value` for each entry; resolves with the evaluation's output. */
  runJob(file: string, vars?: Record<string, string>): Promise<string>;
  /** The allocations of a job, newest first. */
  allocations(job: string): Promise<Allocation[]>;
  /** What Nomad says happened to an allocation's tasks (its task events), for failure messages. */
  taskEvents(allocId: string): Promise<string>;
  /** Stderr (or stdout) of a task, for failure messages. */
  taskLogs(allocId: string, task: string, stream?: 'stderr' | 'stdout'): Promise<string>;
}

export interface Allocation {
  ID: string;
  ClientStatus: string;
  DesiredStatus: string;
  TaskGroup: string;
  CreateIndex: number;
}

export interface NomadStartOptions {
  /** `127.0.0.1:<port>` of a Consul agent's HTTP API: services register there and templates read it. */
  consulAddress?: string;
  /** Let jobs run host binaries without isolation (raw_exec is off by default). */
  rawExec?: boolean;
}

const exec = promisify(execFile);

export async function startNomad(t: AfterHook, opts: NomadStartOptions = {}): Promise<NomadAgent> {
  const nomad = requireBinary('nomad');
  // Not tempDir(): its removal could run before the agent is stopped (after-hooks run in order).
  const dir = await mkdtemp(join(tmpdir(), 'portico-nomad-'));
  const [http, rpc, serf] = await freePorts(3);
  const api = `http://127.0.0.1:${http}`;
  const config = join(dir, 'agent.hcl');
  await writeFile(config, agentConfig(join(dir, 'data'), { http: http!, rpc: rpc!, serf: serf! }, opts));
  const proc = await startProcess(nomad, ['agent', '-dev', `-config=${config}`, '-log-level=WARN'], {
    cwd: dir,
    env: { HOME: dir },
    timeoutMs: 60_000,
    readyWhen: async () => (await raftLeader(api)) !== '' && (await readyNodes(api)) > 0,
  });
  const cli = async (args: string[]) => (await exec(nomad, args, { env: { ...process.env, NOMAD_ADDR: api, HOME: dir }, maxBuffer: 4 << 20 })).stdout;
  t.after(async () => {
    await proc.stop().catch(() => undefined);
    await killLeftovers(join(dir, 'data'));
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  });
  return {
    api,
    process: proc,
    runJob: (file, vars = {}) => cli(['job', 'run', '-detach', ...Object.entries(vars).flatMap(([k, v]) => ['-var', `${k}=${v}`]), file]),
    allocations: async (job) => ((await getJson(`${api}/v1/job/${job}/allocations`)) as Allocation[]).sort((a, b) => b.CreateIndex - a.CreateIndex),
    taskEvents: async (allocId) => {
      const alloc = (await getJson(`${api}/v1/allocation/${allocId}`)) as { TaskStates?: Record<string, { Events: { Type: string; DisplayMessage: string }[] }> };
      return Object.entries(alloc.TaskStates ?? {}).map(([task, s]) => `${task}: ${s.Events.map((e) => `${e.Type}: ${e.DisplayMessage}`).join('; ')}`).join(' | ');
    },
    taskLogs: (allocId, task, stream = 'stderr') => cli(['alloc', 'logs', `-${stream}`, allocId, task]).catch((err: Error) => `(no logs: ${err.message})`),
  };
}

/**
 * -dev's fixed ports (4646-4648) would collide with another agent: random ones. The cloud fingerprinters
 * probe metadata endpoints a loopback test has no use for, and the AWS one fails the agent outright when
 * AWS_CA_BUNDLE is set (as on machines with a corporate CA): denied. Without a Consul of the test's own,
 * the Consul integration is off rather than pointed at whatever listens on 127.0.0.1:8500.
 */
function agentConfig(dataDir: string, ports: { http: number; rpc: number; serf: number }, opts: NomadStartOptions): string {
  const consul = opts.consulAddress
    ? `consul {\n  address = "${opts.consulAddress}"\n  auto_advertise = false\n}`
    : 'consul {\n  auto_advertise   = false\n  server_auto_join = false\n  client_auto_join = false\n}';
  return `
data_dir = "${dataDir}"
bind_addr = "127.0.0.1"
ports {
  http = ${ports.http}
  rpc  = ${ports.rpc}
  serf = ${ports.serf}
}
${consul}
client {
  options = {
    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
  }
}
${opts.rawExec ? 'plugin "raw_exec" {\n  config {\n    enabled = true\n  }\n}' : ''}
`;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

async function readyNodes(api: string): Promise<number> {
  return ((await getJson(`${api}/v1/nodes`)) as { Status: string }[]).filter((n) => n.Status === 'ready').length;
}

/** A task whose working directory is under the agent's data dir and that is still alive (a missed kill). */
async function killLeftovers(dataDir: string): Promise<void> {
  for (const pid of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    if (cwd.startsWith(dataDir)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** Nomad mounts a tmpfs on each task's secrets/ and private/ dirs (when run as root). */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8').catch(() => '')).split('\n').map((l) => l.split(' ')[1] ?? '');
  for (const target of mounts.filter((m) => m.startsWith(`${dir}/`))) await exec('umount', ['-l', target]).catch(() => undefined);
}
