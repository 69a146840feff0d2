// Registering services and flipping their health on a test Consul agent, through its HTTP API.
export interface TestInstance {
  id: string;
  service: string;
  /** Omitted: the instance registers without its own address (the node's applies). */
  address?: string;
  /** Omitted: registered without a port. */
  port?: number;
  tags?: string[];
  /** Consul's Service.TaggedAddresses, e.g. `{ lan_ipv4: { Address: '127.0.0.1', Port: 8080 } }`. */
  taggedAddresses?: Record<string, { Address: string; Port?: number }>;
}

/** An agent with ACLs on needs a token with service write (the management token will do). */
export interface AclToken {
  token?: string;
}

async function put(api: string, path: string, body?: unknown, { token }: AclToken = {}): Promise<void> {
  const res = await fetch(`${api}${path}`, { method: 'PUT', ...(token && { headers: { 'x-consul-token': token } }), ...(body !== undefined && { body: JSON.stringify(body) }) });
  if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
}

/** Registers an instance with a TTL check, passing at once. */
export async function registerInstance(api: string, i: TestInstance, acl: AclToken = {}): Promise<void> {
  await put(api, '/v1/agent/service/register', {
    ID: i.id,
    Name: i.service,
    ...(i.address && { Address: i.address }),
    ...(i.port && { Port: i.port }),
    ...(i.tags && { Tags: i.tags }),
    ...(i.taggedAddresses && { TaggedAddresses: i.taggedAddresses }),
    Check: { CheckID: checkId(i.id), TTL: '1h' },
  }, acl);
  await setHealth(api, i.id, 'pass', acl);
}

export function setHealth(api: string, id: string, state: 'pass' | 'fail', acl: AclToken = {}): Promise<void> {
  return put(api, `/v1/agent/check/${state}/${checkId(id)}`, undefined, acl);
}

export function deregisterInstance(api: string, id: string): Promise<void> {
  return put(api, `/v1/agent/service/deregister/${id}`);
}

function checkId(id: string): string {
  return `${id}-ttl`;
}
