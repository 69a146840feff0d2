// HTTPRoute filters → IR: header modifiers, redirects, URL rewrites, mirrors, CORS, and ExtensionRefs to
// RouteOptions (applied by route-options.ts) and DirectResponses. A filter Portico does
// not implement is never skipped silently: it is reported, and the requests it would have processed get an
// error (500), as the Gateway API asks for filters that cannot be applied.
import { HTTP_METHODS } from '../api/validate/common.ts';
import type { HeaderModifier, HTTPCORSFilter, HTTPPathModifier, HTTPRequestMirrorFilter, HTTPRouteFilter, LocalObjectReference } from '../api/gateway-types.ts';
import { GLOO_GATEWAY_GROUP } from '../api/resource.ts';
import type { CorsIr, ForwardActionIr, HeaderModIr, PathRewriteIr, RedirectActionIr } from '../ir/types.ts';

type Redirect = NonNullable<HTTPRouteFilter['requestRedirect']>;

export interface Filters {
  requestHeaders?: HeaderModIr;
  responseHeaders?: HeaderModIr;
  redirect?: Redirect;
  rewrite?: ForwardActionIr['rewrite'];
  /** RequestMirror filters with the field path of their backendRef, which is resolved like the rule's backends. */
  mirrors: { field: string; mirror: HTTPRequestMirrorFilter }[];
  cors?: CorsIr;
  /** ExtensionRef filters naming a RouteOption, by field path. */
  optionRefs: { field: string; name: string }[];
  /** An ExtensionRef filter naming a DirectResponse: the rule answers with it instead of forwarding. */
  directResponse?: { field: string; name: string };
  /** Filters that cannot be applied here, by field path. */
  unsupported: { field: string; type: string }[];
}

/** What a filter list on a rule may contain; on a backendRef only the header modifiers are implemented. */
export const RULE_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'RequestMirror', 'CORS', 'ExtensionRef'];
export const BACKEND_FILTERS = ['RequestHeaderModifier', 'ResponseHeaderModifier'];

export function readFilters(filters: HTTPRouteFilter[] | undefined, field: string, implemented: readonly string[]): Filters {
  const out: Filters = { mirrors: [], optionRefs: [], unsupported: [] };
  (filters ?? []).forEach((f, i) => {
    const extension = f.extensionRef && extensionKind(f.extensionRef);
    if (!implemented.includes(f.type) || extension === null) out.unsupported.push({ field: `${field}[${i}]`, type: f.type });
    else if (f.extensionRef && extension === 'DirectResponse') out.directResponse = { field: `${field}[${i}].extensionRef`, name: f.extensionRef.name };
    else if (f.extensionRef) out.optionRefs.push({ field: `${field}[${i}].extensionRef`, name: f.extensionRef.name });
    else if (f.requestHeaderModifier) out.requestHeaders = headerMod(f.requestHeaderModifier);
    else if (f.responseHeaderModifier) out.responseHeaders = headerMod(f.responseHeaderModifier);
    else if (f.requestRedirect) out.redirect = f.requestRedirect;
    else if (f.urlRewrite) out.rewrite = rewrite(f.urlRewrite);
    else if (f.requestMirror) out.mirrors.push({ field: `${field}[${i}].requestMirror.backendRef`, mirror: f.requestMirror });
    else if (f.cors) out.cors = corsPolicy(f.cors);
  });
  return out;
}

/** The extension kinds Portico serves (Gloo's), or null for any other. */
function extensionKind(ref: LocalObjectReference): 'RouteOption' | 'DirectResponse' | null {
  if (ref.group !== GLOO_GATEWAY_GROUP) return null;
  return ref.kind === 'RouteOption' || ref.kind === 'DirectResponse' ? ref.kind : null;
}

/** The API server's defaults (maxAge 5s), and no `*` for methods when credentials are allowed (the spec forbids it there). */
function corsPolicy(c: HTTPCORSFilter): CorsIr {
  const allowCredentials = c.allowCredentials ?? false;
  const methods = c.allowMethods ?? [];
  return {
    allowOrigins: c.allowOrigins ?? [],
    allowMethods: allowCredentials && methods.includes('*') ? HTTP_METHODS : methods,
    allowHeaders: c.allowHeaders ?? [],
    exposeHeaders: c.exposeHeaders ?? [],
    maxAgeSeconds: c.maxAge ?? 5,
    allowCredentials,
  };
}

/** Gateway API header values are literal; Envoy reads `%` as the start of an operator, so it is doubled. */
function headerMod(m: HeaderModifier): HeaderModIr {
  const literal = ({ name, value }: { name: string; value: string }) => ({ name, value: value.replaceAll('%', '%%') });
  return {
    ...(m.set?.length && { set: m.set.map(literal) }),
    ...(m.add?.length && { add: m.add.map(literal) }),
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
