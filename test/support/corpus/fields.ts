// The table of field families, one section per kind: where each type of value goes. A new field of a kind
// gets a row here (its family from values.ts, or a family of its own); the corpus then tries every value of
// the family in it. `build(value, id, port)` returns the case's documents, the resource under test first.
import {
  authConfig,
  directResponse,
  gatewayDoc,
  grpcRoute,
  httpRoute,
  rateLimitConfig,
  routeOption,
  toUpstream,
  upstreamGroup,
  upstreamWithRoute,
  virtualHostOption,
  type Doc,
} from './build.ts';
import * as V from './values.ts';
import type { ValueFamily } from './values.ts';

export interface FieldRow {
  kind: string;
  field: string;
  values: ValueFamily;
  build: (value: any, id: string, port: number) => Doc[];
}

const row = (kind: string, field: string, values: ValueFamily, build: FieldRow['build']): FieldRow => ({ kind, field, values, build });
const family = (valid: unknown[], invalid: unknown[], edge: unknown[] = []): ValueFamily => ({ valid, invalid, edge });

// ── HTTPRoute ───────────────────────────────────────────────────────────────────────────────────────

const headerFilter = (type: 'RequestHeaderModifier' | 'ResponseHeaderModifier', modifier: Doc): Doc => ({
  type,
  [type === 'RequestHeaderModifier' ? 'requestHeaderModifier' : 'responseHeaderModifier']: modifier,
});

