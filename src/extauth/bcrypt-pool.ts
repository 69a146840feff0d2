// A few worker threads that run bcrypt checks (bcrypt-worker.ts), so the service's event loop only passes
// messages. Started on the first bcrypt check; an idle worker never keeps the process alive. The queue is
// bounded: past QUEUE_MAX waiting checks, a check is refused at once rather than queued for ever, so a flood of
// wrong passwords costs memory and latency in proportion to the bound, not to the flood.
// A worker that cannot start at all (its module missing from an install) would fail again on every respawn:
// then the checks run in the event loop as before, slower under a flood but still answered, and a warning says so.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

/** One worker per core but one (the event loop's), at least one, at most four. */
const WORKERS = Math.max(1, Math.min(4, availableParallelism() - 1));
export const QUEUE_MAX = 1_000;

interface Job {
  password: string;
  hash: string;
  done(ok: boolean | Error): void;
}

export class BcryptPool {
  readonly #script: URL;
  readonly #idle: Worker[] = [];
  readonly #queue: Job[] = [];
  readonly #running = new Map<Worker, Job>();
  #started = false;
  #inLoop = false;

  constructor(script = new URL('./bcrypt-worker.ts', import.meta.url)) {
    this.#script = script;
  }

  /** Whether `password` matches the bcrypt `hash`; rejects when too many checks are waiting. */
  compare(password: string, hash: string): Promise<boolean> {
    if (this.#inLoop) return bcrypt.compare(password, hash);
    if (this.#queue.length >= QUEUE_MAX) return Promise.reject(new Error('too many password checks waiting'));
    this.#start();
    const { promise, resolve, reject } = Promise.withResolvers<boolean>();
    this.#queue.push({ password, hash, done: (ok) => (ok instanceof Error ? reject(ok) : resolve(ok)) });
    this.#dispatch();
    return promise;
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    for (let i = 0; i < WORKERS; i++) this.#spawn();
  }

  #spawn(): void {
    let worker: Worker;
    try {
      worker = new Worker(this.#script);
    } catch (err) {
      return this.#fallBack(err as Error);
    }
    // 'online' comes before the module loads: a worker is known to work once it has answered.
    let answered = false;
    worker.on('message', ({ ok }: { ok: boolean }) => {
      answered = true;
      worker.unref();
      this.#running.get(worker)?.done(ok);
      this.#running.delete(worker);
      this.#idle.push(worker);
      this.#dispatch();
    });
    // A worker that dies fails its check (denied) and is replaced.
    worker.on('error', (err) => {
      const job = this.#running.get(worker);
      this.#running.delete(worker);
      const idle = this.#idle.indexOf(worker);
      if (idle >= 0) this.#idle.splice(idle, 1);
      if (answered) {
        job?.done(err); // denied: a check that crashed a worker is not tried again
        this.#spawn();
      } else {
        if (job) this.#queue.unshift(job);
        this.#fallBack(err);
      }
    });
    // Idle workers never keep the process alive (a listener added later would ref it again, so after them).
    worker.unref();
    this.#idle.push(worker);
  }

  #fallBack(err: Error): void {
    if (!this.#inLoop) process.emitWarning(`bcrypt worker threads cannot start (${err.message}); checking bcrypt passwords in the event loop`);
    this.#inLoop = true;
    for (const job of this.#queue.splice(0)) bcrypt.compare(job.password, job.hash).then(job.done, job.done);
  }

  #dispatch(): void {
    while (this.#idle.length && this.#queue.length) {
      const worker = this.#idle.pop() as Worker;
      const job = this.#queue.shift() as Job;
      this.#running.set(worker, job);
      worker.ref(); // a check in progress does
      worker.postMessage({ password: job.password, hash: job.hash });
    }
  }
}

export const bcryptPool = new BcryptPool();
