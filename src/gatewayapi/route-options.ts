// RouteOptions (Gloo's gateway.solo.io/v1) on HTTPRoute rules, attached by an ExtensionRef filter of the rule or
// by the option's targetRefs. Precedence, setting by setting: the HTTPRoute's own fields and filters win; then
// ExtensionRef-attached options (in filter order); then targetRefs naming the rule (sectionName), then those
// naming the whole route, oldest first. What cannot be applied is reported and the rule serves without it,
// except what fails closed: an ExtensionRef naming no (valid) RouteOption answers 500 (the Gateway API's rule
// for a filter that cannot be resolved: it might have carried auth), and an `extauth` whose AuthConfig does
// not resolve (missing, or refused for want of a ReferenceGrant) answers 403, never serves unchecked.
import { protoDurationMs } from '../api/duration.ts';
import type { GRPCRouteRule, HTTPRouteRule, RouteSpec } from '../api/gateway-types.ts';
import type { RouteOptionSpec } from '../api/gloo-types.ts';
import { GLOO_GROUP, resourceId, type Resource } from '../api/resource.ts';
import type { ForwardActionIr, MirrorIr, RouteIr } from '../ir/types.ts';
import type { FieldProblem } from '../lib/errors.ts';
import type { AuthConfigResolver } from './auth-configs.ts';
import type { BackendIssue } from './backends.ts';
import { backendProtocol, upstreamClusterName } from './upstream.ts';
import type { Filters } from './filters.ts';
import { bufferOf, corsOf, faultsOf, hashPolicyOf, headerPoliciesOf, REQUEST_HEADERS, RESPONSE_HEADERS, retryOf, rewriteOf } from './gloo-options.ts';
import { byAge, PolicyLedger, type Setting } from './policies.ts';
import { RATE_LIMIT_BASIC, RATE_LIMIT_CONFIGS, type RateLimitResolver } from './rate-limits.ts';
import { REF_NOT_PERMITTED } from './reference-grants.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import type { StatusEntry } from './status.ts';

type RouteOption = Resource<RouteOptionSpec>;

/** Route settings that live beside the action (header changes and per-route filters). */
export type RoutePolicies = Pick<RouteIr, 'requestHeaders' | 'responseHeaders' | 'cors' | 'corsDisabled' | 'faults' | 'buffer' | 'rateLimits' | 'auth'>;

export type ForwardOptions = Pick<ForwardActionIr, 'mirrors' | 'timeouts' | 'retry' | 'rewrite' | 'hashPolicies'>;

export interface RuleOptions {
  policies: RoutePolicies;
  forward: ForwardOptions;
  /** ExtensionRefs of the rule that name no (valid) RouteOption, and an `extauth` that does not resolve. */
  issues: BackendIssue[];
  /** The status the rule answers with instead of serving, when an option it needs does not resolve. */
  deny?: 403 | 500;
}

/** What the rule itself sets for a setting, when it does: the HTTPRoute then wins. */
type OwnClaim = (rule: HTTPRouteRule, filters: Filters) => unknown;

interface RouteSetting extends Setting {
  own?: OwnClaim;
  /** The HTTPRoute field or filter that sets it, for messages. */
  what?: string;
}

const SETTINGS: readonly RouteSetting[] = [
  { name: 'timeout', fields: ['timeout'], own: (r) => r.timeouts, what: 'timeouts' },
  { name: 'retries', fields: ['retries'], own: (r) => r.retry, what: 'retry' },
  { name: 'prefixRewrite/regexRewrite', fields: ['prefixRewrite', 'regexRewrite'], own: (_, f) => f.rewrite?.path, what: 'URLRewrite path' },
  { name: 'hostRewrite/autoHostRewrite', fields: ['hostRewrite', 'autoHostRewrite'], own: (_, f) => f.rewrite?.hostname, what: 'URLRewrite hostname' },
  { ...REQUEST_HEADERS, own: (_, f) => f.requestHeaders, what: 'RequestHeaderModifier' },
  { ...RESPONSE_HEADERS, own: (_, f) => f.responseHeaders, what: 'ResponseHeaderModifier' },
  { name: 'cors', fields: ['cors'], own: (_, f) => f.cors, what: 'CORS filter' },
  { name: 'shadowing', fields: ['shadowing'], own: (_, f) => f.mirrors.length || undefined, what: 'RequestMirror filter' },
  { name: 'faults', fields: ['faults'] },
  { name: 'lbHash', fields: ['lbHash'] },
  { name: 'bufferPerRoute', fields: ['bufferPerRoute'] },
  RATE_LIMIT_CONFIGS,
  RATE_LIMIT_BASIC,
  { name: 'extauth', fields: ['extauth'] },
];