const HTTP_ROUTE: FieldRow[] = [
  row('HTTPRoute', 'rules[].matches[].path (RegularExpression)', V.REGEX, (v, id) => [httpRoute(id, { matches: [{ path: { type: 'RegularExpression', value: v } }] })]),
  row('HTTPRoute', 'rules[].matches[].path (PathPrefix)', V.LITERAL_PATH, (v, id) => [httpRoute(id, { matches: [{ path: { type: 'PathPrefix', value: v } }] })]),
  row('HTTPRoute', 'rules[].matches[].path (Exact)', V.LITERAL_PATH, (v, id) => [httpRoute(id, { matches: [{ path: { type: 'Exact', value: v } }] })]),
  row('HTTPRoute', 'rules[].matches[].headers[].name', V.MATCH_HEADER_NAME, (v, id) => [httpRoute(id, { matches: [{ headers: [{ name: v, value: 'x' }] }] })]),
  row('HTTPRoute', 'rules[].matches[].headers[].value (Exact)', V.MATCH_VALUE, (v, id) => [httpRoute(id, { matches: [{ headers: [{ name: 'x-a', value: v }] }] })]),
  row('HTTPRoute', 'rules[].matches[].headers[].value (RegularExpression)', V.REGEX, (v, id) => [httpRoute(id, { matches: [{ headers: [{ type: 'RegularExpression', name: 'x-a', value: v }] }] })]),
  row('HTTPRoute', 'rules[].matches[].queryParams[].value (RegularExpression)', V.REGEX, (v, id) => [httpRoute(id, { matches: [{ queryParams: [{ type: 'RegularExpression', name: 'q', value: v }] }] })]),
  row('HTTPRoute', 'rules[].matches[].queryParams[].name', V.MATCH_HEADER_NAME, (v, id) => [httpRoute(id, { matches: [{ queryParams: [{ name: v, value: 'x' }] }] })]),
  row('HTTPRoute', 'rules[].matches[].method', family(['GET', 'PATCH', 'OPTIONS'], ['get', 'FOO', '']), (v, id) => [httpRoute(id, { matches: [{ method: v }] })]),
  row('HTTPRoute', 'RequestHeaderModifier.set[].name', V.MODIFIED_HEADER_NAME, (v, id) => [httpRoute(id, { filters: [headerFilter('RequestHeaderModifier', { set: [{ name: v, value: 'v' }] })] })]),
  row('HTTPRoute', 'RequestHeaderModifier.add[].value', V.LITERAL_HEADER_VALUE, (v, id) => [httpRoute(id, { filters: [headerFilter('RequestHeaderModifier', { add: [{ name: 'x-a', value: v }] })] })]),
  row('HTTPRoute', 'RequestHeaderModifier.remove[]', V.MODIFIED_HEADER_NAME, (v, id) => [httpRoute(id, { filters: [headerFilter('RequestHeaderModifier', { remove: [v] })] })]),
  row('HTTPRoute', 'ResponseHeaderModifier.add[].name', V.MODIFIED_HEADER_NAME, (v, id) => [httpRoute(id, { filters: [headerFilter('ResponseHeaderModifier', { add: [{ name: v, value: 'v' }] })] })]),
  row('HTTPRoute', 'ResponseHeaderModifier.set[].value', V.LITERAL_HEADER_VALUE, (v, id) => [httpRoute(id, { filters: [headerFilter('ResponseHeaderModifier', { set: [{ name: 'x-a', value: v }] })] })]),
  row('HTTPRoute', 'backendRefs[].filters[] RequestHeaderModifier.set[].value', V.LITERAL_HEADER_VALUE, (v, id) => [
    httpRoute(id, { backendRefs: [{ ...toUpstream(), filters: [headerFilter('RequestHeaderModifier', { set: [{ name: 'x-b', value: v }] })] }] }),
  ]),
  row('HTTPRoute', 'RequestRedirect.hostname', V.HOSTNAME, (v, id) => [httpRoute(id, { backendRefs: undefined, filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: v } }] })]),
  row('HTTPRoute', 'RequestRedirect.path.replaceFullPath', V.WRITTEN_PATH, (v, id) => [
    httpRoute(id, { backendRefs: undefined, filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplaceFullPath', replaceFullPath: v } } }] }),
  ]),
  row('HTTPRoute', 'RequestRedirect.statusCode', family([301, 302, 303, 307, 308], [304, 200, 300, '301']), (v, id) => [
    httpRoute(id, { backendRefs: undefined, filters: [{ type: 'RequestRedirect', requestRedirect: { statusCode: v } }] }),
  ]),
  row('HTTPRoute', 'RequestRedirect.port', V.PORT, (v, id) => [httpRoute(id, { backendRefs: undefined, filters: [{ type: 'RequestRedirect', requestRedirect: { port: v } }] })]),
  row('HTTPRoute', 'RequestRedirect.scheme', family(['http', 'https'], ['ftp', 'HTTP', '']), (v, id) => [
    httpRoute(id, { backendRefs: undefined, filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: v } }] }),
  ]),
  row('HTTPRoute', 'URLRewrite.hostname', V.HOSTNAME, (v, id) => [httpRoute(id, { filters: [{ type: 'URLRewrite', urlRewrite: { hostname: v } }] })]),
  row('HTTPRoute', 'URLRewrite.path.replaceFullPath', V.WRITTEN_PATH, (v, id) => [httpRoute(id, { filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: v } } }] })]),
  row('HTTPRoute', 'URLRewrite.path.replacePrefixMatch', V.WRITTEN_PATH, (v, id) => [
    httpRoute(id, { matches: [{ path: { type: 'PathPrefix', value: '/old' } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: v } } }] }),
  ]),
  // Replacing a prefix with "/" takes a regex of the prefix: a long prefix is too large a program.
  // RE2 matches a literal prefix outside its program, so even a long prefix fits.
  row('HTTPRoute', 'URLRewrite ReplacePrefixMatch "/" × matches[].path (PathPrefix)', family(['/a', '/api/v1', `/${'a'.repeat(120)}`, `/${'a/'.repeat(100)}x`], ['/a b']), (v, id) => [
    httpRoute(id, { matches: [{ path: { type: 'PathPrefix', value: v } }], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }] }),
  ]),
  row('HTTPRoute', 'RequestMirror.percent', family([0, 50, 100], [101, -1, 1.5]), (v, id) => [httpRoute(id, { filters: [{ type: 'RequestMirror', requestMirror: { backendRef: toUpstream(), percent: v } }] })]),
  row('HTTPRoute', 'RequestMirror.fraction', family([{ numerator: 1, denominator: 3 }, { numerator: 0 }, { numerator: 100 }], [{ numerator: 5, denominator: 3 }, { numerator: 1, denominator: 0 }, { numerator: -1 }]), (v, id) => [
    httpRoute(id, { filters: [{ type: 'RequestMirror', requestMirror: { backendRef: toUpstream(), fraction: v } }] }),
  ]),
  row('HTTPRoute', 'CORS.allowOrigins[]', V.GATEWAY_ORIGIN, (v, id) => [httpRoute(id, { filters: [{ type: 'CORS', cors: { allowOrigins: [v] } }] })]),
  row('HTTPRoute', 'CORS.allowHeaders[]', V.MATCH_HEADER_NAME, (v, id) => [httpRoute(id, { filters: [{ type: 'CORS', cors: { allowOrigins: ['*'], allowHeaders: [v] } }] })]),
  row('HTTPRoute', 'CORS.exposeHeaders[]', V.MATCH_HEADER_NAME, (v, id) => [httpRoute(id, { filters: [{ type: 'CORS', cors: { allowOrigins: ['*'], exposeHeaders: [v] } }] })]),
  row('HTTPRoute', 'CORS.allowMethods', family([['GET', 'POST'], ['*']], [['FOO'], ['*', 'GET'], ['GET', 'GET']]), (v, id) => [httpRoute(id, { filters: [{ type: 'CORS', cors: { allowOrigins: ['*'], allowMethods: v } }] })]),
  row('HTTPRoute', 'CORS.maxAge', family([1, 86400, 2147483647], [0, -1, 'x']), (v, id) => [httpRoute(id, { filters: [{ type: 'CORS', cors: { allowOrigins: ['*'], maxAge: v } }] })]),
  row('HTTPRoute', 'rules[].timeouts.request', V.GATEWAY_DURATION, (v, id) => [httpRoute(id, { timeouts: { request: v } })]),
  row('HTTPRoute', 'rules[].timeouts.backendRequest', V.GATEWAY_DURATION, (v, id) => [httpRoute(id, { timeouts: { backendRequest: v } })]),
  row('HTTPRoute', 'rules[].retry', family([{ codes: [500, 503], attempts: 3, backoff: '100ms' }, { attempts: 0 }], [{ codes: [200] }, { attempts: -1 }, { backoff: 'x' }]), (v, id) => [httpRoute(id, { retry: v })]),
  row('HTTPRoute', 'hostnames[]', family(['*.wild.corpus.test', 'other.corpus.test'], ['A.b', '1.2.3.4', 'a..b', '*', 'a\nb']), (v, id) => [httpRoute(id, {}, { hostnames: [v.startsWith('other') ? `${id}-${v}` : v.replace('wild', id)] })]),
  row('HTTPRoute', 'backendRefs[].weight', family([1, 1000000, 0], [-1, 1000001, 1.5]), (v, id) => [httpRoute(id, { backendRefs: [{ ...toUpstream(), weight: v }] })]),
  row('HTTPRoute', 'metadata.name', V.OBJECT_NAME, (v, id) => [{ ...httpRoute(id), metadata: { name: v === 'a' ? id : v, namespace: 'default' } }]),
  row('HTTPRoute', 'metadata.annotations (string cap)', V.STRING_CAP, (v, id) => [{ ...httpRoute(id), metadata: { name: id, namespace: 'default', annotations: { note: v } } }]),
];

