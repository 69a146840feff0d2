// HTTPRoute (gateway.networking.k8s.io/v1 and v1beta1): fields, limits and the CEL rules of the CRD.
import { prefixRewriteRegex } from '../../contracts/envoy-regexes.ts';
import { durationMs } from '../duration.ts';
import type { HTTPRouteTimeouts, ParentReference } from '../gateway-types.ts';
import { GATEWAY_GROUP, GLOO_GATEWAY_GROUP } from '../resource.ts';
import { backendObjectReference, HTTP_METHODS, duration, group, headerName, headerValue, hostname, kindName, namespaceName, objectName, portNumber, sectionName } from './common.ts';
import { filterList } from './filters.ts';
import { re2Problem } from './regex.ts';
import { distinct, int, list, obj, oneOf, quote, required, str, uniqueBy, unsupported, type Rule } from './schema.ts';

const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;

/** Exact and PathPrefix values are absolute, normalised paths (the CRD's CEL rules); regexes must compile. */
const pathValueFitsType: Rule = (p: { type?: string; value?: string }, report) => {
  const value = p.value ?? '/';
  const problem = p.type === 'RegularExpression' ? re2Problem(value) : literalPathProblem(value);
  if (problem) report(['value'], problem);
};

function literalPathProblem(value: string): string | undefined {
  if (!value.startsWith('/')) return "must be an absolute path starting with '/'";
  const bad = ['//', '/./', '/../', '%2f', '%2F', '#'].find((s) => value.includes(s));
  if (bad) return `must not contain ${JSON.stringify(bad)}`;
  if (value.endsWith('/..') || value.endsWith('/.')) return "must not end with '/.' or '/..'";
  if (!PATH_CHARS.test(value)) return 'must contain only URL path characters (letters, digits, -._~!$&\'()*+,;=:@/ and %XX escapes)';
  return undefined;
}

const regexCompiles: Rule = (m: { type?: string; value: string }, report) => {
  const problem = m.type === 'RegularExpression' ? re2Problem(m.value) : undefined;
  if (problem) report(['value'], problem);
};

export const valueMatch = (maxLength: number) =>
  obj({ type: oneOf('Exact', 'RegularExpression'), name: required(headerName), value: required(headerValue(maxLength, 1)) }, regexCompiles);

const match = obj({
  path: obj({ type: oneOf('Exact', 'PathPrefix', 'RegularExpression'), value: str({ maxLength: 1024 }) }, pathValueFitsType),
  headers: list(valueMatch(4096), { max: 16 }, uniqueBy('name', 'header name')),
  queryParams: list(valueMatch(1024), { max: 16 }, uniqueBy('name', 'query parameter name')),
  method: oneOf(...HTTP_METHODS),
});

const backendRef = backendObjectReference({ weight: int(0, 1_000_000), filters: filterList });

interface RuleShape {
  matches?: { path?: { type?: string; value?: string } }[];
  filters?: Filter[];
  backendRefs?: { filters?: Filter[] }[];
}
interface Filter {
  type: string;
  extensionRef?: { group: string; kind: string };
  requestRedirect?: { path?: PathModifier };
  urlRewrite?: { path?: PathModifier };
}
interface PathModifier {
  type: string;
  replacePrefixMatch?: string;
}

/** The rule's filters and its backendRefs' filters, each with its path in the rule. */
function locatedFilters(rule: RuleShape): { f: Filter; at: (string | number)[] }[] {
  return [
    ...(rule.filters ?? []).map((f, i) => ({ f, at: ['filters', i] })),
    ...(rule.backendRefs ?? []).flatMap((b, j) => (b.filters ?? []).map((f, i) => ({ f, at: ['backendRefs', j, 'filters', i] }))),
  ];
}

/** A redirect, or Gloo's DirectResponse, answers by itself: no backendRefs beside it. */
const answersWithoutBackends: Rule = (rule: RuleShape, report) => {
  if (!rule.backendRefs?.length) return;
  rule.filters?.forEach((f, i) => {
    if (f.type === 'RequestRedirect') report(['filters', i], 'RequestRedirect must not be used together with backendRefs');
    if (f.extensionRef?.group === GLOO_GATEWAY_GROUP && f.extensionRef.kind === 'DirectResponse') {
      report(['filters', i], 'an ExtensionRef to a DirectResponse must not be used together with backendRefs');
    }
  });
};