interface Targeting {
  option: RouteOption;
  sectionName?: string;
}

export class RouteOptionResolver {
  readonly #index: ResourceIndex;
  readonly #problems: FieldProblem[];
  readonly #ledger: PolicyLedger;
  readonly #auth: AuthConfigResolver;
  /** targetRefs by `<namespace>/<HTTPRoute name>`. */
  readonly #targeting = new Map<string, Targeting[]>();
  readonly #reported = new Set<string>();
  readonly #rateLimits: RateLimitResolver;

  constructor(index: ResourceIndex, problems: FieldProblem[], rateLimits: RateLimitResolver, auth: AuthConfigResolver) {
    this.#index = index;
    this.#problems = problems;
    this.#rateLimits = rateLimits;
    this.#auth = auth;
    this.#ledger = new PolicyLedger(index.routeOptions, 'route rule');
    for (const option of index.routeOptions) this.#indexTargets(option);
  }

  /** The options of one rule, after precedence; the rule's own settings are left out (the rule has them). */
  forRule(route: Resource<RouteSpec>, ruleIndex: number, rule: HTTPRouteRule | GRPCRouteRule, filters: Filters): RuleOptions {
    const issues: BackendIssue[] = [];
    const byRef = filters.optionRefs.flatMap(({ field, name }) => {
      const option = this.#index.routeOption(route.metadata.namespace, name);
      if (!option) issues.push({ field, reason: 'RouteOptionNotFound', message: `RouteOption ${route.metadata.namespace}/${name} not found (or never valid); the rule answers 500 until it exists` });
      return option ? [option] : [];
    });
    const ordered = [...new Set([...byRef, ...this.#targetsOf(route, rule.name)])];
    const where = `${resourceId(route)} rule ${ruleIndex}`;
    const own = route.kind === 'HTTPRoute' ? (rule as HTTPRouteRule) : {};
    const winners = this.#ledger.settle(ordered, where, SETTINGS, (s) => (s.own?.(own, filters) ? `the HTTPRoute's ${s.what}` : undefined));
    const pick = (name: string) => winners.get(name)?.spec.options;
    const rateLimits = this.#rateLimits.policies(winners, (option, field, message, reason) => this.#report(option as RouteOption, field, message, reason));
    const authOption = winners.get('extauth');
    const auth = authOption && this.#auth.use(authOption, authOption.spec.options?.extauth, where, (f, m, r) => this.#report(authOption, f, m, r));
    if (auth && 'unresolved' in auth) {
      const message = `extauth of ${resourceId(authOption as RouteOption)} does not resolve (${auth.unresolved.message}); requests matching this rule are denied (403)`;
      issues.push({ field: `spec.rules[${ruleIndex}]`, reason: 'AuthConfigNotResolved', message });
    }
    const ref = auth && 'ref' in auth ? auth.ref : undefined;
    const deny = issues.some((i) => i.reason === 'RouteOptionNotFound') ? 500 : auth && 'unresolved' in auth ? 403 : undefined;
    return {
      policies: { ...policiesOf(pick), ...(rateLimits.length && { rateLimits }), ...(ref && { auth: ref }) },
      forward: this.#forwardOf(route, winners),
      issues,
      ...(deny && { deny }),
    };
  }

  statuses(): StatusEntry[] {
    return this.#ledger.statuses();
  }

  #forwardOf(route: Resource<RouteSpec>, winners: Map<string, RouteOption>): ForwardOptions {
    const pick = (name: string) => winners.get(name)?.spec.options;
    const timeoutMs = protoDurationMs(pick('timeout')?.timeout);
    const retries = pick('retries')?.retries;
    const rewrite = rewriteOf(pick('prefixRewrite/regexRewrite'), pick('hostRewrite/autoHostRewrite'));
    const hash = pick('lbHash')?.lbHash;
    const mirror = this.#shadowOf(route, winners.get('shadowing'));
    return {
      ...(timeoutMs !== undefined && { timeouts: { requestMs: timeoutMs } }),
      ...(retries && { retry: retryOf(retries) }),
      ...(rewrite && { rewrite }),
      ...(hash && { hashPolicies: hash.hashPolicies.map(hashPolicyOf) }),
      ...(mirror && { mirrors: [mirror] }),
    };
  }

  /**
   * Gloo's percentage defaults to 0; an Upstream that does not exist, or in another namespace that grants the
   * option no ReferenceGrant, is reported on the option, and not mirrored to.
   */
  #shadowOf(route: Resource<RouteSpec>, option: RouteOption | undefined): MirrorIr | undefined {
    const shadowing = option?.spec.options?.shadowing;
    if (!option || !shadowing) return undefined;
    const namespace = shadowing.upstream.namespace ?? option.metadata.namespace;
    const { name } = shadowing.upstream;
    const refused = this.#index.refusal(option, { group: GLOO_GROUP, kind: 'Upstream', namespace, name });
    const missing = !refused && !this.#index.upstream(namespace, name) ? `Upstream ${namespace}/${name} not found` : undefined;
    if (refused || missing) {
      this.#report(option, 'spec.options.shadowing.upstream', `${refused?.message ?? missing}; nothing is shadowed`, refused?.reason);
      return undefined;
    }
    const cluster = upstreamClusterName(namespace, shadowing.upstream.name, backendProtocol(route));
    const percent = shadowing.percentage ?? 0;
    return { cluster, ...(percent < 100 && { fraction: { numerator: Math.round(percent * 10_000), denominator: 1_000_000 } }) };
  }

  /** Options naming this rule (sectionName) before those naming the whole route; oldest first within each. */
  #targetsOf(route: Resource<RouteSpec>, ruleName: string | undefined): RouteOption[] {
    if (route.kind !== 'HTTPRoute') return [];
    const all = this.#targeting.get(`${route.metadata.namespace}/${route.metadata.name}`) ?? [];
    const forRule = all.filter((t) => t.sectionName !== undefined && t.sectionName === ruleName).map((t) => t.option);
    const forRoute = all.filter((t) => t.sectionName === undefined).map((t) => t.option);
    return [...forRule.sort(byAge), ...forRoute.sort(byAge)];
  }