// ── GRPCRoute ───────────────────────────────────────────────────────────────────────────────────────

const GRPC_ROUTE: FieldRow[] = [
  row('GRPCRoute', 'matches[].method.service (RegularExpression)', V.EMBEDDED_REGEX, (v, id) => [grpcRoute(id, { matches: [{ method: { type: 'RegularExpression', service: v } }] })]),
  // Service and method each fit, their joined path regex may not.
  row('GRPCRoute', 'matches[].method service × method (RegularExpression)', family([{ service: 'a.*', method: 'Get.*' }, { service: '[a-z]{1,10}', method: '[a-z]{1,10}' }], [{ service: '[a-z]{1,30}', method: '[a-z]{1,30}' }]), (v, id) => [
    grpcRoute(id, { matches: [{ method: { type: 'RegularExpression', ...v } }] }),
  ]),
  // A method without a service is matched by a regex: a long name is too large a program.
  row('GRPCRoute', 'matches[].method (Exact)', family([{ service: 'helloworld.Greeter', method: 'SayHello' }, { service: 'a.B' }, { method: 'M' }, { service: `a.${'B'.repeat(1000)}` }, { service: 's.S', method: 'M'.repeat(1000) }], [{ service: 'a b' }, { method: 'a.b' }, {}, { method: 'M'.repeat(200) }]), (v, id) => [
    grpcRoute(id, { matches: [{ method: { type: 'Exact', ...v } }] }),
  ]),
  row('GRPCRoute', 'matches[].headers[].name', V.MATCH_HEADER_NAME, (v, id) => [grpcRoute(id, { matches: [{ headers: [{ name: v, value: 'x' }] }] })]),
  row('GRPCRoute', 'RequestHeaderModifier.set[].name', V.MODIFIED_HEADER_NAME, (v, id) => [grpcRoute(id, { filters: [headerFilter('RequestHeaderModifier', { set: [{ name: v, value: 'v' }] })] })]),
  row('GRPCRoute', 'ResponseHeaderModifier.add[].value', V.LITERAL_HEADER_VALUE, (v, id) => [grpcRoute(id, { filters: [headerFilter('ResponseHeaderModifier', { add: [{ name: 'x-a', value: v }] })] })]),
];

