// AuthConfigs → the auth IR: every step with the Secrets it names resolved (htpasswd files, API keys found by
// name or label), plus the references RouteOptions and VirtualHostOptions make to them. A Secret in another
// namespace counts only where a ReferenceGrant there lets the AuthConfig use it (a label selector picks only
// such Secrets); one it may not use adds no key and no user, so the config denies more, never less. A
// reference to an AuthConfig that does not exist, or that no ReferenceGrant lets the option use, is
// `unresolved`: its routes are denied outright (fail closed), never served unchecked.
import type { ApiKeyAuthSpec, AuthConfigSpec, AuthStepSpec, BasicAuthSpec, ExtAuthOption, JwtAuthSpec, PassThroughAuthSpec } from '../api/auth-types.ts';
import { protoDurationMs } from '../api/duration.ts';
import type { SecretSpec } from '../api/core-types.ts';
import { GLOO_ENTERPRISE_GROUP, resourceId, type Resource } from '../api/resource.ts';
import { stepName } from '../api/validate/auth-config.ts';
import { parseExpr } from '../contracts/auth-expr.ts';
import { parseHtpasswd } from '../lib/htpasswd.ts';
import type { AuthConfigIr, AuthRefIr, AuthStepIr, BasicAuthIr, JwtProviderIr, PassThroughIr } from '../contracts/extauth.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { byKey } from '../lib/stable.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import { condition, statusEntry, type Because, type Condition, type StatusEntry } from './status.ts';

type AuthConfig = Resource<AuthConfigSpec>;
type Secret = Resource<SecretSpec>;

/** What an option's `extauth` does to its routes: check (or not) as the IR says, or deny, for the reason given. */
export type AuthUse = { ref: AuthRefIr } | { unresolved: Because };

/** Defaults: Gloo's where Gloo has one. */
const DEFAULT_REALM = 'gloo';
const API_KEY_ENTRY = 'api-key';
const DEFAULT_API_KEY_HEADER = 'api-key';
const HTPASSWD_KEY = 'htpasswd';
const JWKS_CACHE_MS = 5 * 60_000;
const CALL_TIMEOUT_MS = 5_000;

interface Resolved {
  ir: AuthConfigIr;
  issues: { field: string; message: string; reason: string }[];
  users: Set<string>;
}

/** Reports a problem with a field (the reason: ResolvedRefs' reason when it is about a reference). */
type Report = (field: string, message: string, reason?: string) => void;

export class AuthConfigResolver {
  readonly #index: ResourceIndex;
  readonly #problems: FieldProblem[];
  readonly #byName = new Map<string, Resolved>();
  readonly #configs: AuthConfig[];

  constructor(index: ResourceIndex, problems: FieldProblem[]) {
    this.#index = index;
    this.#problems = problems;
    this.#configs = index.authConfigs;
    for (const config of this.#configs) this.#byName.set(nameOf(config), this.#resolve(config));
  }

  /**
   * What an option's `extauth` asks of the routes it applies to (`where` names them for the status). A
   * configRef that is refused (another namespace, no ReferenceGrant) or names no valid AuthConfig is reported
   * on the option through `report` and comes back `unresolved`: the caller denies those routes.
   */
  use(option: Resource, ext: ExtAuthOption | undefined, where: string, report: Report): AuthUse | undefined {
    if (!ext) return undefined;
    if (ext.disable || !ext.configRef) return { ref: { disabled: true } };
    const namespace = ext.configRef.namespace ?? option.metadata.namespace;
    const name = `${namespace}/${ext.configRef.name}`;
    const refused = this.#index.refusal(option, { group: GLOO_ENTERPRISE_GROUP, kind: 'AuthConfig', namespace, name: ext.configRef.name });
    const found = refused ? undefined : this.#byName.get(name);
    if (!found) {
      const because = refused ?? { reason: 'AuthConfigNotFound', message: `AuthConfig ${name} not found (or never valid)` };
      report(CONFIG_REF_FIELD, `${because.message}; requests are denied (403) until it resolves`, because.reason);
      return { unresolved: because };
    }
    found.users.add(where);
    return { ref: { config: name, ...(found.ir.failureModeAllow && { failureModeAllow: true as const }) } };
  }

  /** Every valid AuthConfig (the service gets them all, so attaching one later changes only RDS). */
  ir(): AuthConfigIr[] {
    return [...this.#byName.values()].map((r) => r.ir).sort(byKey((c) => c.name));
  }

  statuses(): StatusEntry[] {
    return this.#configs.map((c) => {
      const { issues, users } = this.#byName.get(nameOf(c)) as Resolved;
      const used = users.size ? `used by ${[...users].sort().join(', ')}` : 'not used by any route or virtual host yet';
      const conditions: Condition[] = [condition(c, 'Accepted', true, { reason: 'Accepted', message: used })];
      const refs = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
      // RefNotPermitted names the Gateway API's reason when any reference is refused, InvalidRef otherwise.
      const reason = issues.find((i) => i.reason !== INVALID_REF)?.reason ?? INVALID_REF;
      conditions.push(condition(c, 'ResolvedRefs', !issues.length, issues.length ? { reason, message: refs } : { reason: 'ResolvedRefs', message: 'every Secret resolved' }));
      return statusEntry(c, { conditions });
    });
  }

