// The KV reads Portico makes, typed: the consul package's own types reject `recurse` with `index`/`wait`
// and do not expose X-Consul-Index, which blocking queries need.
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { ConsulConnection } from './client.ts';
import { requestTimeoutMs, type BlockingAnswer } from './blocking.ts';

/** One KV entry as the client returns it (the base64 value decoded to text). */
export interface KvItem {
  Key: string;
  /** The Raft index of the write that created the key: the same for every reader, kept until the key is deleted. */
  CreateIndex: number;
  ModifyIndex: number;
  Value: string | null;
  Session?: string;
}

export interface KvReadOptions {
  key: string;
  recurse?: boolean;
  /** Blocks until the index moves past this (0: answer at once). */
  index?: number;
  waitSeconds?: number;
  /** Emits `cancel` to abort the request. */
  ctx?: EventEmitter;
}

/** Reads a key (or a prefix, recursively); a missing key is an empty list, not an error. */
export async function kvRead(consul: ConsulConnection, opts: KvReadOptions): Promise<BlockingAnswer<KvItem[]> & { filteredByAcls: boolean }> {
  const wait = opts.waitSeconds ?? 300;
  const blocking = (opts.index ?? 0) > 0;
  // includeResponse makes the client hand back the HTTP response, whose X-Consul-Index drives blocking
  // (the client only looks at a ctx that is an EventEmitter).
  const ctx = Object.assign(opts.ctx ?? new EventEmitter(), { includeResponse: true });
  const answer = (await consul.client.kv.get({
    key: opts.key,
    ...(opts.recurse && { recurse: true }),
    ...(blocking && { index: String(opts.index), wait: `${wait}s` }),
    timeout: requestTimeoutMs(blocking ? wait * 1000 : 0),
    ctx,
  } as Parameters<ConsulConnection['client']['kv']['get']>[0])) as unknown as [IncomingMessage, KvItem[] | KvItem | undefined];
  const [res, data] = answer;
  const header = res.headers['x-consul-index'];
  return {
    index: typeof header === 'string' ? Number(header) : undefined,
    data: data === undefined ? [] : Array.isArray(data) ? data : [data],
    // Consul answers a read the token may not make with fewer keys (or a 404), not a 403: only this says so.
    filteredByAcls: res.headers['x-consul-results-filtered-by-acls'] === 'true',
  };
}
