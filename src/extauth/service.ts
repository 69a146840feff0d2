// The ext-auth service: Envoy's ext_authz filter calls Check; the AuthConfig to apply is named by the route's
// `portico-authconfig` context extension. Configuration arrives whole (from the controller's service config
// stream), each AuthConfig compiled on its own, and is swapped in at once: checks in flight finish with the authorizers they started with, later ones
// use the new ones, so a change needs no restart and drops no request. A decision is logged with the route and
// the reason only.
import { AUTH_CONFIG_EXTENSION, ROUTE_EXTENSION, type AuthConfigIr } from '../contracts/extauth.ts';
import { capText } from '../lib/text.ts';
import { UnaryGrpcServer, type GrpcServing } from '../lib/grpc-unary-server.ts';
import type { Logger } from '../lib/logger.ts';
import type { JsonObject } from '../contracts/service-config.ts';
import { CHECK, decodeCheckRequest, encodeCheckResponse } from './check-protocol.ts';
import { deny, type Decision } from './decision.ts';
import { compileAuthConfig, type Authorizer } from './policy.ts';

/** How long replaced authorizers stay open for checks still using them (a pass-through call's timeout). */
const RETIRE_AFTER_MS = 10_000;
/** How long close() waits for checks in flight. */
const SHUTDOWN_GRACE_MS = 2_000;
/** A compile error's message as the controller gets it. */
const MAX_REASON = 300;

/** A compiled AuthConfig and the JSON it came from, to keep it (its JWKS cache, its channels) while unchanged. */
interface Compiled {
  source: string;
  authorizer: Authorizer;
  /** Why it could not be compiled (its authorizer then denies every check). */
  failed?: string;
}

export class ExtAuthService {
  readonly #log: Logger;
  readonly #server: UnaryGrpcServer;
  #authorizers = new Map<string, Compiled>();

  constructor(logger: Logger, serving: GrpcServing = {}) {
    this.#log = logger;
    // #check answers every failure with a denial itself: onError would only see a bug (or a failed accept).
    this.#server = new UnaryGrpcServer({ ...serving, methods: { [CHECK]: (raw) => this.#check(raw) }, onError: (err) => this.#log.error({ err }, 'check failed') });
  }

  /**
   * Replaces the whole configuration; an AuthConfig whose JSON did not change keeps its authorizer. Each AuthConfig
   * compiles on its own: one that cannot is replaced by an authorizer that denies every check (its routes fail
   * closed, never pass unchecked, and a revoked key in its old version stops working), and the others apply.
   * Returns one line per AuthConfig that could not compile, for the controller (the stream NACKs with them).
   */
  apply(items: ReadonlyMap<string, JsonObject>): string[] {
    const next = new Map<string, Compiled>();
    const rejected: string[] = [];
    let recompiled = 0;
    for (const [name, config] of items) {
      const source = JSON.stringify(config);
      const current = this.#authorizers.get(name);
      const compiled = current?.source === source ? current : this.#compile(name, config, source);
      if (compiled !== current) recompiled++;
      // Reported again while unchanged: every version that carries it is applied without it.
      if (compiled.failed) rejected.push(`AuthConfig ${name}: ${compiled.failed}`);
      next.set(name, compiled);
    }
    const kept = new Set(next.values());
    const retired = [...this.#authorizers.values()].filter((c) => !kept.has(c));
    this.#authorizers = next;
    setTimeout(() => retired.forEach((c) => c.authorizer.close()), RETIRE_AFTER_MS).unref();
    this.#log.info({ authConfigs: [...next.keys()], recompiled, failed: rejected.length }, 'auth configuration applied');
    return rejected;
  }

  #compile(name: string, config: JsonObject, source: string): Compiled {
    try {
      return { source, authorizer: compileAuthConfig(config as unknown as AuthConfigIr) };
    } catch (err) {
      // The message names the part that failed (jose's, ours); it never quotes a credential: inline JWKS are public.
      // One line: the NACK carries one line per AuthConfig.
      const failed = capText((err as Error).message.replace(/\s+/g, ' '), MAX_REASON);
      this.#log.error({ authConfig: name, error: failed }, 'AuthConfig cannot be compiled; its routes are denied until it is fixed');
      const reason = `AuthConfig ${JSON.stringify(name)} could not be compiled`;
      return { source, failed, authorizer: { check: async () => deny(403, reason), close: () => {} } };
    }
  }

  /** `unix:/path.sock` or `HOST:PORT` (port 0: any free one); resolves to the address bound. */
  async listen(address: string): Promise<string> {
    const port = await this.#server.listen(address);
    const bound = address.startsWith('unix:') ? address : address.replace(/:0$/, `:${port}`);
    this.#log.info({ address: bound }, 'ext-auth service listening');
    return bound;
  }

  /** Lets checks in flight finish (Envoys reconnect to the next instance), then cuts what is left. */
  async close(): Promise<void> {
    await this.#server.close(SHUTDOWN_GRACE_MS);
    this.#authorizers.forEach((c) => c.authorizer.close());
  }

  async #check(raw: Buffer): Promise<Buffer> {
    const { route, decision } = await this.#decide(raw);
    if (decision.allow) this.#log.debug({ route, allowed: true }, 'allowed');
    else this.#log.info({ route, allowed: false, status: decision.status, reason: decision.reason }, 'denied');
    return encodeCheckResponse(decision);
  }

  async #decide(raw: Buffer): Promise<{ route: string; decision: Decision }> {
    let request: ReturnType<typeof decodeCheckRequest>;
    try {
      request = decodeCheckRequest(raw);
    } catch {
      // Not what Envoy sends: a broken or hostile caller, denied and logged as any denial, not as a failure of ours.
      return { route: '', decision: deny(403, 'malformed CheckRequest') };
    }
    const route = request.context[ROUTE_EXTENSION] ?? '';
    try {
      const name = request.context[AUTH_CONFIG_EXTENSION] ?? '';
      const authorizer = this.#authorizers.get(name)?.authorizer;
      // Unknown means not (yet) configured: deny, never let an unchecked request through.
      return { route, decision: authorizer ? await authorizer.check(request.input) : deny(403, `unknown AuthConfig ${JSON.stringify(name)}`) };
    } catch (err) {
      this.#log.error({ route, error: (err as Error).message }, 'check failed');
      return { route, decision: deny(403, 'internal error') };
    }
  }
}