  #resolve(config: AuthConfig): Resolved {
    const issues: Resolved['issues'] = [];
    const report: Report = (field, message, reason = INVALID_REF) => {
      issues.push({ field, message, reason });
      this.#problems.push(problemAt(config, field, message));
    };
    const steps = config.spec.configs.map((s, i) => this.#step(config, s, i, (f, m, r) => report(`spec.configs[${i}].${f}`, m, r)));
    const parsed = config.spec.booleanExpr === undefined ? undefined : parseExpr(config.spec.booleanExpr);
    const ir: AuthConfigIr = {
      name: nameOf(config),
      steps,
      ...(parsed && 'expr' in parsed && { expr: parsed.expr }),
      ...(config.spec.failureModeAllow && { failureModeAllow: true as const }),
    };
    return { ir, issues, users: new Set() };
  }

  #step(config: AuthConfig, s: AuthStepSpec, i: number, report: Report): AuthStepIr {
    const name = stepName(s as AuthStepSpec & Record<string, unknown>, i);
    if (s.basicAuth) return { name, basic: this.#basic(config, s.basicAuth, report) };
    if (s.apiKeyAuth) return { name, apiKey: this.#apiKey(config, s.apiKeyAuth, report) };
    if (s.jwt) return { name, jwt: { providers: jwtProviders(s.jwt) } };
    return { name, passThrough: passThrough(s.passThroughAuth as PassThroughAuthSpec) };
  }

  #basic(config: AuthConfig, b: BasicAuthSpec, report: Report): BasicAuthIr {
    const users = Object.entries(b.apr?.users ?? {}).map(([user, u]) => ({ user, hash: `$apr1$${u.salt}$${u.hashedPassword}` }));
    if (b.htpasswd) {
      const key = b.htpasswd.key ?? HTPASSWD_KEY;
      const secret = this.#secret(config, b.htpasswd.secretRef, 'basicAuth.htpasswd.secretRef', report);
      const text = secret?.spec.stringData[key];
      if (secret && text === undefined) report('basicAuth.htpasswd.key', `${resourceId(secret)} has no entry ${key}`);
      const parsed = parseHtpasswd(text ?? '');
      for (const p of parsed.problems) report('basicAuth.htpasswd', `${resourceId(secret as Secret)} ${key} ${p}`);
      // apr.users win over a file entry of the same user.
      users.push(...parsed.users.filter((u) => !users.some((o) => o.user === u.user)));
    }
    return { realm: b.realm ?? DEFAULT_REALM, users: users.sort(byKey((u) => u.user)) };
  }

