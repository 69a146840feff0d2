// Registering services and flipping their health on a test Consul agent, through its HTTP API.
export interface TestInstance {
  id: string;
  service: string;
  /** Omitted: the instance registers without its own address (the node's applies). */
  address?: string;
  /** Omitted: registered without a port. */
  port?: number;
  tags?: string[];
}

async function put(api: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${api}${path}`, { method: 'PUT', ...(body !== undefined && { body: JSON.stringify(body) }) });
  if (!res.ok) throw new Error(`PUT ${path}: ${res.status} ${await res.text()}`);
}

/** Registers an instance with a TTL check, passing at once. */
export async function registerInstance(api: string, i: TestInstance): Promise<void> {
  await put(api, '/v1/agent/service/register', {
    ID: i.id,
    Name: i.service,
    ...(i.address && { Address: i.address }),
    ...(i.port && { Port: i.port }),
    ...(i.tags && { Tags: i.tags }),
    Check: { CheckID: checkId(i.id), TTL: '1h' },
  });
  await setHealth(api, i.id, 'pass');
}

export function setHealth(api: string, id: string, state: 'pass' | 'fail'): Promise<void> {
  return put(api, `/v1/agent/check/${state}/${checkId(id)}`);
}

export function deregisterInstance(api: string, id: string): Promise<void> {
  return put(api, `/v1/agent/service/deregister/${id}`);
}

function checkId(id: string): string {
  return `${id}-ttl`;
}
