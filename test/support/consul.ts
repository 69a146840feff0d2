// A real Consul agent for tests on random loopback ports, ready once it has elected itself leader:
// `consul agent -dev` (in-memory) by default; `persistent: true` runs a single server with a data dir
// instead (a dev agent forgets everything on restart), so restart() brings it back with its KV data on the
// same ports. `acl: true` turns ACLs on, default deny, with a known initial management token;
// `controllerToken(agent)` then makes a token from consul/portico-controller.hcl, the policy an operator
// gives the controller, and `agent.fetch()` calls the HTTP API as the operator (with the management token).
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { freePorts, raftLeader, requireBinary, restartable, startProcess, tempDir, type AfterHook, type ProcessHandle } from './components.ts';

export interface ConsulAgent {
  /** `http://127.0.0.1:<port>` */
  api: string;
  httpPort: number;
  serverPort: number;
  /** The management token when started with `acl: true`. */
  managementToken?: string;
  /** A request to the HTTP API (`path` like `/v1/kv/x`), with the management token when ACLs are on. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
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
    // The agent acts with the management token too (its own node registration, anti-entropy), as an
    // operator's agent has its agent token; the controller never gets it.
    await writeFile(hcl, `acl {\n  enabled = true\n  default_policy = "deny"\n  tokens {\n    initial_management = "${managementToken}"\n    agent = "${managementToken}"\n  }\n}\n`);
    args.push(`-config-file=${hcl}`);
  }
  const start = () =>
    startProcess(consul, args, {
      cwd: dir,
      timeoutMs: 60_000,
      // The leader endpoint answers "" until the single dev server has elected itself; with ACLs, the ACL
      // system is set up only after that ("ACL system must be bootstrapped" until then, longer under load).
      readyWhen: async () => (await raftLeader(api)) !== '' && (!managementToken || (await aclReady(api, managementToken))),
    });
  const proc = await restartable(t, start);
  return {
    api,
    httpPort: http,
    serverPort: server,
    ...(managementToken && { managementToken }),
    fetch: (path, init = {}) => fetch(`${api}${path}`, { ...init, headers: { ...(managementToken && { 'x-consul-token': managementToken }), ...(init.headers as Record<string, string>) } }),
    ...proc,
  };
}

/** Whether the agent's ACL system answers for the management token (it does not until bootstrapped). */
async function aclReady(api: string, token: string): Promise<boolean> {
  const res = await fetch(`${api}/v1/acl/token/self`, { headers: { 'x-consul-token': token } }).catch(() => undefined);
  await res?.body?.cancel();
  return res?.status === 200;
}

const CONTROLLER_POLICY = resolve(import.meta.dirname, '../../consul/portico-controller.hcl');

/** Creates an ACL policy with these rules and a token holding it; resolves to the token's SecretID. */
export async function aclToken(agent: ConsulAgent, name: string, rules: string): Promise<string> {
  if (!agent.managementToken) throw new Error('aclToken needs an agent started with startConsul(t, { acl: true })');
  const put = async (path: string, body: unknown) => {
    const res = await agent.fetch(`/v1/acl/${path}`, { method: 'PUT', body: JSON.stringify(body) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`creating ACL ${path} ${name}: Consul answered ${res.status}: ${text}`);
    return JSON.parse(text) as { SecretID?: string };
  };
  await put('policy', { Name: name, Rules: rules });
  return (await put('token', { Description: name, Policies: [{ Name: name }] })).SecretID as string;
}

let controllerTokens = 0;

/**
 * A token with exactly the controller's least-privilege policy, consul/portico-controller.hcl (read on the
 * root key, write on the status prefix, session write, service and node read), the prefixes changed when
 * the test uses others, as an operator would. Each call makes a new policy and token.
 */
export async function controllerToken(agent: ConsulAgent, opts: { rootKey?: string; statusPrefix?: string } = {}): Promise<string> {
  const rules = (await readFile(CONTROLLER_POLICY, 'utf8'))
    .replaceAll('key_prefix "portico-status/"', `key_prefix "${opts.statusPrefix ?? 'portico-status'}/"`)
    .replaceAll('key_prefix "portico/"', `key_prefix "${opts.rootKey ?? 'portico'}/"`);
  return aclToken(agent, `portico-controller-${++controllerTokens}`, rules);
}
