// An HTTPRoute's (or GRPCRoute's) rules → IR route templates (match, header changes, action), once per route whatever its
// parents. Every backend or filter that cannot be honoured is reported, and only its own rule suffers.
import { durationMs } from '../api/duration.ts';
import type { GRPCRouteMatch, GRPCRouteRule, HTTPRouteMatch, HTTPRouteRetry, HTTPRouteRule, HTTPRouteTimeouts, RouteSpec } from '../api/gateway-types.ts';
import { resourceKey, type Resource } from '../api/resource.ts';
import type { MirrorIr, RetryIr, RouteActionIr, RouteMatchIr, TimeoutsIr } from '../ir/types.ts';
import type { DirectResponseSpec } from '../api/gloo-types.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { resolveBackends, resolveMirrors, type BackendIssue, type Backends } from './backends.ts';
import { readFilters, redirectAction, RULE_FILTERS, type Filters } from './filters.ts';
import { grpcMatch, grpcRank, httpMatch, type GrpcRank } from './matches.ts';
import { problemAt, type ResourceIndex } from './resources.ts';
import type { ForwardOptions, RouteOptionResolver, RoutePolicies, RuleOptions } from './route-options.ts';
import { condition, statusEntry, type StatusEntry } from './status.ts';

export interface CompiledMatch {
  /** `httproute/<ns>/<name>/rule/<i>/match/<j>` (`grpcroute/…` for a GRPCRoute) */
  name: string;
  match: RouteMatchIr;
  /** `spec.rules[i].matches[j]` (or `spec.rules[i]` for the implicit match-everything). */
  field: string;
  rule: number;
  index: number;
  /** A GRPCRoute match ranks by what was written (service, then method), not by the path it becomes. */
  grpcRank?: GrpcRank;
}

export interface CompiledRule {
  matches: CompiledMatch[];
  /** Header changes and per-route filters: the rule's own, else its RouteOptions'. */
  policies: RoutePolicies;
  /** The rule's action on a listener (a redirect without a port takes the listener's). */
  action(listenerPort: number): RouteActionIr;
}

export interface CompiledRoute {
  resource: Resource<RouteSpec>;
  key: string;
  rules: CompiledRule[];
  /** Backend references that could not be resolved (ResolvedRefs=False). */
  unresolved: BackendIssue[];
  /** Rules answering 500 because they use filters Portico does not implement, with why. */
  unsupported: { rule: number; message: string }[];
}

type RouteRule = HTTPRouteRule | GRPCRouteRule;

/** The rule the API server defaults an HTTPRoute without rules to: match every path, no backends. */
const DEFAULT_RULES: RouteRule[] = [{}];

export function compileRoute(route: Resource<RouteSpec>, index: ResourceIndex, options: RouteOptionResolver, problems: FieldProblem[]): CompiledRoute {
  const out: CompiledRoute = { resource: route, key: resourceKey(route), rules: [], unresolved: [], unsupported: [] };
  const rules: RouteRule[] = route.spec.rules ?? DEFAULT_RULES;
  rules.forEach((rule, i) => {
    const field = `spec.rules[${i}]`;
    const filters = readFilters(rule.filters, `${field}.filters`, RULE_FILTERS);
    const backends = resolveBackends(route, rule.backendRefs ?? [], `${field}.backendRefs`, index);
    const mirrors = resolveMirrors(route, filters.mirrors, index);
    const extra = options.forRule(route, i, rule, filters);
    const direct = directResponse(route, filters, index);
    const unsupported = [...filters.unsupported, ...backends.unsupported];
    const issues = [...backends.issues, ...mirrors.issues, ...extra.issues, ...direct.issues];
    for (const issue of issues) problems.push(problemAt(route, issue.field, issue.message));
    for (const u of unsupported) problems.push(problemAt(route, u.field, unsupportedMessage(u.type)));
    out.unresolved.push(...issues);
    if (unsupported.length) out.unsupported.push({ rule: i, message: `rule ${i}: ${unsupported.map((u) => unsupportedMessage(u.type)).join('; ')}` });

    const own = route.kind === 'GRPCRoute' ? {} : (rule as HTTPRouteRule);
    const forward = { ...extra.forward, ...forwardOptions(own, filters, mirrors.mirrors, extra.forward) };
    out.rules.push({
      matches: compileMatches(route, rule, i),
      policies: { ...extra.policies, ...rulePolicies(filters) },
      action: unsupported.length ? () => internalError() : (denied(extra.deny) ?? direct.action ?? ruleAction(filters, backends, forward)),
    });
  });
  return out;
}

/**
 * A rule with an ExtensionRef to a DirectResponse answers with it; one to a DirectResponse that does not exist
 * answers 500, as the Gateway API asks of a filter that cannot be applied, and says why.
 */
