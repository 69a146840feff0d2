// The Consul side of the controller when `sources.consulKv` is set: the KV resource source, statuses in
// Consul under their own prefix, and the leader election that decides which controller writes them.
// Every controller reads and serves; only the leader writes (fenced by its lock, see status/consul-target.ts).
import { connectConsul, type ConsulOptions } from '../consul/client.ts';
import { LeaderElection } from '../consul/leader.ts';
import type { Logger } from '../lib/logger.ts';
import { ConsulKvResourceProvider } from '../providers/resources/consul-kv.ts';
import { consulStatusTarget } from '../status/consul-target.ts';
import type { StatusTarget } from '../status/writer.ts';
import type { ConsulKvSourceConfig, LeaderElectionConfig } from './config.ts';

export interface ConsulKvParts {
  /** The resource source (started and stopped with the other sources: app/sources.ts). */
  provider: ConsulKvResourceProvider;
  statusTarget: StatusTarget;
  election: LeaderElection;
  /** Stops the election and closes the connection, once the source has stopped and the statuses are written. */
  stop(): Promise<void>;
}

export function consulKvParts(opts: {
  consul: ConsulOptions;
  kv: ConsulKvSourceConfig;
  leaderElection?: Partial<LeaderElectionConfig>;
  logger: Logger;
  onLeaderChange(leader: boolean): void;
}): ConsulKvParts {
  const connection = connectConsul(opts.consul);
  const log = opts.logger.child({ consul: connection.describe() });
  const provider = new ConsulKvResourceProvider({ consul: connection, rootKey: opts.kv.rootKey, logger: log.child({ component: 'consul-kv-source' }) });
  const lockKey = opts.leaderElection?.key ?? `${opts.kv.statusPrefix}/.leader`;
  const election = new LeaderElection({
    consul: connection,
    key: lockKey,
    ...(opts.leaderElection?.ttlSeconds !== undefined && { ttlSeconds: opts.leaderElection.ttlSeconds }),
    ...(opts.leaderElection?.lockDelaySeconds !== undefined && { lockDelaySeconds: opts.leaderElection.lockDelaySeconds }),
    logger: log.child({ component: 'leader-election' }),
    onChange: opts.onLeaderChange,
  });
  const statusTarget = consulStatusTarget({ consul: connection, prefix: opts.kv.statusPrefix, fence: () => election.fence(), lockKey });
  return {
    provider,
    statusTarget,
    election,
    stop: async () => {
      await election.stop();
      connection.close();
    },
  };
}