  #indexTargets(option: RouteOption): void {
    const { namespace } = option.metadata;
    (option.spec.targetRefs ?? []).forEach((ref, i) => {
      const field = `spec.targetRefs[${i}]`;
      const route = this.#index.routes.find((r) => r.kind === 'HTTPRoute' && r.metadata.namespace === namespace && r.metadata.name === ref.name);
      if (ref.namespace !== undefined && ref.namespace !== namespace) {
        // Never across namespaces, grant or not (Gloo's targetRefs are local): checked before any lookup.
        this.#report(option, field, `a RouteOption applies only to HTTPRoutes of its own namespace (${namespace}), not ${ref.namespace}`, REF_NOT_PERMITTED);
      } else if (!route) {
        this.#report(option, field, `HTTPRoute ${namespace}/${ref.name} not found`);
      } else if (ref.sectionName !== undefined && !(route.spec.rules ?? []).some((r) => r.name === ref.sectionName)) {
        this.#report(option, `${field}.sectionName`, `HTTPRoute ${namespace}/${ref.name} has no rule named ${ref.sectionName}`);
      } else {
        const key = `${namespace}/${ref.name}`;
        this.#targeting.set(key, [...(this.#targeting.get(key) ?? []), { option, ...(ref.sectionName !== undefined && { sectionName: ref.sectionName }) }]);
      }
    });
  }

  /** Once per option, field and message, however many rules run into it. */
  #report(option: RouteOption, field: string, message: string, reason?: string): void {
    const key = `${resourceId(option)}|${field}|${message}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#ledger.issue(option, field, message, reason);
    this.#problems.push(problemAt(option, field, message));
  }
}

function policiesOf(pick: (name: string) => RouteOptionSpec['options']): RoutePolicies {
  const cors = pick('cors')?.cors;
  const corsPolicy = cors && !cors.disableForRoute ? corsOf(cors) : undefined;
  const faults = pick('faults')?.faults;
  const buffer = pick('bufferPerRoute')?.bufferPerRoute;
  return {
    ...headerPoliciesOf(pick(REQUEST_HEADERS.name)?.headerManipulation, pick(RESPONSE_HEADERS.name)?.headerManipulation),
    ...(corsPolicy && { cors: corsPolicy }),
    ...(cors?.disableForRoute && { corsDisabled: true as const }),
    ...(faults && { faults: faultsOf(faults) }),
    ...(buffer && { buffer: bufferOf(buffer) }),
  };
}
