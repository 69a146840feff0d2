// Gloo option values → IR pieces, with Gloo's defaults. Shared by RouteOption and VirtualHostOption.
// Durations and percentages were validated by the parser.
import { protoDurationMs } from '../api/duration.ts';
import type { GlooCorsPolicy, GlooHashPolicy, GlooHeaderManipulation, GlooHeaderValueOption, GlooRetryPolicy, RouteOptions } from '../api/gloo-types.ts';
import type { BufferIr, CorsIr, FaultsIr, ForwardActionIr, HashPolicyIr, HeaderModIr, RetryIr, RouteIr } from '../ir/types.ts';
import type { Setting } from './policies.ts';

/** The request and response halves of headerManipulation are separate settings: each may come from another option. */
export const REQUEST_HEADERS: Setting = {
  name: 'headerManipulation (request)',
  fields: ['headerManipulation.requestHeadersToAdd', 'headerManipulation.requestHeadersToRemove'],
};
export const RESPONSE_HEADERS: Setting = {
  name: 'headerManipulation (response)',
  fields: ['headerManipulation.responseHeadersToAdd', 'headerManipulation.responseHeadersToRemove'],
};

/** The request half from one option's headerManipulation, the response half from another's (or the same). */
export function headerPoliciesOf(request?: GlooHeaderManipulation, response?: GlooHeaderManipulation): Pick<RouteIr, 'requestHeaders' | 'responseHeaders'> {
  const requestHeaders = request && headerModOf(request.requestHeadersToAdd, request.requestHeadersToRemove);
  const responseHeaders = response && headerModOf(response.responseHeadersToAdd, response.responseHeadersToRemove);
  return { ...(requestHeaders && { requestHeaders }), ...(responseHeaders && { responseHeaders }) };
}

/** `append: false` replaces the header's values; absent or true adds one (Envoy's default, which Gloo keeps). */
function headerModOf(toAdd: GlooHeaderValueOption[] = [], toRemove: string[] = []): HeaderModIr | undefined {
  const pair = (o: GlooHeaderValueOption) => ({ name: o.header.key, value: o.header.value });
  const set = toAdd.filter((o) => o.append === false).map(pair);
  const add = toAdd.filter((o) => o.append !== false).map(pair);
  if (!set.length && !add.length && !toRemove.length) return undefined;
  return { ...(set.length && { set }), ...(add.length && { add }), ...(toRemove.length && { remove: [...toRemove] }) };
}

/** Gloo's exact origins read as Gateway API origins (`*` alone allows any); no maxAge: no max-age header. */
export function corsOf(c: GlooCorsPolicy): CorsIr | undefined {
  const origins = c.allowOrigin ?? [];
  const regexes = c.allowOriginRegex ?? [];
  if (!origins.length && !regexes.length) return undefined; // only disableForRoute, or a policy allowing nobody
  return {
    allowOrigins: [...origins],
    ...(regexes.length && { allowOriginRegexes: [...regexes] }),
    allowMethods: c.allowMethods ?? [],
    allowHeaders: c.allowHeaders ?? [],
    exposeHeaders: c.exposeHeaders ?? [],
    ...(c.maxAge !== undefined && { maxAgeSeconds: Number(c.maxAge) }),
    allowCredentials: c.allowCredentials ?? false,
  };
}

/** Without retryOn, the conditions HTTPRoute retries use (connection failures, refused streams). */
export function retryOf(r: GlooRetryPolicy): RetryIr {
  const backoffMs = protoDurationMs(r.retryBackOff?.baseInterval);
  const maxBackoffMs = protoDurationMs(r.retryBackOff?.maxInterval);
  const perTryTimeoutMs = protoDurationMs(r.perTryTimeout);
  return {
    codes: [],
    ...(r.numRetries !== undefined && { attempts: r.numRetries }),
    ...(backoffMs !== undefined && { backoffMs }),
    ...(maxBackoffMs !== undefined && { maxBackoffMs }),
    ...(r.retryOn !== undefined && { retryOn: r.retryOn.split(',').map((c) => c.trim()).join(',') }),
    ...(perTryTimeoutMs !== undefined && { perTryTimeoutMs }),
  };
}

/** Gloo's percentages default to 0: a fault without one is configured but never injected. */
export function faultsOf(f: NonNullable<RouteOptions['faults']>): FaultsIr {
  return {
    ...(f.abort && { abort: { percent: f.abort.percentage ?? 0, status: f.abort.httpStatus } }),
    ...(f.delay && { delay: { percent: f.delay.percentage ?? 0, delayMs: protoDurationMs(f.delay.fixedDelay) ?? 0 } }),
  };
}

export function bufferOf(b: NonNullable<RouteOptions['bufferPerRoute']>): BufferIr {
  return b.buffer ? { maxRequestBytes: b.buffer.maxRequestBytes } : { disabled: true };
}

export function hashPolicyOf(h: GlooHashPolicy): HashPolicyIr {
  const terminal = h.terminal ? { terminal: true as const } : {};
  if (h.header !== undefined) return { header: h.header, ...terminal };
  if (h.cookie) {
    const ttlMs = protoDurationMs(h.cookie.ttl);
    return { cookie: { name: h.cookie.name, ...(ttlMs !== undefined && { ttlMs }), ...(h.cookie.path !== undefined && { path: h.cookie.path }) }, ...terminal };
  }
  return { sourceIp: true, ...terminal };
}

/** Envoy's own rewrites, as Gloo passes them on (not the Gateway API's segment-aware prefix replacement). */
export function rewriteOf(path: RouteOptions | undefined, host: RouteOptions | undefined): ForwardActionIr['rewrite'] | undefined {
  const out: NonNullable<ForwardActionIr['rewrite']> = {};
  if (path?.prefixRewrite !== undefined) out.path = { type: 'Prefix', value: path.prefixRewrite };
  else if (path?.regexRewrite) out.path = { type: 'Regex', pattern: path.regexRewrite.pattern.regex, substitution: path.regexRewrite.substitution };
  if (host?.hostRewrite !== undefined) out.hostname = host.hostRewrite;
  else if (host?.autoHostRewrite) out.autoHostname = true;
  return Object.keys(out).length ? out : undefined;
}