function directResponse(route: Resource, filters: Filters, index: ResourceIndex): { action?: () => RouteActionIr; issues: BackendIssue[] } {
  if (!filters.directResponse) return { issues: [] };
  const { field, name } = filters.directResponse;
  const found = index.directResponse(route.metadata.namespace, name);
  if (!found) {
    const message = `DirectResponse ${route.metadata.namespace}/${name} not found (or never valid); the rule answers 500`;
    return { action: internalError, issues: [{ field, reason: 'DirectResponseNotFound', message }] };
  }
  const { status, body } = found.spec;
  return { action: () => ({ type: 'directResponse', status, ...(body !== undefined && { body }) }), issues: [] };
}

/** A DirectResponse is valid once parsed; its status says what it answers. */
export function directResponseStatus(d: Resource<DirectResponseSpec>): StatusEntry {
  const message = `answers ${d.spec.status}${d.spec.body === undefined ? '' : ` with a ${d.spec.body.length}-character body`} where an ExtensionRef names it`;
  return statusEntry(d, { conditions: [condition(d, 'Accepted', true, { reason: 'Accepted', message })] });
}

/** The rule's own header changes and CORS policy (they win over its RouteOptions'). */
function rulePolicies(filters: Filters): RoutePolicies {
  return {
    ...(filters.requestHeaders && { requestHeaders: filters.requestHeaders }),
    ...(filters.responseHeaders && { responseHeaders: filters.responseHeaders }),
    ...(filters.cors && { cors: filters.cors }),
  };
}

/**
 * What the rule itself adds to forwarding besides backends: mirrors, timeouts, retries and its URL rewrite,
 * whose hostname and path may each come from a RouteOption when the rule leaves them out.
 */
function forwardOptions(rule: HTTPRouteRule, filters: Filters, mirrors: MirrorIr[], fromOptions: ForwardOptions): ForwardOptions {
  const timeouts = rule.timeouts && timeoutsIr(rule.timeouts);
  const rewrite = { ...fromOptions.rewrite, ...filters.rewrite };
  return {
    ...(Object.keys(rewrite).length && { rewrite }),
    ...(mirrors.length && { mirrors }),
    ...(timeouts && { timeouts }),
    ...(rule.retry && { retry: retryIr(rule.retry) }),
  };
}

/** Durations were validated by the parser, so each parses. */
function timeoutsIr(t: HTTPRouteTimeouts): TimeoutsIr | undefined {
  const requestMs = durationMs(t.request);
  const backendRequestMs = durationMs(t.backendRequest);
  if (requestMs === undefined && backendRequestMs === undefined) return undefined;
  return { ...(requestMs !== undefined && { requestMs }), ...(backendRequestMs !== undefined && { backendRequestMs }) };
}

function retryIr(r: HTTPRouteRetry): RetryIr {
  const backoffMs = durationMs(r.backoff);
  return {
    codes: [...(r.codes ?? [])].sort((a, b) => a - b),
    ...(r.attempts !== undefined && { attempts: r.attempts }),
    ...(backoffMs !== undefined && { backoffMs }),
  };
}

function ruleAction(filters: Filters, backends: Backends, options: ForwardOptions): (listenerPort: number) => RouteActionIr {
  return (listenerPort) => {
    if (filters.redirect) return redirectAction(filters.redirect, listenerPort);
    // No valid backend with weight (none given, all invalid, or all weighted 0): the spec's 500.
    if (!backends.backends.length) return internalError();
    return {
      type: 'forward',
      backends: backends.backends,
      ...(backends.invalidWeight && { invalidWeight: backends.invalidWeight }),
      ...options,
    };
  };
}

function unsupportedMessage(type: string): string {
  return `filter ${type} is not supported here yet, so requests matching this rule get a 500`;
}

/** A rule an option it needs fails to resolve for: answered by Envoy itself, never served unchecked. */
function denied(status: RuleOptions['deny']): (() => RouteActionIr) | undefined {
  return status === undefined ? undefined : () => ({ type: 'directResponse', status });
}

function internalError(): RouteActionIr {
  return { type: 'directResponse', status: 500 };
}

function compileMatches(route: Resource, rule: RouteRule, ruleIndex: number): CompiledMatch[] {
  const prefix = `${route.kind.toLowerCase()}/${route.metadata.namespace}/${route.metadata.name}/rule/${ruleIndex}/match`;
  const field = `spec.rules[${ruleIndex}]`;
  const grpc = route.kind === 'GRPCRoute';
  const written = grpc ? (rule as GRPCRouteRule).matches : (rule as HTTPRouteRule).matches;
  if (!written?.length) {
    return [{ name: `${prefix}/0`, match: { path: { type: 'PathPrefix', value: '/' } }, field, rule: ruleIndex, index: 0, ...(grpc && { grpcRank: grpcRank({}) }) }];
  }
  return written.map((m, j) => ({
    name: `${prefix}/${j}`,
    match: grpc ? grpcMatch(m as GRPCRouteMatch) : httpMatch(m as HTTPRouteMatch),
    field: `${field}.matches[${j}]`,
    rule: ruleIndex,
    index: j,
    ...(grpc && { grpcRank: grpcRank(m as GRPCRouteMatch) }),
  }));
}
