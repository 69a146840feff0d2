// The RE2 regexes Portico derives from what users write (a CORS origin, a gRPC method, a prefix replaced by
// "/"). The translators send them to Envoy and the validator measures them (api/validate, RE2 program size), so
// both use these functions: what is checked is exactly what Envoy gets.

/** Escapes a literal for Envoy's RE2 regexes. */
export function escapeRegex(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

/**
 * Gateway API origins: `*` is any origin; in a host, `*` matches any run of characters (labels included)
 * to its left. Without a port, the scheme's default port may be written or not.
 */
export function originRegex(origin: string): string {
  if (origin === '*') return '.*';
  const scheme = origin.slice(0, origin.indexOf(':'));
  const hasPort = /:[0-9]+$/.test(origin);
  const optionalPort = hasPort || !DEFAULT_PORT[scheme] ? '' : `(:${DEFAULT_PORT[scheme]})?`;
  return `^${escapeRegex(origin).replaceAll('\\*', '.*')}${optionalPort}$`;
}

/**
 * The regex a ReplacePrefixMatch needs, when a prefix_rewrite cannot keep segment boundaries: replacing a longer
 * prefix with "/" (the prefix and the slashes after it go; prefix_rewrite would leave "//"). Otherwise none.
 */
export function prefixRewriteRegex(prefix: string, replacement: string): string | undefined {
  return prefix !== '/' && replacement === '/' ? `^${escapeRegex(prefix)}/*` : undefined;
}

const ANY_SEGMENT = '[^/]+';

/** A GRPCRoute method match (the API's shape, written out: contracts import nothing above lib). */
export interface GrpcMethodMatch {
  type?: 'Exact' | 'RegularExpression';
  service?: string;
  method?: string;
}

export type GrpcMethodPath = { type: 'PathPrefix' | 'Exact' | 'RegularExpression'; value: string };

/** The request path a gRPC method match becomes (`/<service>/<method>`). */
export function grpcMethodPath(method: GrpcMethodMatch | undefined): GrpcMethodPath {
  if (!method) return { type: 'PathPrefix', value: '/' };
  const { service, method: name } = method;
  // Grouped, so that an alternation in either part stays within its own segment.
  if (method.type === 'RegularExpression') return { type: 'RegularExpression', value: `/(?:${service ?? ANY_SEGMENT})/(?:${name ?? ANY_SEGMENT})` };
  if (service !== undefined && name !== undefined) return { type: 'Exact', value: `/${service}/${name}` };
  if (service !== undefined) return { type: 'PathPrefix', value: `/${service}` };
  // A method name is letters, digits and `_` (the CRD's pattern), but a regex must not trust that.
  return { type: 'RegularExpression', value: `/${ANY_SEGMENT}/${escapeRegex(name ?? '')}` };
}
