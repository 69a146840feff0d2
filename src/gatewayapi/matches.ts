// Route matches → IR route matches. HTTPRoute: path, headers, query parameters, method. GRPCRoute: a gRPC
// call is an HTTP/2 POST to `/<service>/<method>`, so its method match is a path match: service and method
// → that exact path, service alone → every method of the service (a segment prefix), method alone or a
// regular expression → a path regex.
import type { GRPCRouteMatch, HTTPRouteMatch } from '../api/gateway-types.ts';
import { grpcMethodPath } from '../contracts/envoy-regexes.ts';
import type { RouteMatchIr, ValueMatchIr } from '../ir/types.ts';

export function httpMatch(m: HTTPRouteMatch): RouteMatchIr {
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

/** The first of each name (as `key` folds it): later ones with the same name never match anything new. */
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

/** The GRPCRoute precedence keys after the hostname: characters of the service, then of the method. */
export interface GrpcRank {
  service: number;
  method: number;
}

export function grpcRank(m: GRPCRouteMatch): GrpcRank {
  return { service: m.method?.service?.length ?? 0, method: m.method?.method?.length ?? 0 };
}

export function grpcMatch(m: GRPCRouteMatch): RouteMatchIr {
  const headers = firstOfEach(m.headers ?? [], (h) => h.name.toLowerCase());
  return { path: grpcMethodPath(m.method), ...(headers.length && { headers }) };
}
