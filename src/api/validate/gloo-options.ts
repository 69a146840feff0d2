// Gloo's RouteOption and VirtualHostOption (gateway.solo.io/v1) with Gloo's own field names, so that existing
// Gloo YAML carries over. Options Portico does not implement yet are known fields whose use is reported, never
// silently ignored; any other field is unknown, with a suggestion.
import { originRegex } from '../../contracts/envoy-regexes.ts';
import { controlCharProblem, HTTP_METHODS, headerName, headerValue, kindName, modifiableHeaderName, namespaceName, objectName, sectionName, group as groupName } from './common.ts';
import { envoyFormatProblem } from './envoy-format.ts';
import { PROTO_DURATION_PATTERN, protoDurationMs } from '../duration.ts';
import { extauthOption } from './auth-config.ts';
import { rateLimitOptions } from './ratelimit.ts';
import { re2Problem } from './regex.ts';
import { bool, int, list, num, obj, oneOf, required, str, unsupported, type ObjectSchema, type Rule, type Schema } from './schema.ts';

/** A protobuf JSON duration, as Gloo takes it. */
export const protoDuration = str({ pattern: PROTO_DURATION_PATTERN, patternName: 'duration (seconds with an "s", decimals allowed: 5s, 0.25s)' });

const regex = str({ minLength: 1, check: re2Problem });

/** Envoy's `duration.gt: 0s` fields (a fault's fixed delay). */
const positiveDuration = str({ ...protoDuration, check: (d) => ((protoDurationMs(d) ?? 0) > 0 ? undefined : 'must be greater than 0s') });

/** Envoy's `retry_on` conditions (HTTP and gRPC). */
const RETRY_CONDITIONS = [
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx', 'refused-stream',
  'retriable-status-codes', 'retriable-headers', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
];

const retryOn = str({
  minLength: 1,
  check: (v) => {
    const unknown = v.split(',').map((c) => c.trim()).filter((c) => !RETRY_CONDITIONS.includes(c));
    return unknown.length ? `unknown retry condition(s) ${unknown.map((c) => JSON.stringify(c)).join(', ')}; Envoy knows ${RETRY_CONDITIONS.join(', ')}` : undefined;
  },
});

const retries = obj({
  retryOn,
  numRetries: int(0),
  perTryTimeout: protoDuration,
  retryBackOff: obj({ baseInterval: protoDuration, maxInterval: protoDuration }),
  priorityPredicate: unsupported('retries.priorityPredicate is not supported by Portico yet'),
  retryPolicyIdleTimeout: unsupported('retries.retryPolicyIdleTimeout is not supported by Portico yet'),
});

/** Gloo passes header values to Envoy as format strings (`%REQ(x)%`): no NUL, CR, LF, and only known operators. */
const formattedHeaderValue = str({ maxLength: 16384, check: (v) => controlCharProblem(v) ?? envoyFormatProblem(v) });

const headerValueOption = obj({
  header: required(obj({ key: required(modifiableHeaderName), value: required(formattedHeaderValue) })),
  append: bool,
  headerSecretRef: unsupported('headers from secrets are not supported by Portico yet'),
});

/** Envoy's max_items on request_headers_to_add and response_headers_to_add. */
const HEADERS_TO_ADD_MAX = 1000;

const headerManipulation = obj({
  requestHeadersToAdd: list(headerValueOption, { max: HEADERS_TO_ADD_MAX }),
  requestHeadersToRemove: list(modifiableHeaderName),
  responseHeadersToAdd: list(headerValueOption, { max: HEADERS_TO_ADD_MAX }),
  responseHeadersToRemove: list(modifiableHeaderName),
});

const cors = obj({
  // Each origin becomes an RE2 regex (`*` matching anything): it must fit Envoy's program size too.
  allowOrigin: list(str({ minLength: 1, maxLength: 1024, check: (o) => re2Problem(originRegex(o)) })),
  allowOriginRegex: list(regex),
  allowMethods: list(oneOf(...HTTP_METHODS)),
  allowHeaders: list(headerName),
  exposeHeaders: list(headerName),
  maxAge: str({ pattern: /^[0-9]{1,10}$/, patternName: 'number of seconds' }),
  allowCredentials: bool,
  disableForRoute: bool,
});

const percentage = num(0, 100);

/** Gloo refuses an abort without a status (Envoy would have nothing to answer with). */
const faults = obj({
  abort: obj({ percentage, httpStatus: required(int(200, 599)) }),
  delay: obj({ percentage, fixedDelay: required(positiveDuration) }),
});

const shadowing = obj({
  upstream: required(obj({ name: required(objectName), namespace: namespaceName })),
  percentage,
});

/** Exactly one of header, cookie and sourceIp. */
const oneHashSource: Rule = (h: Record<string, unknown>, report) => {
  const set = ['header', 'cookie', 'sourceIp'].filter((k) => h[k] !== undefined);
  if (set.length !== 1) report(set.length ? [set[1] as string] : [], `exactly one of header, cookie and sourceIp must be set${set.length ? ` (got ${set.join(', ')})` : ''}`);
};

const hashPolicy = obj(
  {
    header: headerName,
    cookie: obj({ name: required(str({ minLength: 1 })), ttl: protoDuration, path: str() }),
    sourceIp: bool,
    terminal: bool,
  },
  oneHashSource,
);

