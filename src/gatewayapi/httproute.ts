// An HTTPRoute's rules → IR route templates (match, header changes, action), once per route whatever its
// parents. Every backend or filter that cannot be honoured is reported, and only its own rule suffers.
import { durationMs } from '../api/duration.ts';
import type { HTTPRouteMatch, HTTPRouteRetry, HTTPRouteRule, HTTPRouteSpec, HTTPRouteTimeouts } from '../api/gateway-types.ts';
import { resourceKey, type Resource } from '../api/resource.ts';
import type { CorsIr, ForwardActionIr, HeaderModIr, MirrorIr, RetryIr, RouteActionIr, RouteMatchIr, TimeoutsIr, ValueMatchIr } from '../ir/types.ts';
import type { FieldProblem } from '../lib/errors.ts';
import { resolveBackends, resolveMirrors, type BackendIssue, type Backends } from './backends.ts';
import { readFilters, redirectAction, RULE_FILTERS, type Filters } from './filters.ts';
import { problemAt, type ResourceIndex } from './resources.ts';

export interface CompiledMatch {
  /** `httproute/<ns>/<name>/rule/<i>/match/<j>` */
  name: string;
  match: RouteMatchIr;
  /** `spec.rules[i].matches[j]` (or `spec.rules[i]` for the implicit match-everything). */
  field: string;
  rule: number;
  index: number;
}

export interface CompiledRule {
  matches: CompiledMatch[];
  requestHeaders?: HeaderModIr;
  responseHeaders?: HeaderModIr;
  cors?: CorsIr;
  /** The rule's action on a listener (a redirect without a port takes the listener's). */
  action(listenerPort: number): RouteActionIr;
}

export interface CompiledRoute {
  resource: Resource<HTTPRouteSpec>;
  key: string;
  rules: CompiledRule[];
  /** Backend references that could not be resolved (ResolvedRefs=False). */
  unresolved: BackendIssue[];
  /** Rules answering 500 because they use filters Portico does not implement, with why. */
  unsupported: { rule: number; message: string }[];
}

/** The rule the API server defaults an HTTPRoute without rules to: match every path, no backends. */
const DEFAULT_RULES: HTTPRouteRule[] = [{}];

export function compileRoute(route: Resource<HTTPRouteSpec>, index: ResourceIndex, problems: FieldProblem[]): CompiledRoute {
  const out: CompiledRoute = { resource: route, key: resourceKey(route), rules: [], unresolved: [], unsupported: [] };
  (route.spec.rules ?? DEFAULT_RULES).forEach((rule, i) => {
    const field = `spec.rules[${i}]`;
    const filters = readFilters(rule.filters, `${field}.filters`, RULE_FILTERS);
    const backends = resolveBackends(route, rule.backendRefs ?? [], `${field}.backendRefs`, index);
    const mirrors = resolveMirrors(route, filters.mirrors, index);
    const unsupported = [...filters.unsupported, ...backends.unsupported];
    const issues = [...backends.issues, ...mirrors.issues];
    for (const issue of issues) problems.push(problemAt(route, issue.field, issue.message));
    for (const u of unsupported) problems.push(problemAt(route, u.field, unsupportedMessage(u.type)));
    out.unresolved.push(...issues);
    if (unsupported.length) out.unsupported.push({ rule: i, message: `rule ${i}: ${unsupported.map((u) => unsupportedMessage(u.type)).join('; ')}` });

    out.rules.push({
      matches: compileMatches(route, rule, i),
      ...(filters.requestHeaders && { requestHeaders: filters.requestHeaders }),
      ...(filters.responseHeaders && { responseHeaders: filters.responseHeaders }),
      ...(filters.cors && { cors: filters.cors }),
      action: unsupported.length ? () => internalError() : ruleAction(filters, backends, forwardOptions(rule, mirrors.mirrors)),
    });
  });
  return out;
}

type ForwardOptions = Pick<ForwardActionIr, 'mirrors' | 'timeouts' | 'retry'>;

/** What a rule adds to forwarding besides backends: mirrors, timeouts and retries. */
function forwardOptions(rule: HTTPRouteRule, mirrors: MirrorIr[]): ForwardOptions {
  const timeouts = rule.timeouts && timeoutsIr(rule.timeouts);
  return {
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
      ...(filters.rewrite && { rewrite: filters.rewrite }),
      ...options,
    };
  };
}

function unsupportedMessage(type: string): string {
  return `filter ${type} is not supported here yet, so requests matching this rule get a 500`;
}

function internalError(): RouteActionIr {
  return { type: 'directResponse', status: 500 };
}

function compileMatches(route: Resource, rule: HTTPRouteRule, ruleIndex: number): CompiledMatch[] {
  const prefix = `httproute/${route.metadata.namespace}/${route.metadata.name}/rule/${ruleIndex}/match`;
  const field = `spec.rules[${ruleIndex}]`;
  if (!rule.matches?.length) {
    return [{ name: `${prefix}/0`, match: { path: { type: 'PathPrefix', value: '/' } }, field, rule: ruleIndex, index: 0 }];
  }
  return rule.matches.map((m, j) => ({ name: `${prefix}/${j}`, match: toMatch(m), field: `${field}.matches[${j}]`, rule: ruleIndex, index: j }));
}

function toMatch(m: HTTPRouteMatch): RouteMatchIr {
  const type = m.path?.type ?? 'PathPrefix';
  const value = m.path?.value ?? '/';
  // PathPrefix matches whole segments, so `/api/` and `/api` are the same match.
  const path = { type, value: type === 'PathPrefix' && value.length > 1 ? value.replace(/\/+$/, '') : value };
  // Header names compare case-insensitively, query parameter names exactly; only the first of equals counts.
  const headers = firstOfEach(m.headers ?? [], (h) => h.name.toLowerCase());
  const queryParams = firstOfEach(m.queryParams ?? [], (q) => q.name);
  return {
    path,
    ...(headers.length && { headers }),
    ...(queryParams.length && { queryParams }),
    ...(m.method && { method: m.method }),
  };
}

function firstOfEach(list: { type?: ValueMatchIr['type']; name: string; value: string }[], key: (v: { name: string }) => string): ValueMatchIr[] {
  const seen = new Set<string>();
  const out: ValueMatchIr[] = [];
  for (const v of list) {
    if (seen.has(key(v))) continue;
    seen.add(key(v));
    out.push({ name: v.name, type: v.type ?? 'Exact', value: v.value });
  }
  return out;
}