// ── Gateway ─────────────────────────────────────────────────────────────────────────────────────────

const listener = (port: number, extra: Doc = {}): Doc => ({ name: 'l', protocol: 'HTTP', port, ...extra });
const TLS = { certificateRefs: [{ name: 'wildcard' }] };

const GATEWAY: FieldRow[] = [
  row('Gateway', 'listeners[].hostname', V.HOSTNAME, (v, id, port) => [gatewayDoc(id, [listener(port, { hostname: v })]), httpRoute(id, {}, { hostnames: undefined }, id)]),
  // An HTTPS listener's hostname becomes its filter chain's SNI match.
  row('Gateway', 'listeners[].hostname (HTTPS)', family(['a.example.com', 'b-c.example.com', `${'x'.repeat(63)}.example.com`], ['A.example.com', '1.2.3.4', 'a..example.com', 'a b.example.com']), (v, id, port) => [gatewayDoc(id, [listener(port, { protocol: 'HTTPS', hostname: v, tls: TLS })]), httpRoute(id, {}, { hostnames: undefined }, id)]),
  row('Gateway', 'listeners[].port', family([1, 65535], [0, 65536, '80']), (v, id) => [gatewayDoc(id, [listener(v)])]),
  row('Gateway', 'listeners[] protocol and tls', family([{ protocol: 'HTTPS', tls: TLS, hostname: 'a.example.com' }, { protocol: 'HTTP' }], [{ protocol: 'HTTPS' }, { protocol: 'HTTP', tls: TLS }, { protocol: 'FOO' }, { protocol: 'HTTPS', tls: { mode: 'Passthrough', ...TLS } }]), (v, id, port) => [
    gatewayDoc(id, [listener(port, v)]),
    httpRoute(id, {}, { hostnames: ['a.example.com'] }, id),
  ]),
  row('Gateway', 'listeners[].name', family(['web', 'a.b'], ['Web', '', 'a_b']), (v, id, port) => [gatewayDoc(id, [{ ...listener(port), name: v }])]),
];

// ── Upstream and UpstreamGroup ──────────────────────────────────────────────────────────────────────

const staticHosts = (addr = '127.0.0.1', port = 9000) => ({ static: { hosts: [{ addr, port }] } });

