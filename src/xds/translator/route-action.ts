// IR route actions → Envoy route / redirect / direct_response, with Gateway API path rewrite rules.
import { prefixRewriteRegex } from '../../contracts/envoy-regexes.ts';
import type {
  DirectResponseActionIr,
  ForwardActionIr,
  HeaderModIr,
  PathMatchIr,
  PathRewriteIr,
  RedirectActionIr,
} from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { subsetMatch } from './cluster-options.ts';
import { forwardPolicies } from './forward-policies.ts';

/**
 * The share of traffic meant for invalid backendRefs must get a 500 (Gateway API): it goes to a cluster
 * that does not exist, which Envoy answers with `cluster_not_found_response_code`.
 */
export const INVALID_BACKEND_CLUSTER = 'portico/invalid-backend';

export function buildForward(action: ForwardActionIr, path: PathMatchIr): XdsObject {
  const [only] = action.backends;
  const invalid = action.invalidWeight ? [{ name: INVALID_BACKEND_CLUSTER, weight: { value: action.invalidWeight } }] : [];
  const out: XdsObject =
    action.backends.length === 1 && only && !only.requestHeaders && !only.responseHeaders && !invalid.length
      ? { cluster: only.cluster, ...(only.subset && { metadata_match: subsetMatch(only.subset) }) }
      : {
          weighted_clusters: { clusters: [...action.backends.map(weightedCluster), ...invalid] },
          ...(invalid.length ? { cluster_not_found_response_code: 'INTERNAL_SERVER_ERROR' } : {}),
        };
  if (action.rewrite?.hostname) out.host_rewrite_literal = action.rewrite.hostname;
  else if (action.rewrite?.autoHostname) out.auto_host_rewrite = true;
  if (action.rewrite?.path) Object.assign(out, pathRewrite(action.rewrite.path, path));
  return { ...out, ...forwardPolicies(action) };
}

function weightedCluster(b: ForwardActionIr['backends'][number]): XdsObject {
  return { name: b.cluster, weight: { value: b.weight }, ...(b.subset && { metadata_match: subsetMatch(b.subset) }), ...headerMods(b.requestHeaders, b.responseHeaders) };
}

/** `listenerScheme` is the scheme the request came in on; a redirect without a scheme keeps it. */
export function buildRedirect(action: RedirectActionIr, path: PathMatchIr, listenerScheme: 'http' | 'https'): XdsObject {
  const out: XdsObject = { response_code: REDIRECT_CODES[action.statusCode] };
  if (action.scheme) out.scheme_redirect = action.scheme;
  if (action.hostname) out.host_redirect = action.hostname;
  // Gateway API: no port in Location when it is the scheme's well-known one. Envoy would write `:443`.
  if (action.port && action.port !== WELL_KNOWN_PORTS[action.scheme ?? listenerScheme]) out.port_redirect = action.port;
  if (action.path?.type === 'ReplaceFullPath') out.path_redirect = action.path.value;
  else if (action.path) Object.assign(out, pathRewrite(action.path, path));
  return out;
}

const WELL_KNOWN_PORTS = { http: 80, https: 443 } as const;

const REDIRECT_CODES: Record<RedirectActionIr['statusCode'], string> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

export function buildDirectResponse(action: DirectResponseActionIr): XdsObject {
  return action.body === undefined
    ? { status: action.status }
    : { status: action.status, body: { inline_string: action.body } };
}

/**
 * Gateway API rewrites keep segment boundaries: replacing prefix `/foo` of `/foo/bar` with `/` gives `/bar`,
 * not `//bar`, so those cases need a regex rather than Envoy's plain `prefix_rewrite`.
 * Envoy applies both to the path only; the query string is kept.
 */
export function pathRewrite(rewrite: PathRewriteIr, path: PathMatchIr): XdsObject {
  // Gloo's rewrites are Envoy's own, passed on as they are.
  if (rewrite.type === 'Prefix') return { prefix_rewrite: rewrite.value };
  if (rewrite.type === 'Regex') return { regex_rewrite: { pattern: { regex: rewrite.pattern }, substitution: rewrite.substitution } };
  if (rewrite.type === 'ReplaceFullPath') {
    return { regex_rewrite: { pattern: { regex: '^/.*$' }, substitution: rewrite.value } };
  }
  const prefix = path.type === 'PathPrefix' ? path.value : '/';
  if (prefix === '/') return { prefix_rewrite: rewrite.value.endsWith('/') ? rewrite.value : `${rewrite.value}/` };
  const regex = prefixRewriteRegex(prefix, rewrite.value);
  if (regex) return { regex_rewrite: { pattern: { regex }, substitution: '/' } };
  return { prefix_rewrite: rewrite.value.replace(/\/+$/, '') };
}

/** Gateway API header modifiers → Envoy's header options (set overwrites, add appends). */
export function headerMods(request: HeaderModIr | undefined, response: HeaderModIr | undefined): XdsObject {
  const out: XdsObject = {};
  const req = headerOptions(request);
  const res = headerOptions(response);
  if (req.length) out.request_headers_to_add = req;
  if (request?.remove?.length) out.request_headers_to_remove = request.remove;
  if (res.length) out.response_headers_to_add = res;
  if (response?.remove?.length) out.response_headers_to_remove = response.remove;
  return out;
}

function headerOptions(mod: HeaderModIr | undefined): XdsObject[] {
  if (!mod) return [];
  const option = (action: string) => (h: { name: string; value: string }) => ({
    header: { key: h.name, value: h.value },
    append_action: action,
  });
  return [
    ...(mod.set ?? []).map(option('OVERWRITE_IF_EXISTS_OR_ADD')),
    ...(mod.add ?? []).map(option('APPEND_IF_EXISTS_OR_ADD')),
  ];
}