  #apiKey(config: AuthConfig, a: ApiKeyAuthSpec, report: Report) {
    const byRef = (a.apiKeySecretRefs ?? []).flatMap((ref, j) => this.#secret(config, ref, `apiKeyAuth.apiKeySecretRefs[${j}]`, report) ?? []);
    const selector = a.labelSelector;
    // A selector picks the Secrets that hold a key, in the AuthConfig's namespace or one whose ReferenceGrant lets
    // it; the others are silently not picked (a report would tell another tenant's Secrets exist). A named
    // Secret without a key is reported below.
    const picked = (s: Secret) =>
      s.spec.stringData[API_KEY_ENTRY] && Object.entries(selector ?? {}).every(([k, v]) => s.metadata.labels?.[k] === v) && !this.#index.refusal(config, secretTarget(s.metadata));
    const byLabel = selector ? this.#index.secrets.filter(picked) : [];
    const secrets = [...new Map([...byRef, ...byLabel].map((s) => [nameOf(s), s])).values()];
    const headersFromMetadata = Object.entries(a.headersFromMetadataEntry ?? {}).map(([header, e]) => ({ header, entry: e.name, required: e.required ?? false }));
    // Only the entries some header uses travel to the service: a Secret's other entries may be credentials too.
    const entries = [...new Set(headersFromMetadata.map((h) => h.entry))].sort();
    const keys = secrets.flatMap((s) => {
      const key = s.spec.stringData[API_KEY_ENTRY];
      if (!key) report('apiKeyAuth', `${resourceId(s)} has no ${API_KEY_ENTRY} entry; it holds no key`);
      const metadata = Object.fromEntries(entries.flatMap((e) => (s.spec.stringData[e] === undefined ? [] : [[e, s.spec.stringData[e] as string]])));
      return key ? [{ key: key.trim(), secret: nameOf(s), metadata }] : [];
    });
    return { header: a.headerName ?? DEFAULT_API_KEY_HEADER, keys: keys.sort(byKey((k) => k.secret)), headersFromMetadata };
  }

  /** The Secret a reference names, when the AuthConfig may use it (a ReferenceGrant for another namespace) and it exists. */
  #secret(config: AuthConfig, ref: { name: string; namespace?: string }, field: string, report: Report): Secret | undefined {
    const namespace = ref.namespace ?? config.metadata.namespace;
    const refused = this.#index.refusal(config, secretTarget({ namespace, name: ref.name }));
    if (refused) {
      report(field, `${refused.message}; it adds nothing to this AuthConfig`, refused.reason);
      return undefined;
    }
    const secret = this.#index.secret(namespace, ref.name);
    if (!secret) report(field, `Secret ${namespace}/${ref.name} not found`);
    return secret;
  }
}

const CONFIG_REF_FIELD = 'spec.options.extauth.configRef';
const INVALID_REF = 'InvalidRef';

function secretTarget(at: { namespace: string; name: string }) {
  return { group: '', kind: 'Secret', namespace: at.namespace, name: at.name };
}

function jwtProviders(j: JwtAuthSpec): JwtProviderIr[] {
  return Object.entries(j.providers)
    .map(([name, p]): JwtProviderIr => {
      const remote = p.jwks.remote;
      const headers = p.tokenSource?.headers ?? [{ header: 'authorization', prefix: 'Bearer ' }];
      return {
        name,
        ...(p.issuer !== undefined && { issuer: p.issuer }),
        ...(p.audiences && { audiences: [...p.audiences] }),
        jwks: remote
          ? { url: remote.url, cacheMs: protoDurationMs(remote.cacheDuration) ?? JWKS_CACHE_MS, timeoutMs: protoDurationMs(remote.timeout) ?? CALL_TIMEOUT_MS }
          : { inline: p.jwks.local?.key as string },
        sources: headers.map((h) => ({ header: h.header.toLowerCase(), prefix: h.prefix ?? '' })),
        claimsToHeaders: (p.claimsToHeaders ?? []).map((c) => ({ claim: c.claim, header: c.header.toLowerCase() })),
        clockSkewSeconds: p.clockSkewSeconds ?? 0,
        ...(p.requiredClaims && { requiredClaims: { ...p.requiredClaims } }),
        ...(p.requireExpiration === false && { expirationOptional: true as const }),
      };
    })
    .sort(byKey((p) => p.name));
}

function passThrough(p: PassThroughAuthSpec): PassThroughIr {
  const allow = p.failureModeAllow ? { failureModeAllow: true as const } : {};
  if (p.grpc) return { grpc: { address: p.grpc.address, timeoutMs: protoDurationMs(p.grpc.connectionTimeout) ?? CALL_TIMEOUT_MS }, ...allow };
  const h = p.http as NonNullable<PassThroughAuthSpec['http']>;
  const lower = (names: string[] = []) => names.map((n) => n.toLowerCase());
  return {
    http: { url: h.url, allowedHeaders: lower(h.request?.allowedHeaders), allowedUpstreamHeaders: lower(h.response?.allowedUpstreamHeaders), timeoutMs: protoDurationMs(h.connectionTimeout) ?? CALL_TIMEOUT_MS },
    ...allow,
  };
}

function nameOf(r: Resource): string {
  return `${r.metadata.namespace}/${r.metadata.name}`;
}
