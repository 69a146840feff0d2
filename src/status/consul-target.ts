// Statuses in Consul KV, under their own prefix (default `<rootKey>-status`, outside the watched root so a
// status write never comes back as a resource change, and never in the key the user writes):
//   <prefix>/<group|core>/<Kind>/<namespace>/<name>    (cluster-scoped kinds: no namespace)
// read with `consul kv get portico-status/gateway.networking.k8s.io/HTTPRoute/default/web`.
// Changes go in transactions of at most 64 operations; with a fence (the leader's lock), each transaction
// first checks that the lock is still held by the leader's session, so a controller that lost leadership
// without knowing it yet cannot overwrite its successor's statuses.
import type { ConsulConnection } from '../consul/client.ts';
import { consulError } from '../consul/errors.ts';
import { kvRead } from '../consul/kv.ts';
import { ConsulError } from '../lib/errors.ts';
import type { StatusChanges, StatusTarget } from './writer.ts';

/** The lock that must be held for a write to count: the leader-election key and the leader's session. */
export type Fence = () => { key: string; session: string } | undefined;

const TXN_MAX_OPS = 64;

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

async function applyInTransactions(consul: ConsulConnection, changes: StatusChanges, fence: Fence | undefined, needs: string): Promise<void> {
  const ops: TxnOp[] = [
    ...[...changes.put].map(([Key, text]) => ({ KV: { Verb: 'set', Key, Value: Buffer.from(text).toString('base64') } })),
    ...changes.remove.map((Key) => ({ KV: { Verb: 'delete', Key } })),
  ];
  const lock = fence?.();
  if (fence && !lock) throw new Error('not the leader any more; the new leader writes statuses');
  const room = lock ? TXN_MAX_OPS - 1 : TXN_MAX_OPS;
  for (let i = 0; i < ops.length; i += room) {
    const batch = [...(lock ? [{ KV: { Verb: 'check-session', Key: lock.key, Session: lock.session } }] : []), ...ops.slice(i, i + room)];
    try {
      // The package's types for transaction.create are wrong (see notes): the body is the list of operations.
      await (consul.client.transaction.create as unknown as (ops: TxnOp[]) => Promise<unknown>).call(consul.client.transaction, batch);
    } catch (err) {
      throw consulError(err, { doing: `writing statuses under ${changes.put.keys().next().value ?? changes.remove[0]}`, needs }, consul.describe());
    }
  }
}