/** ReplacePrefixMatch replaces what a PathPrefix matched, so the rule must have exactly one such match. */
const prefixReplaceNeedsOnePrefixMatch: Rule = (rule: RuleShape, report) => {
  // Unset matches and paths default to PathPrefix `/`, as the API server would fill them in.
  const matches = rule.matches?.length ? rule.matches : [{}];
  const onePrefix = matches.length === 1 && (matches[0]?.path?.type ?? 'PathPrefix') === 'PathPrefix';
  if (onePrefix) return;
  for (const { f, at } of locatedFilters(rule)) {
    const path = (f.requestRedirect ?? f.urlRewrite)?.path;
    if (path?.type === 'ReplacePrefixMatch') report([...at, 'type'], `${f.type} with path.replacePrefixMatch needs exactly one match, of type PathPrefix`);
  }
};

/**
 * Replacing a longer prefix with `/` keeps segment boundaries with an RE2 regex of the prefix (see
 * contracts/envoy-regexes.ts), which must fit Envoy's program size like any other regex.
 */
const prefixRewriteRegexFits: Rule = (rule: RuleShape, report) => {
  const path = rule.matches?.length === 1 ? rule.matches[0]?.path : undefined;
  const prefix = path?.value;
  if (!prefix || (path.type ?? 'PathPrefix') !== 'PathPrefix') return;
  for (const { f, at } of locatedFilters(rule)) {
    const modifier = (f.requestRedirect ?? f.urlRewrite)?.path;
    if (modifier?.type !== 'ReplacePrefixMatch') continue;
    const regex = prefixRewriteRegex(prefix, modifier.replacePrefixMatch ?? '');
    const problem = regex === undefined ? undefined : re2Problem(regex);
    if (problem && regex) report([...at, 'type'], `replacing the prefix ${quote(prefix)} with "/" needs the regex ${quote(regex)}, which Envoy would refuse: ${problem}; use a shorter prefix`);
  }
};

/** The CRD's rule: backendRequest covers one call to a backend, so it cannot outlast the whole request (0s = no limit). */
const backendRequestWithinRequest: Rule = (t: HTTPRouteTimeouts, report) => {
  const request = durationMs(t.request);
  const backend = durationMs(t.backendRequest);
  if (request && backend !== undefined && backend > request) {
    report(['backendRequest'], `backendRequest timeout (${t.backendRequest}) cannot be longer than request timeout (${t.request})`);
  }
};

const rule = obj(
  {
    name: sectionName,
    matches: list(match, { max: 64 }),
    filters: filterList,
    backendRefs: list(backendRef, { max: 16 }),
    timeouts: obj({ request: duration, backendRequest: duration }, backendRequestWithinRequest),
    retry: obj({ codes: list(int(400, 599), {}, distinct('status code')), attempts: int(0), backoff: duration }),
    sessionPersistence: unsupported('sessionPersistence is not supported by Portico'),
  },
  answersWithoutBackends,
  prefixReplaceNeedsOnePrefixMatch,
  prefixRewriteRegexFits,
);

const atMost128Matches: Rule = (rules: { matches?: unknown[] }[], report) => {
  const total = rules.reduce((n, r) => n + (r.matches?.length ?? 0), 0);
  if (total > 128) report([], `the rules have ${total} matches in all; at most 128 are allowed`);
};

/** Several refs to one parent must each pick a distinct listener, by sectionName and/or port. */
const distinctParentRefs: Rule = (refs: ParentReference[], report) => {
  const parent = (r: ParentReference) => [r.group ?? GATEWAY_GROUP, r.kind ?? 'Gateway', r.namespace ?? '', r.name].join('/');
  const section = (r: ParentReference) => `${r.sectionName ?? ''}:${r.port ?? ''}`;
  refs.forEach((r, i) => {
    const same = refs.filter((o) => parent(o) === parent(r));
    if (same.length < 2) return;
    if (r.sectionName === undefined && r.port === undefined) {
      report([i], 'sectionName or port must be set when parentRefs has 2 or more references to the same parent');
    } else if (refs.findIndex((o) => parent(o) === parent(r) && section(o) === section(r)) < i) {
      report([i], 'sectionName and port must be unique among references to the same parent');
    }
  });
};

const parentRef = obj({ group, kind: kindName, namespace: namespaceName, name: required(objectName), sectionName, port: portNumber });

/** The fields every route kind shares. */
export const routeParentFields = {
  parentRefs: list(parentRef, { max: 32 }, distinctParentRefs),
  hostnames: list(hostname, { max: 16 }),
};

export const httpRouteSpec = obj({
  ...routeParentFields,
  rules: list(rule, { min: 1, max: 16 }, uniqueBy('name', 'rule name'), atMost128Matches),
});
