// The statuses the controller writes: the translator's, with what only the running controller knows laid over
// them (Envoy's NACKs, the resources withheld from a gateway, the discovery queries its token may not make),
// stamped with their transition times, to every target: the status folder, and Consul (by the elected leader
// only: with Consul, controllers share the statuses).
import type { GatewayIr } from '../ir/types.ts';
import type { Logger } from '../lib/logger.ts';
import { withDiscoveryProblems } from '../providers/discovery/status.ts';
import { TransitionClock } from '../status/conditions.ts';
import { fileStatusTarget } from '../status/file-writer.ts';
import type { StatusRecord } from '../status/record.ts';
import { StatusWriter, type StatusTarget } from '../status/writer.ts';
import { withRejectedResources, type NackTracker, type Withheld } from './nacks.ts';

export interface StatusInputs {
  statuses: StatusRecord[];
  gateways: readonly GatewayIr[];
  nacks: NackTracker;
  withheld: ReadonlyMap<string, Withheld[]>;
  /** Discovery watch key → why the token may not read it. */
  denied: ReadonlyMap<string, string>;
}

export class Statuses {
  readonly #writers: StatusWriter[] = [];
  readonly #clock = new TransitionClock();
  #consul?: { writer: StatusWriter; isLeader(): boolean };
  #writing: Promise<void> = Promise.resolve();

  constructor(opts: { statusDir?: string; logger: Logger }) {
    if (opts.statusDir) this.#writers.push(new StatusWriter({ target: fileStatusTarget(opts.statusDir), logger: opts.logger.child({ component: 'status' }) }));
  }

  /** Statuses also go to Consul, written only while `isLeader()`. */
  toConsul(target: StatusTarget, isLeader: () => boolean, logger: Logger): void {
    const writer = new StatusWriter({ target, logger: logger.child({ component: 'consul-status' }) });
    this.#consul = { writer, isLeader };
    this.#writers.push(writer);
  }

  /** A new leader compares with what is in Consul now (the former leader wrote there) before it writes. */
  elected(): void {
    this.#consul?.writer.resync();
  }

  /** Writes the statuses (a follower writes nothing); resolves once every target has them. */
  write(inputs: StatusInputs): Promise<void> {
    if (this.#consul && !this.#consul.isLeader()) return this.#writing;
    const now = new Date().toISOString();
    const rejected = withRejectedResources(inputs.nacks.apply(inputs.statuses), inputs.withheld);
    const records = withDiscoveryProblems(rejected, inputs.gateways, inputs.denied).map((r) => ({ ...r, status: this.#clock.stamp(r.key, r.status, now) }));
    this.#writing = Promise.all(this.#writers.map((w) => w.write(records))).then(() => undefined);
    return this.#writing;
  }

  /** The last write, done. */
  settled(): Promise<void> {
    return this.#writing;
  }

  /** Why some target cannot be written now. */
  problems(): string[] {
    return this.#writers.map((w) => w.problem()).filter((p): p is string => p !== undefined);
  }

  close(): void {
    for (const w of this.#writers) w.close();
  }
}
