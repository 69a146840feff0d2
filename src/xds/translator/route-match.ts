// IR route matches → Envoy RouteMatch. Gateway API PathPrefix matches whole path segments,
// which is Envoy's `path_separated_prefix` (except `/`, which is a plain prefix).
import type { PathMatchIr, RouteMatchIr, ValueMatchIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';

export function buildRouteMatch(match: RouteMatchIr): XdsObject {
  const out: XdsObject = { ...pathMatch(match.path) };
  const headers = (match.headers ?? []).map((h) => ({ name: h.name, string_match: stringMatch(h) }));
  if (match.method) headers.push({ name: ':method', string_match: { exact: match.method } });
  if (headers.length) out.headers = headers;
  if (match.queryParams?.length) {
    out.query_parameters = match.queryParams.map((q) => ({ name: q.name, string_match: stringMatch(q) }));
  }
  return out;
}

function pathMatch(path: PathMatchIr): XdsObject {
  switch (path.type) {
    case 'Exact':
      return { path: path.value };
    case 'RegularExpression':
      return { safe_regex: { regex: path.value } };
    case 'PathPrefix':
      return path.value === '/' ? { prefix: '/' } : { path_separated_prefix: path.value };
  }
}

function stringMatch(m: ValueMatchIr): XdsObject {
  return m.type === 'Exact' ? { exact: m.value } : { safe_regex: { regex: m.value } };
}
