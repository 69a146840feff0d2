// GRPCRoute (gateway.networking.k8s.io/v1): fields, limits and the CEL rules of the CRD. Parents, hostnames,
// header matches, filters and backendRefs are the HTTPRoute's; the match is on the gRPC service and method.
import { backendObjectReference, sectionName } from './common.ts';
import { filterList } from './filters.ts';
import { routeParentFields, valueMatch } from './httproute.ts';
import type { GRPCRouteMatch } from '../gateway-types.ts';
import { grpcMethodPath } from '../../contracts/envoy-regexes.ts';
import { re2Problem } from './regex.ts';
import { int, list, obj, oneOf, quote, str, uniqueBy, unsupported, type ArraySchema, type Rule } from './schema.ts';

/** The filter types the GRPCRoute API defines; the HTTP-only ones (redirect, rewrite) are invalid here. */
const GRPC_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'];

const onlyGrpcFilters: Rule = (filters: { type: string }[], report) => {
  filters.forEach((f, i) => {
    if (!GRPC_FILTERS.includes(f.type)) report([i, 'type'], `${f.type} is not a GRPCRoute filter (use one of ${GRPC_FILTERS.join(', ')})`);
  });
};

const grpcFilterList: ArraySchema = { ...filterList, rules: [...(filterList.rules ?? []), onlyGrpcFilters] };

// The CRD's patterns for an Exact match: a fully-qualified service name and a method name.
const SERVICE = /^(?:\.?[a-zA-Z_][a-zA-Z_0-9]*)(?:\.[a-zA-Z_][a-zA-Z_0-9]*)*$/;
const METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

/** One of service and method is required; Exact values follow the protobuf naming rules, regexes must compile. */
const methodFitsType: Rule = (m: { type?: string; service?: string; method?: string }, report) => {
  if (m.service === undefined && m.method === undefined) report([], 'one or both of service and method must be set');
  const regex = m.type === 'RegularExpression';
  for (const [field, pattern, what] of [
    ['service', SERVICE, 'a fully-qualified service name (e.g. helloworld.Greeter)'],
    ['method', METHOD, 'a method name (letters, digits and _)'],
  ] as const) {
    const value = m[field];
    if (value === undefined) continue;
    const problem = regex ? re2Problem(value) : pattern.test(value) ? undefined : `${JSON.stringify(value)} is not ${what}`;
    if (problem) report([field], problem);
  }
};

/**
 * Service and method regexes become one path regex, and so does an exact method without a service
 * (contracts/envoy-regexes.ts): it too must fit Envoy's program size.
 */
const pathRegexFits: Rule = (m: GRPCRouteMatch, report) => {
  const path = grpcMethodPath(m.method);
  if (path?.type !== 'RegularExpression') return;
  const problem = re2Problem(path.value);
  if (problem) report(['method'], `this match becomes the path regex ${quote(path.value)}, which Envoy would refuse: ${problem}`);
};

const match = obj({
  method: obj({ type: oneOf('Exact', 'RegularExpression'), service: str({ maxLength: 1024 }), method: str({ maxLength: 1024 }) }, methodFitsType),
  headers: list(valueMatch(4096), { max: 16 }, uniqueBy('name', 'header name')),
}, pathRegexFits);

const rule = obj({
  name: sectionName,
  matches: list(match, { max: 8 }),
  filters: grpcFilterList,
  backendRefs: list(backendObjectReference({ weight: int(0, 1_000_000), filters: grpcFilterList }), { max: 16 }),
  sessionPersistence: unsupported('sessionPersistence is not supported by Portico'),
});

export const grpcRouteSpec = obj({
  ...routeParentFields,
  rules: list(rule, { max: 16 }, uniqueBy('name', 'rule name')),
});
