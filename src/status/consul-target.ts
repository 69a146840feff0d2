// Statuses in Consul KV, under their own prefix (default `<rootKey>-status`, outside the watched root so a
// status write never comes back as a resource change, and never in the key the user writes):
//   <prefix>/<group|core>/<Kind>/<namespace>/<name>    (cluster-scoped kinds: no namespace)
// read with `consul kv get portico-status/gateway.networking.k8s.io/HTTPRoute/default/web`.
// Changes go in transactions of at most 64 operations; with a fence (the leader's lock), each transaction
// first checks that the lock is still held by the leader's session, so a controller that lost leadership
// without knowing it yet cannot overwrite its successor's statuses.
// A transaction fails whole: when Consul refuses one (an operation it will not do, a key the token may not
// write, a value or a request over its size limits), it is split in halves and each tried again, down to single
// operations, so only the statuses Consul refuses are left unwritten and reported; the others land.
import type { ConsulConnection } from '../consul/client.ts';
import { consulError } from '../consul/errors.ts';
import { kvRead } from '../consul/kv.ts';
import { ConsulError } from '../lib/errors.ts';
import type { StatusChanges, StatusTarget } from './writer.ts';

/** The lock that must be held for a write to count: the leader-election key and the leader's session. */
export type Fence = () => { key: string; session: string } | undefined;

const TXN_MAX_OPS = 64;
/** Below Consul's default request limit for a transaction (txn_max_req_len, 512 KB), JSON and base64 included. */
const TXN_MAX_BYTES = 384 * 1024;

export function consulStatusTarget(opts: { consul: ConsulConnection; prefix: string; fence?: Fence; lockKey?: string }): StatusTarget {
  const prefix = opts.prefix.replace(/\/+$/, '');
  const where = opts.consul.describe();
  const needs = `key_prefix "${prefix}/" { policy = "write" }`;
  // Dot-named keys (the default leader lock) and the lock key wherever it is are not statuses: a status
  // taken for stale would be deleted.
  const isStatus = (key: string) => key !== opts.lockKey && !key.slice(prefix.length + 1).split('/').some((s) => s.startsWith('.'));
  return {
    describe: () => `${where} ${prefix}/`,
    locate: (key) => statusKvKey(prefix, key),
    load: async () => {
      let answer;
      try {
        answer = await kvRead(opts.consul, { key: `${prefix}/`, recurse: true });
      } catch (err) {
        throw consulError(err, { doing: `reading ${prefix}/`, needs }, where);
      }
      // Statuses the token cannot see could neither be compared nor removed when stale.
      if (answer.filteredByAcls) throw consulError(new ConsulError('statuses are hidden by ACLs', { status: 403 }), { doing: `reading ${prefix}/`, needs }, where);
      return new Map(answer.data.filter((i) => isStatus(i.Key)).map((i) => [i.Key, i.Value ?? '']));
    },
    apply: (changes) => applyInTransactions(opts.consul, changes, opts.fence, needs),
  };
}

export function statusKvKey(prefix: string, resourceKey: string): string {
  const [group, kind, namespace, name] = resourceKey.split('/');
  return [prefix, group || 'core', kind, ...(namespace ? [namespace] : []), name].join('/');
}

type TxnOp = { KV: { Verb: string; Key: string; Value?: string; Session?: string } };

/** Consul's answers that name operations it refuses, or sizes it will not take: split and try the halves. */
const SPLIT_ON = new Set([409, 413]);

async function applyInTransactions(consul: ConsulConnection, changes: StatusChanges, fence: Fence | undefined, needs: string): Promise<Map<string, Error>> {
  const ops: TxnOp[] = [
    ...[...changes.put].map(([Key, text]) => ({ KV: { Verb: 'set', Key, Value: Buffer.from(text).toString('base64') } })),
    ...changes.remove.map((Key) => ({ KV: { Verb: 'delete', Key } })),
  ];
  const lock = fence?.();
  if (fence && !lock) throw new Error('not the leader any more; the new leader writes statuses');
  const check: TxnOp[] = lock ? [{ KV: { Verb: 'check-session', Key: lock.key, Session: lock.session } }] : [];
  const room = TXN_MAX_OPS - check.length;
  const failed = new Map<string, Error>();
  const write = async (batch: TxnOp[]): Promise<void> => {
    try {
      // The package's types for transaction.create are wrong (see notes): the body is the list of operations.
      await (consul.client.transaction.create as unknown as (ops: TxnOp[]) => Promise<unknown>).call(consul.client.transaction, [...check, ...batch]);
    } catch (err) {
      const error = consulError(err, { doing: `writing statuses under ${batch[0]?.KV.Key}`, needs }, consul.describe());
      // Unreachable, or the fence failed (its check is operation 0): no half would do better.
      if (!SPLIT_ON.has(error.status ?? 0) || (check.length && refusedOps(err).includes(0))) throw error;
      if (batch.length === 1) return void failed.set(batch[0]?.KV.Key as string, error);
      const half = Math.ceil(batch.length / 2);
      await write(batch.slice(0, half));
      await write(batch.slice(half));
    }
  };
  for (const batch of batches(ops, room)) await write(batch);
  return failed;
}

/**
 * Consecutive operations, at most `room` and about TXN_MAX_BYTES of values per transaction, so that large statuses
 * do not make every transaction go over Consul's request limit and through the splitting above.
 */
function batches(ops: TxnOp[], room: number): TxnOp[][] {
  const out: TxnOp[][] = [];
  let current: TxnOp[] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = op.KV.Key.length + (op.KV.Value?.length ?? 0);
    if (current.length && (current.length >= room || bytes + size > TXN_MAX_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(op);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

/** The operations a refused transaction names (409, JSON `{Errors: [{OpIndex, What}]}`). */
function refusedOps(err: unknown): number[] {
  const body = (err as { response?: { body?: { Errors?: unknown } } } | undefined)?.response?.body;
  return Array.isArray(body?.Errors) ? (body.Errors as { OpIndex?: unknown }[]).map((e) => Number(e.OpIndex)) : [];
}