const disabledXorBuffer: Rule = (b: { disabled?: boolean; buffer?: unknown }, report) => {
  if ((b.disabled !== undefined) === (b.buffer !== undefined)) report([], 'exactly one of disabled and buffer must be set');
};

const bufferPerRoute = obj({ disabled: bool, buffer: obj({ maxRequestBytes: required(int(1, 4_294_967_295)) }) }, disabledXorBuffer);

/** Gloo options Portico does not implement yet: reported when set. */
function notYet(names: string[]): Record<string, Schema> {
  return Object.fromEntries(names.map((n) => [n, unsupported(`option ${n} is not supported by Portico yet`)]));
}

const UNSUPPORTED_ROUTE_OPTIONS = [
  'transformations', 'stagedTransformations', 'extensions', 'tracing', 'upgrades', 'envoyMetadata', 'hostRewriteHeader',
  'hostRewritePathRegex', 'appendXForwardedHost', 'maxStreamDuration', 'idleTimeout', 'jwt', 'jwtStaged',
  'jwtProvidersStaged', 'rbac', 'waf', 'dlp', 'ratelimit', 'ratelimitEarly', 'ratelimitRegular', 'rateLimitEarlyConfigs', 'rateLimitRegularConfigs', 'extProc', 'csrf', 'ai', 'headerMatchers',
];

const UNSUPPORTED_VIRTUAL_HOST_OPTIONS = [
  'extensions', 'stats', 'transformations', 'stagedTransformations', 'includeRequestAttemptCount', 'includeAttemptCountInResponse',
  'jwt', 'jwtStaged', 'rbac', 'waf', 'dlp', 'ratelimit', 'ratelimitEarly', 'ratelimitRegular', 'rateLimitEarlyConfigs', 'rateLimitRegularConfigs', 'bufferPerRoute', 'csrf', 'extProc', 'corsPolicyMergeSettings',
];

/** Envoy takes one path rewrite per route. */
const onePathRewrite: Rule = (o: { prefixRewrite?: string; regexRewrite?: unknown }, report) => {
  if (o.prefixRewrite !== undefined && o.regexRewrite !== undefined) report(['regexRewrite'], 'only one of prefixRewrite and regexRewrite may be set');
};

const routeOptions = obj({
  timeout: protoDuration,
  retries,
  // Envoy takes rewrites as header values: no NUL, CR or LF.
  prefixRewrite: headerValue(1024),
  regexRewrite: obj({ pattern: required(obj({ regex: required(regex) })), substitution: required(headerValue(1024)) }),
  hostRewrite: headerValue(253, 1),
  autoHostRewrite: bool,
  headerManipulation,
  cors,
  faults,
  shadowing,
  lbHash: obj({ hashPolicies: required(list(hashPolicy, { min: 1 })) }),
  bufferPerRoute,
  extauth: extauthOption,
  ...rateLimitOptions,
  ...notYet(UNSUPPORTED_ROUTE_OPTIONS),
}, onePathRewrite);

const virtualHostOptions = obj({ headerManipulation, cors, retries, extauth: extauthOption, ...rateLimitOptions, ...notYet(UNSUPPORTED_VIRTUAL_HOST_OPTIONS) });

/** A targetRefs entry names the kind the option attaches to, in the Gateway API group (and the option's own namespace). */
function targetRefs(kind: string): Schema {
  const fitsKind: Rule = (ref: { group: string; kind: string }, report) => {
    if (ref.group !== 'gateway.networking.k8s.io') report(['group'], `must be gateway.networking.k8s.io (got ${JSON.stringify(ref.group)})`);
    else if (ref.kind !== kind) report(['kind'], `must be ${kind} (got ${JSON.stringify(ref.kind)})`);
  };
  const ref = obj({ group: required(groupName), kind: required(kindName), name: required(objectName), sectionName, namespace: namespaceName }, fitsKind);
  return list(ref, { min: 1, max: 16 });
}

/** DirectResponse: Gloo Gateway's CRD limits (a status from 200 to 599, a body of at most 4 KiB). */
/** Envoy's default max_direct_response_body_size_bytes: 4096 bytes, which fewer characters reach in UTF-8. */
const DIRECT_RESPONSE_BODY_BYTES = 4096;

export const directResponseSpec: ObjectSchema = obj({
  status: required(int(200, 599)),
  body: str({
    maxLength: DIRECT_RESPONSE_BODY_BYTES,
    check: (b) => (Buffer.byteLength(b) > DIRECT_RESPONSE_BODY_BYTES ? `must be at most ${DIRECT_RESPONSE_BODY_BYTES} bytes in UTF-8 (got ${Buffer.byteLength(b)})` : undefined),
  }),
});

export const routeOptionSpec: ObjectSchema = obj({
  targetRefs: targetRefs('HTTPRoute'),
  targetRef: unsupported('use targetRefs (a list), as Gloo 1.17 and later do'),
  options: routeOptions,
});

export const virtualHostOptionSpec: ObjectSchema = obj({
  targetRefs: targetRefs('Gateway'),
  targetRef: unsupported('use targetRefs (a list), as Gloo 1.17 and later do'),
  options: virtualHostOptions,
});
