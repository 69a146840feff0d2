// Leader election among controllers sharing one Consul: a session (TTL, lock-delay, behaviour `release`)
// acquires one key with `kv.set({acquire})`; the session is renewed every TTL/2. Only the leader writes
// statuses (every controller serves xDS). A leader that dies stops renewing: Consul invalidates its session
// within TTL (up to 2×TTL), releases the key, and after the lock-delay another controller acquires it.
// A leader that cannot renew for a whole TTL steps down on its own: Consul may already have let it go.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Backoff } from '../lib/backoff.ts';
import type { Logger } from '../lib/logger.ts';
import type { ConsulConnection } from './client.ts';
import { consulError } from './errors.ts';
import { kvRead } from './kv.ts';

export interface LeaderElectionOptions {
  consul: ConsulConnection;
  /** The lock key, e.g. `portico-status/.leader`. */
  key: string;
  /** Session TTL (Consul accepts 10 s to 24 h). Default 15. */
  ttlSeconds?: number;
  /** How long Consul keeps the key from being acquired after a leader's session is invalidated. Default 15. */
  lockDelaySeconds?: number;
  logger: Logger;
  /** Called whenever this controller becomes or stops being the leader. */
  onChange(leader: boolean): void;
}

export class LeaderElection {
  readonly #opts: LeaderElectionOptions;
  readonly #ttl: number;
  readonly #holder = `${hostname()}:${process.pid}`;
  readonly #backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });
  readonly #stopping = new AbortController();
  readonly #ctx = new EventEmitter();
  #session?: string;
  #leader = false;
  #lastRenew = 0;
  #renewTimer?: NodeJS.Timeout;
  #loop?: Promise<void>;
  #problem?: string;
  /** Wakes the loop when leadership is lost (a failed renew). */
  #lost?: () => void;

  constructor(opts: LeaderElectionOptions) {
    this.#opts = opts;
    this.#ttl = opts.ttlSeconds ?? 15;
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
        const e = consulError(err, { doing: `taking part in leader election on ${this.#opts.key}`, needs: `session_prefix "" write and key_prefix "${this.#opts.key}" write` }, this.#opts.consul.describe());
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
    this.#session ??= await this.#createSession();
    const acquired = await this.#opts.consul.client.kv.set({ key: this.#opts.key, value: this.#holder, acquire: this.#session });
    if (acquired) {
      this.#setLeader(true);
      await new Promise<void>((resolve) => (this.#lost = resolve));
      return;
    }
    await this.#waitUntilFree();
  }

  async #createSession(): Promise<string> {
    const { ID } = await this.#opts.consul.client.session.create({
      name: `portico-controller ${this.#holder}`,
      ttl: `${this.#ttl}s`,
      lockdelay: `${this.#opts.lockDelaySeconds ?? 15}s`,
      behavior: 'release',
    });
    this.#lastRenew = Date.now();
    clearInterval(this.#renewTimer);
    this.#renewTimer = setInterval(() => void this.#renew(ID), (this.#ttl * 1000) / 2);
    return ID;
  }

  async #renew(session: string): Promise<void> {
    try {
      await this.#opts.consul.client.session.renew(session);
      this.#lastRenew = Date.now();
    } catch (err) {
      const gone = (err as { response?: { statusCode?: number } }).response?.statusCode === 404;
      // Without a renewal for a whole TTL, Consul may have invalidated the session: stop acting as leader.
      if (!gone && Date.now() - this.#lastRenew < this.#ttl * 1000) return;
      this.#opts.logger.warn({ session: gone ? 'invalidated' : 'not renewed for a TTL' }, 'leader election: session lost');
      clearInterval(this.#renewTimer);
      if (this.#session === session) this.#session = undefined;
      this.#setLeader(false);
      this.#lost?.();
    }
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
    await sleep(1000, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
  }

  #setLeader(leader: boolean): void {
    if (leader === this.#leader) return;
    this.#leader = leader;
    this.#opts.logger.info({ holder: this.#holder, key: this.#opts.key }, leader ? 'leader election: this controller leads (writes statuses)' : 'leader election: no longer the leader');
    this.#opts.onChange(leader);
  }
}
