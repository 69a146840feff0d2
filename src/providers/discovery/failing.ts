// Which discovery queries fail now and why: what the controller's /healthz `degraded` list (and with it the
// portico_degraded_components metric) shows, and what keeps a retry loop from logging the same failure on
// every attempt. Shared by the Consul catalog and EC2 providers.

export interface Failure {
  message: string;
  /** The token or credentials may not read the source: a configuration to fix, shown in statuses too. */
  denied: boolean;
  since: number;
}

export class FailingQueries {
  readonly #byKey = new Map<string, Failure>();
  /** e.g. `Consul service queries`: how the summary counts the others. */
  readonly #what: string;

  constructor(what: string) {
    this.#what = what;
  }

  /** Records a failure; returns the previous one of the key (undefined: the key was answering until now). */
  fail(key: string, message: string, denied = false): Failure | undefined {
    const previous = this.#byKey.get(key);
    this.#byKey.set(key, { message, denied, since: previous?.since ?? Date.now() });
    return previous;
  }

  /** The key answers again; returns the failure it recovered from, if it was failing. */
  recover(key: string): Failure | undefined {
    const failure = this.#byKey.get(key);
    this.#byKey.delete(key);
    return failure;
  }

  get(key: string): Failure | undefined {
    return this.#byKey.get(key);
  }

  clear(): void {
    this.#byKey.clear();
  }

  /** The first failing query's message, and how many more fail; undefined when all answer. */
  summary(): string | undefined {
    const [first] = this.#byKey.values();
    if (!first) return undefined;
    return this.#byKey.size > 1 ? `${first.message} (and ${this.#byKey.size - 1} more ${this.#what} failing)` : first.message;
  }

  /** Watch key → message of the queries whose token or credentials may not read their source. */
  denied(): Map<string, string> {
    return new Map([...this.#byKey].filter(([, f]) => f.denied).map(([k, f]) => [k, f.message]));
  }
}
