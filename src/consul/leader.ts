// Leader election among controllers sharing one Consul: a session (lock-delay, behaviour `release`)
// acquires one key with `kv.set({acquire})`. Only the leader writes statuses (every controller serves xDS).
//
// `ttlSeconds` is the bound that matters to operators: a leader that dies loses the lock within it. Consul
// only promises that a session lives at least its TTL and in fact invalidates it 2×TTL after the last
// renewal (its timer is TTL × SessionTTLMultiplier), so the session is created with half the configured TTL
// and renewed three times within that. After the invalidation Consul keeps the key for the lock-delay; the
// followers, blocked on the lock key, see it freed at once and retry the acquire every FREE_RETRY_MS until
// the lock-delay is over: a dead leader is replaced within ttlSeconds + lockDelaySeconds (+ that retry).
// A leader that has not renewed for a whole session TTL steps down on its own: Consul may have let it go.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff } from '../lib/backoff.ts';
import { ConfigError, ConsulError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { ConsulConnection } from './client.ts';
import { consulError, type ConsulAction } from './errors.ts';
import { kvRead } from './kv.ts';

/** Consul refuses session TTLs under 10 s (its session_ttl_min), and the session gets half the configured TTL. */
export const MIN_TTL_SECONDS = 20;
/** How often a follower that saw the lock freed tries to take it while Consul's lock-delay may still hold it. */
const FREE_RETRY_MS = 250;

export interface LeaderElectionOptions {
  consul: ConsulConnection;
  /** The lock key, e.g. `portico-status/.leader`. */
  key: string;
  /** How long a dead leader may keep the lock before Consul frees it (at least 20). Default 30. */
  ttlSeconds?: number;
  /** How long Consul keeps the key from being acquired after a leader's session is invalidated. Default 15. */
  lockDelaySeconds?: number;
  logger: Logger;
  /** Called whenever this controller becomes or stops being the leader. */
  onChange(leader: boolean): void;
}

/** The session TTL to ask Consul for, and how often to renew it, for a configured TTL (see the top). */
export function sessionTiming(ttlSeconds: number): { sessionTtlMs: number; renewEveryMs: number } {
  const sessionTtlMs = (ttlSeconds * 1000) / 2;
  return { sessionTtlMs, renewEveryMs: sessionTtlMs / 3 };
}

export class LeaderElection {
  readonly #opts: LeaderElectionOptions;
  readonly #timing: { sessionTtlMs: number; renewEveryMs: number };
  readonly #holder = `${hostname()}:${process.pid}`;
  readonly #backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  readonly #stopping = new AbortController();
  readonly #ctx = new EventEmitter();
  #session?: string;
  #leader = false;
  #lastRenew = 0;
  #renewing = false;
  #renewTimer?: NodeJS.Timeout;
  #loop?: Promise<void>;
  #problem?: string;
  /** Wakes the loop when leadership is lost (a failed renew). */
  #lost?: () => void;

  constructor(opts: LeaderElectionOptions) {
    const ttl = opts.ttlSeconds ?? 30;
    if (ttl < MIN_TTL_SECONDS) throw new ConfigError(`leaderElection.ttlSeconds ${ttl}: at least ${MIN_TTL_SECONDS} (the Consul session gets half of it, and Consul refuses less than 10 s)`);
    this.#opts = opts;
    this.#timing = sessionTiming(ttl);
  }

  start(): void {
    this.#loop = this.#run();
  }

  /** Releases the lock (so another controller takes over at once, without lock-delay) and ends the session. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    // `canceled` stops a request that had not started yet (the client checks it); `cancel` aborts one in flight.
    Object.assign(this.#ctx, { canceled: true });
    this.#ctx.emit('cancel');
    this.#lost?.();
    clearInterval(this.#renewTimer);
    await this.#loop;
    const session = this.#session;
    this.#setLeader(false);
    if (!session) return;
    await this.#opts.consul.client.kv.set({ key: this.#opts.key, value: this.#holder, release: session }).catch(() => undefined);
    await this.#opts.consul.client.session.destroy(session).catch(() => undefined);
  }

  isLeader(): boolean {
    return this.#leader;
  }

  /** The lock a status write must still hold (see status/consul-target.ts), while this controller leads. */
  fence(): { key: string; session: string } | undefined {
    return this.#leader && this.#session ? { key: this.#opts.key, session: this.#session } : undefined;
  }

  problem(): string | undefined {
    return this.#problem;
  }

  async #run(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      try {
        await this.#round();
        this.#backoff.reset();
        this.#problem = undefined;
      } catch (err) {
        if (this.#stopping.signal.aborted) return;
        const e = err instanceof ConsulError ? err : consulError(err, { doing: `taking part in leader election on ${this.#opts.key}`, needs: this.#keyRule('write') }, this.#opts.consul.describe());
        const retryInMs = this.#backoff.next();
        const problem = `leader election: ${e.message}`;
        if (problem !== this.#problem) this.#opts.logger.error({ code: e.code, retryInMs }, problem);
        this.#problem = problem;
        await sleep(retryInMs, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
      }
    }
  }

  /** Gets a session, tries the lock, and waits: while leading, until leadership is lost; otherwise until the lock is free. */
  async #round(): Promise<void> {
    this.#session ??= await this.#step({ doing: 'creating a leader-election session', needs: 'session_prefix "" { policy = "write" }' }, () => this.#createSession());
    const session = this.#session;
    const acquired = await this.#step({ doing: `acquiring the lock ${this.#opts.key}`, needs: this.#keyRule('write') }, () =>
      this.#opts.consul.client.kv.set({ key: this.#opts.key, value: this.#holder, acquire: session }),
    );
    if (acquired) {
      this.#setLeader(true);
      await new Promise<void>((resolve) => (this.#lost = resolve));
      return;
    }
    await this.#step({ doing: `watching the lock ${this.#opts.key}`, needs: this.#keyRule('read') }, () => this.#waitUntilFree());
  }

  /** Runs one step of the election; a failure says which step, and which ACL rule would allow it. */
  async #step<T>(action: ConsulAction, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw consulError(err, action, this.#opts.consul.describe());
    }
  }

  #keyRule(policy: 'read' | 'write'): string {
    return `key "${this.#opts.key}" { policy = "${policy}" } (or a key_prefix rule covering it)`;
  }

  async #createSession(): Promise<string> {
    const { ID } = await this.#opts.consul.client.session.create({
      name: `portico-controller ${this.#holder}`,
      ttl: `${this.#timing.sessionTtlMs}ms`,
      lockdelay: `${this.#opts.lockDelaySeconds ?? 15}s`,
      behavior: 'release',
    });
    this.#lastRenew = Date.now();
    clearInterval(this.#renewTimer);
    this.#renewTimer = setInterval(() => this.#tick(ID), this.#timing.renewEveryMs);
    return ID;
  }

  /** Renews the session, or gives up leadership once it went a whole session TTL without a renewal. */
  #tick(session: string): void {
    if (Date.now() - this.#lastRenew >= this.#timing.sessionTtlMs) return this.#lose(session, 'not renewed within the session TTL');
    if (this.#renewing) return; // a renewal still in flight (a slow Consul): the check above bounds it
    this.#renewing = true;
    const renew = this.#opts.consul.client.session.renew as unknown as (o: { id: string; timeout: number }) => Promise<unknown>;
    renew
      .call(this.#opts.consul.client.session, { id: session, timeout: this.#timing.renewEveryMs })
      .then(() => (this.#lastRenew = Date.now()))
      .catch((err: { response?: { statusCode?: number } }) => {
        if (err.response?.statusCode === 404) this.#lose(session, 'invalidated by Consul');
      })
      .finally(() => (this.#renewing = false));
  }

  #lose(session: string, why: string): void {
    if (this.#session !== session) return;
    this.#opts.logger.warn({ session: why }, 'leader election: session lost');
    clearInterval(this.#renewTimer);
    this.#session = undefined;
    this.#setLeader(false);
    this.#lost?.();
  }

  /** Blocks on the lock key while someone holds it; when it is free, pauses briefly (lock-delay may still apply). */
  async #waitUntilFree(): Promise<void> {
    let index = 0;
    for (;;) {
      const { index: next, data } = await kvRead(this.#opts.consul, { key: this.#opts.key, index, waitSeconds: 60, ctx: this.#ctx });
      if (this.#stopping.signal.aborted) return;
      if (!data[0]?.Session) break;
      index = next !== undefined && next >= index ? next : 0;
    }
    await sleep(FREE_RETRY_MS, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
  }

  #setLeader(leader: boolean): void {
    if (leader === this.#leader) return;
    this.#leader = leader;
    this.#opts.logger.info({ holder: this.#holder, key: this.#opts.key }, leader ? 'leader election: this controller leads (writes statuses)' : 'leader election: no longer the leader');
    this.#opts.onChange(leader);
  }
}
