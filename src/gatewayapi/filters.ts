// HTTPRoute filters → IR: header modifiers, redirects and URL rewrites. A filter Portico does not implement
// is never skipped silently: it is reported, and the requests it would have processed get an error (500),
// as the Gateway API asks for filters that cannot be applied.
import type { HeaderModifier, HTTPPathModifier, HTTPRouteFilter } from '../api/gateway-types.ts';
import type { ForwardActionIr, HeaderModIr, PathRewriteIr, RedirectActionIr } from '../ir/types.ts';

type Redirect = NonNullable<HTTPRouteFilter['requestRedirect']>;

export interface Filters {
  requestHeaders?: HeaderModIr;
  responseHeaders?: HeaderModIr;
  redirect?: Redirect;
  rewrite?: ForwardActionIr['rewrite'];
  /** Filters that cannot be applied here, by field path. */
  unsupported: { field: string; type: string }[];
}

/** What a filter list on a rule may contain; on a backendRef only the header modifiers are implemented. */
export const RULE_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite'];
export const BACKEND_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier'];

export function readFilters(filters: HTTPRouteFilter[] | undefined, field: string, implemented: readonly string[]): Filters {
  const out: Filters = { unsupported: [] };
  (filters ?? []).forEach((f, i) => {
    if (!implemented.includes(f.type)) out.unsupported.push({ field: `${field}[${i}]`, type: f.type });
    else if (f.requestHeaderModifier) out.requestHeaders = headerMod(f.requestHeaderModifier);
    else if (f.responseHeaderModifier) out.responseHeaders = headerMod(f.responseHeaderModifier);
    else if (f.requestRedirect) out.redirect = f.requestRedirect;
    else if (f.urlRewrite) out.rewrite = rewrite(f.urlRewrite);
  });
  return out;
}

function headerMod(m: HeaderModifier): HeaderModIr {
  return {
    ...(m.set?.length && { set: m.set.map(({ name, value }) => ({ name, value })) }),
    ...(m.add?.length && { add: m.add.map(({ name, value }) => ({ name, value })) }),
    ...(m.remove?.length && { remove: [...m.remove] }),
  };
}

function rewrite(r: NonNullable<HTTPRouteFilter['urlRewrite']>): ForwardActionIr['rewrite'] {
  return { ...(r.hostname && { hostname: r.hostname }), ...(r.path && { path: pathRewrite(r.path) }) };
}

function pathRewrite(m: HTTPPathModifier): PathRewriteIr {
  return m.type === 'ReplaceFullPath' ? { type: m.type, value: m.replaceFullPath ?? '/' } : { type: m.type, value: m.replacePrefixMatch ?? '' };
}

const WELL_KNOWN_PORT = { http: 80, https: 443 };

/**
 * A redirect on a listener. Without a port, the Location's port follows the spec: the well-known port of a
 * redirect scheme when one is set, else the listener's own port.
 */
export function redirectAction(r: Redirect, listenerPort: number): RedirectActionIr {
  return {
    type: 'redirect',
    ...(r.scheme && { scheme: r.scheme }),
    ...(r.hostname && { hostname: r.hostname }),
    port: r.port ?? (r.scheme ? WELL_KNOWN_PORT[r.scheme] : listenerPort),
    ...(r.path && { path: pathRewrite(r.path) }),
    statusCode: (r.statusCode ?? 302) as RedirectActionIr['statusCode'],
  };
}