const UPSTREAM: FieldRow[] = [
  row('Upstream', 'metadata.name', V.OBJECT_NAME, (v, id) => {
    const name = v === 'a' ? id : v;
    return [{ ...upstreamWithRoute(id, staticHosts())[0], metadata: { name, namespace: 'default' } }, httpRoute(id, { backendRefs: [toUpstream(name)] })];
  }),
  row('Upstream', 'static.hosts[].addr', V.IP_ADDRESS, (v, id) => upstreamWithRoute(id, staticHosts(v))),
  row('Upstream', 'static.hosts[].port', V.PORT, (v, id) => upstreamWithRoute(id, staticHosts('127.0.0.1', v))),
  row('Upstream', 'loadBalancerConfig', family(
    [{ roundRobin: {} }, { leastRequest: { choiceCount: 2 } }, { random: {} }, { ringHash: { ringHashConfig: { minimumRingSize: 1024, maximumRingSize: 8388608 } } }, { maglev: {} }, { ringHash: {} }],
    [{ leastRequest: { choiceCount: 1 } }, { ringHash: { ringHashConfig: { minimumRingSize: 10, maximumRingSize: 5 } } }, { ringHash: { ringHashConfig: { minimumRingSize: 0 } } }, { roundRobin: {}, random: {} }, { ringHash: { ringHashConfig: { maximumRingSize: 8388609 } } }],
  ), (v, id) => upstreamWithRoute(id, { ...staticHosts(), loadBalancerConfig: v })),
  row('Upstream', 'connectionConfig.connectTimeout', V.PROTO_DURATION, (v, id) => upstreamWithRoute(id, { ...staticHosts(), connectionConfig: { connectTimeout: v } })),
  row('Upstream', 'connectionConfig.maxRequestsPerConnection', family([1, 100, 4294967295], [-1, 4294967296], [0]), (v, id) => upstreamWithRoute(id, { ...staticHosts(), connectionConfig: { maxRequestsPerConnection: v } })),
  row('Upstream', 'circuitBreakers', family([{ maxConnections: 1 }, { maxRequests: 4294967295, maxPendingRequests: 0, maxRetries: 3 }], [{ maxConnections: -1 }, { maxRequests: 4294967296 }]), (v, id) => upstreamWithRoute(id, { ...staticHosts(), circuitBreakers: v })),
  row('Upstream', 'outlierDetection', family(
    [{ consecutive5xx: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 10 }, { enforcingSuccessRate: 100, successRateStdevFactor: 1900 }],
    [{ maxEjectionPercent: 101 }, { interval: '0s' }, { consecutive5xx: -1 }],
    [{ successRateStdevFactor: 0 }],
  ), (v, id) => upstreamWithRoute(id, { ...staticHosts(), outlierDetection: v })),
  row('Upstream', 'healthChecks[]', family(
    [{ timeout: '1s', interval: '5s', unhealthyThreshold: 2, healthyThreshold: 2, httpHealthCheck: { path: '/healthz' } }, { timeout: '1s', interval: '5s', unhealthyThreshold: 0, healthyThreshold: 1, httpHealthCheck: { path: '/h', host: 'a.example.com' }, noTrafficInterval: '10s' }],
    [
      { timeout: '1s', interval: '5s', unhealthyThreshold: 2, healthyThreshold: 2, httpHealthCheck: { path: 'healthz' } },
      { timeout: '1s', interval: '5s', unhealthyThreshold: 2, healthyThreshold: 2, httpHealthCheck: { path: '/a\nb' } },
      { timeout: '1s', interval: '5s', unhealthyThreshold: 2, healthyThreshold: 2, httpHealthCheck: { path: '/h', host: 'a\r\nb' } },
      { timeout: '1s', interval: '5s', httpHealthCheck: { path: '/h' } },
      { timeout: '0s', interval: '5s', unhealthyThreshold: 2, healthyThreshold: 2, httpHealthCheck: { path: '/h' } },
    ],
  ), (v, id) => upstreamWithRoute(id, { ...staticHosts(), healthChecks: [v] })),
  row('Upstream', 'sslConfig', family(
    [{ sni: 'a.example.com' }, { sni: 'a.example.com', alpnProtocols: ['h2', 'http/1.1'] }, {}],
    [{ sni: 'é'.repeat(200) }, { sni: '' }, { alpnProtocols: [] }, { sni: 'x'.repeat(256) }],
  ), (v, id) => upstreamWithRoute(id, { ...staticHosts(), sslConfig: v })),
  row('Upstream', 'consul', family(
    [{ serviceName: 'web' }, { serviceName: 'web', serviceTags: ['a'], dataCenters: ['dc1'] }],
    [{ serviceName: '' }, { serviceName: 'web', dataCenters: ['a b'] }, {}],
  ), (v, id) => upstreamWithRoute(id, { consul: v })),
  row('Upstream', 'useHttp2', family([true, false], ['yes', 1]), (v, id) => upstreamWithRoute(id, { ...staticHosts(), useHttp2: v })),
  row('UpstreamGroup', 'destinations[]', family(
    [[{ destination: { upstream: { name: 'up' } }, weight: 1 }], [{ destination: { upstream: { name: 'up' } }, weight: 3 }, { destination: { upstream: { name: 'up' } }, weight: 0 }]],
    [[{ destination: { upstream: { name: 'up' } }, weight: 0 }], [{ destination: { upstream: { name: 'up' } }, weight: -1 }], [{ destination: { upstream: {} }, weight: 1 }], []],
  ), (v, id) => upstreamGroup(id, { destinations: v })),
];

// ── RouteOption and VirtualHostOption ───────────────────────────────────────────────────────────────

const headerOption = (key: string, value: string) => [{ header: { key, value } }];

const OPTIONS: FieldRow[] = [
  row('RouteOption', 'options.timeout', V.PROTO_DURATION, (v, id) => routeOption(id, { timeout: v })),
  row('RouteOption', 'options.retries', family(
    [{ retryOn: '5xx', numRetries: 3, perTryTimeout: '1s' }, { retryOn: '5xx,reset,retriable-status-codes' }, { retryBackOff: { baseInterval: '0.1s', maxInterval: '1s' } }],
    [{ retryOn: 'foo' }, { numRetries: -1 }, { perTryTimeout: 'x' }],
    [{ retryBackOff: { baseInterval: '0s' } }, { retryBackOff: { maxInterval: '1s' } }, { retryBackOff: { baseInterval: '2s', maxInterval: '1s' } }, { perTryTimeout: '0s' }],
  ), (v, id) => routeOption(id, { retries: v })),
  row('RouteOption', 'options.prefixRewrite', V.WRITTEN_PATH, (v, id) => routeOption(id, { prefixRewrite: v })),
  row('RouteOption', 'options.regexRewrite.pattern.regex', V.REGEX, (v, id) => routeOption(id, { regexRewrite: { pattern: { regex: v }, substitution: '/x' } })),
  row('RouteOption', 'options.regexRewrite.substitution', V.WRITTEN_PATH, (v, id) => routeOption(id, { regexRewrite: { pattern: { regex: '^/a/(.*)$' }, substitution: v } })),
  row('RouteOption', 'options.hostRewrite', family(['a.example.com', 'a:8080'], ['a\nb', ''], ['a b']), (v, id) => routeOption(id, { hostRewrite: v })),
  row('RouteOption', 'options.headerManipulation.requestHeadersToAdd[].header.key', V.MODIFIED_HEADER_NAME, (v, id) => routeOption(id, { headerManipulation: { requestHeadersToAdd: headerOption(v, 'v') } })),
  row('RouteOption', 'options.headerManipulation.requestHeadersToAdd[].header.value', V.FORMAT_HEADER_VALUE, (v, id) => routeOption(id, { headerManipulation: { requestHeadersToAdd: headerOption('x-a', v) } })),
  row('RouteOption', 'options.headerManipulation.responseHeadersToAdd[].header.value', V.FORMAT_HEADER_VALUE, (v, id) => routeOption(id, { headerManipulation: { responseHeadersToAdd: headerOption('x-a', v) } })),
  // Envoy takes at most 1000 headers to add.
  row('RouteOption', 'options.headerManipulation.requestHeadersToAdd (count)', family([1, 1000], [1001]), (v, id) => routeOption(id, {
    headerManipulation: { requestHeadersToAdd: Array.from({ length: v }, (_, i) => ({ header: { key: `x-h${i}`, value: 'v' } })) },
  })),
  row('RouteOption', 'options.headerManipulation.requestHeadersToRemove[]', V.MODIFIED_HEADER_NAME, (v, id) => routeOption(id, { headerManipulation: { requestHeadersToRemove: [v] } })),
  row('RouteOption', 'options.headerManipulation.responseHeadersToRemove[]', V.MODIFIED_HEADER_NAME, (v, id) => routeOption(id, { headerManipulation: { responseHeadersToRemove: [v] } })),
  row('RouteOption', 'options.cors.allowOrigin[]', V.GLOO_ORIGIN, (v, id) => routeOption(id, { cors: { allowOrigin: [v] } })),
  row('RouteOption', 'options.cors.allowOriginRegex[]', V.REGEX, (v, id) => routeOption(id, { cors: { allowOriginRegex: [v] } })),
  row('RouteOption', 'options.cors.allowHeaders[]', V.MATCH_HEADER_NAME, (v, id) => routeOption(id, { cors: { allowOrigin: ['*'], allowHeaders: [v] } })),
  row('RouteOption', 'options.cors.maxAge', family(['10', '0', '86400'], ['x', '-1', '1.5']), (v, id) => routeOption(id, { cors: { allowOrigin: ['*'], maxAge: v } })),
  row('RouteOption', 'options.faults', family(
    [{ abort: { percentage: 50, httpStatus: 503 } }, { abort: { percentage: 0.5, httpStatus: 500 } }, { delay: { percentage: 100, fixedDelay: '1s' } }],
    [{ abort: { percentage: 50, httpStatus: 600 } }, { abort: { percentage: 50, httpStatus: 100 } }, { abort: { percentage: 101, httpStatus: 500 } }, { delay: { percentage: 10 } }],
    [{ delay: { fixedDelay: '0s' } }, { abort: { httpStatus: 200 } }],
  ), (v, id) => routeOption(id, { faults: v })),
  row('RouteOption', 'options.shadowing', family([{ upstream: { name: 'up' }, percentage: 10 }, { upstream: { name: 'up' } }], [{ upstream: { name: 'up' }, percentage: 101 }, { percentage: 10 }]), (v, id) => routeOption(id, { shadowing: v })),
  row('RouteOption', 'options.lbHash.hashPolicies[]', family(
    [{ header: 'x-user' }, { cookie: { name: 'c', ttl: '10s', path: '/' } }, { sourceIp: true, terminal: true }],
    [{ header: 'a b' }, {}, { cookie: { name: '' } }, { header: 'x', sourceIp: true }],
    [{ cookie: { name: 'c', path: 'a\nb' } }, { cookie: { name: 'a b' } }],
  ), (v, id) => routeOption(id, { lbHash: { hashPolicies: [v] } })),
  row('RouteOption', 'options.bufferPerRoute', family([{ buffer: { maxRequestBytes: 1024 } }, { disabled: true }], [{ buffer: { maxRequestBytes: 0 } }, {}, { disabled: true, buffer: { maxRequestBytes: 1 } }]), (v, id) => routeOption(id, { bufferPerRoute: v })),
  row('RouteOption', 'options.ratelimitBasic', family([{ anonymousLimits: { requestsPerUnit: 10, unit: 'MINUTE' } }, { authorizedLimits: { requestsPerUnit: 0, unit: 'SECOND' } }], [{ anonymousLimits: { requestsPerUnit: 10, unit: 'WEEK' } }, {}]), (v, id) => routeOption(id, { ratelimitBasic: v })),
  row('VirtualHostOption', 'options.headerManipulation.responseHeadersToAdd[].header.value', V.FORMAT_HEADER_VALUE, (v, id, port) => virtualHostOption(id, { headerManipulation: { responseHeadersToAdd: headerOption('x-a', v) } }, port)),
  row('VirtualHostOption', 'options.headerManipulation.requestHeadersToAdd[].header.key', V.MODIFIED_HEADER_NAME, (v, id, port) => virtualHostOption(id, { headerManipulation: { requestHeadersToAdd: headerOption(v, 'v') } }, port)),
  row('VirtualHostOption', 'options.cors.allowOriginRegex[]', V.REGEX, (v, id, port) => virtualHostOption(id, { cors: { allowOriginRegex: [v] } }, port)),
  row('VirtualHostOption', 'options.cors.allowOrigin[]', V.GLOO_ORIGIN, (v, id, port) => virtualHostOption(id, { cors: { allowOrigin: [v] } }, port)),
  row('VirtualHostOption', 'options.cors.exposeHeaders[]', V.MATCH_HEADER_NAME, (v, id, port) => virtualHostOption(id, { cors: { allowOrigin: ['*'], exposeHeaders: [v] } }, port)),
  row('VirtualHostOption', 'options.headerManipulation.responseHeadersToRemove[]', V.MODIFIED_HEADER_NAME, (v, id, port) => virtualHostOption(id, { headerManipulation: { responseHeadersToRemove: [v] } }, port)),
  row('VirtualHostOption', 'options.retries.perTryTimeout', V.PROTO_DURATION, (v, id, port) => virtualHostOption(id, { retries: { perTryTimeout: v } }, port)),
  row('VirtualHostOption', 'options.retries.retryOn', family(['5xx', 'gateway-error,reset'], ['nope', '']), (v, id, port) => virtualHostOption(id, { retries: { retryOn: v } }, port)),
];

// ── DirectResponse, AuthConfig, RateLimitConfig ─────────────────────────────────────────────────────

const OTHERS: FieldRow[] = [
  row('DirectResponse', 'status', family([200, 404, 599], [199, 600, '200']), (v, id) => directResponse(id, { status: v })),
  // Envoy caps a direct response body at 4096 bytes: 2048 two-byte characters fit, 2049 do not.
  row('DirectResponse', 'body', family(['ok', 'é'.repeat(2048), 'x'.repeat(4096), ''], ['é'.repeat(2049), 'x'.repeat(4097)]), (v, id) => directResponse(id, { status: 200, body: v })),
  row('AuthConfig', 'configs[].jwt.providers.*.jwks.local.key', V.JWKS, (v, id) => authConfig(id, { configs: [{ jwt: { providers: { p: { issuer: 'i', jwks: { local: { key: v } } } } } }] })),
  row('AuthConfig', 'configs[].basicAuth.realm', family(['gloo', 'my realm'], ['a"b', 'a\nb', 'x'.repeat(257)]), (v, id) => authConfig(id, { configs: [{ basicAuth: { realm: v, apr: { users: { u: { salt: 'n28wuo5p', hashedPassword: 'NLFTUNkXaht0g/2GJjUM51' } } } } }] })),
  row('AuthConfig', 'configs[].apiKeyAuth.headerName', V.MATCH_HEADER_NAME, (v, id) => authConfig(id, { configs: [{ apiKeyAuth: { headerName: v, labelSelector: { team: 'a' } } }] })),
  row('AuthConfig', 'configs[].passThroughAuth.http.url', family(['http://127.0.0.1:9000/check', 'https://auth.example.com/'], ['ftp://a', 'not a url', '']), (v, id) => authConfig(id, { configs: [{ passThroughAuth: { http: { url: v } } }] })),
  row('RateLimitConfig', 'raw.rateLimits[].actions[].requestHeaders.headerName', V.MATCH_HEADER_NAME, (v, id) => rateLimitConfig(id, {
    raw: { descriptors: [{ key: 'k', rateLimit: { requestsPerUnit: 1, unit: 'MINUTE' } }], rateLimits: [{ actions: [{ requestHeaders: { headerName: v, descriptorKey: 'k' } }] }] },
  })),
  row('RateLimitConfig', 'raw.rateLimits[].actions[].headerValueMatch.headers[].regexMatch', V.REGEX, (v, id) => rateLimitConfig(id, {
    raw: { descriptors: [{ key: 'header_match', value: 'm', rateLimit: { requestsPerUnit: 1, unit: 'MINUTE' } }], rateLimits: [{ actions: [{ headerValueMatch: { descriptorValue: 'm', headers: [{ name: 'x-a', regexMatch: v }] } }] }] },
  })),
  row('RateLimitConfig', 'raw.rateLimits[].actions[].headerValueMatch.headers[].rangeMatch', family([{ start: 1, end: 10 }], [{ start: 1 }], [{ start: 10, end: 5 }, { start: 5, end: 5 }]), (v, id) => rateLimitConfig(id, {
    raw: { descriptors: [{ key: 'header_match', value: 'm', rateLimit: { requestsPerUnit: 1, unit: 'MINUTE' } }], rateLimits: [{ actions: [{ headerValueMatch: { descriptorValue: 'm', headers: [{ name: 'x-a', rangeMatch: v }] } }] }] },
  })),
  row('RateLimitConfig', 'raw.rateLimits[].actions[].genericKey.descriptorValue', family(['a', 'x'.repeat(100)], ['', 5]), (v, id) => rateLimitConfig(id, {
    raw: { descriptors: [{ key: 'generic_key', value: 'a', rateLimit: { requestsPerUnit: 1, unit: 'MINUTE' } }], rateLimits: [{ actions: [{ genericKey: { descriptorValue: v } }] }] },
  })),
];

export const FIELD_ROWS: readonly FieldRow[] = [...HTTP_ROUTE, ...GRPC_ROUTE, ...GATEWAY, ...UPSTREAM, ...OPTIONS, ...OTHERS];

