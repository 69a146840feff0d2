// Validation of Gloo's RouteOption and VirtualHostOption: Gloo's field names, typos suggested, options Portico
// lacks reported by name, and every problem at its line and field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSource } from '../lib/errors.ts';
import { parseDocuments } from './parse.ts';

/** `line field: message` for each problem of one document, in line order. */
function problems(kind: 'RouteOption' | 'VirtualHostOption', spec: string): string[] {
  const text = `apiVersion: gateway.solo.io/v1\nkind: ${kind}\nmetadata: { name: opt }\nspec:\n${spec}`;
  const found = parseDocuments(text, { file: 'o.yaml' }).rejected.flatMap((r) => r.problems);
  return found.sort((a, b) => (a.source?.line ?? 0) - (b.source?.line ?? 0)).map((p) => `${formatSource(p.source).replace('o.yaml:', '')} ${p.field}: ${p.message}`);
}

test('a RouteOption with every supported option is valid', () => {
  assert.deepEqual(
    problems(
      'RouteOption',
      `  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: web, sectionName: main }]
  options:
    timeout: 1.5s
    retries: { retryOn: '5xx, connect-failure', numRetries: 2, perTryTimeout: 0.5s, retryBackOff: { baseInterval: 0.1s, maxInterval: 1s } }
    prefixRewrite: /v2
    hostRewrite: api.internal
    autoHostRewrite: false
    headerManipulation:
      requestHeadersToAdd: [{ header: { key: x-a, value: b }, append: false }]
      requestHeadersToRemove: [x-c]
      responseHeadersToAdd: [{ header: { key: x-d, value: e } }]
      responseHeadersToRemove: [server]
    cors: { allowOrigin: [https://a.example.com], allowOriginRegex: ['https://.*\\.b\\.com'], allowMethods: [GET], allowHeaders: [x-a], exposeHeaders: [x-b], maxAge: '60', allowCredentials: true, disableForRoute: false }
    faults: { abort: { percentage: 0.5, httpStatus: 503 }, delay: { percentage: 100, fixedDelay: 2s } }
    shadowing: { upstream: { name: shadow, namespace: other }, percentage: 12.5 }
    lbHash: { hashPolicies: [{ header: x-user }, { cookie: { name: s, ttl: 60s, path: / }, terminal: true }, { sourceIp: true }] }
    bufferPerRoute: { buffer: { maxRequestBytes: 1024 } }
`,
    ),
    [],
  );
});

test('RouteOption options: typos, Gloo durations, ranges, retry conditions, one-of rules', () => {
  assert.deepEqual(
    problems(
      'RouteOption',
      `  options:
    timout: 1s
    timeout: 500ms
    retries: { retryOn: '5xx,sometimes', numRetries: -1 }
    prefixRewrite: /a
    regexRewrite: { pattern: { regex: '(?=x)' }, substitution: / }
    faults: { abort: { percentage: 101 }, delay: { fixedDelay: 1m } }
    lbHash: { hashPolicies: [{ header: x-a, sourceIp: true }, {}] }
    bufferPerRoute: { disabled: true, buffer: { maxRequestBytes: 0 } }
    cors: { allowMethods: [get], maxAge: 1d }
`,
    ),
    [
      '6 spec.options.timout: unknown field; did you mean "timeout"?',
      '7 spec.options.timeout: "500ms" is not a valid duration (seconds with an "s", decimals allowed: 5s, 0.25s)',
      '8 spec.options.retries.retryOn: unknown retry condition(s) "sometimes"; Envoy knows 5xx, gateway-error, reset, reset-before-request, connect-failure, envoy-ratelimited, retriable-4xx, refused-stream, retriable-status-codes, retriable-headers, http3-post-connect-failure, cancelled, deadline-exceeded, internal, resource-exhausted, unavailable',
      '8 spec.options.retries.numRetries: must be at least 0 (got -1)',
      '10 spec.options.regexRewrite.pattern.regex: lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported by RE2',
      '11 spec.options.faults.abort.percentage: must be between 0 and 100 (got 101)',
      '11 spec.options.faults.abort.httpStatus: required field is missing',
      '11 spec.options.faults.delay.fixedDelay: "1m" is not a valid duration (seconds with an "s", decimals allowed: 5s, 0.25s)',
      '12 spec.options.lbHash.hashPolicies[0].sourceIp: exactly one of header, cookie and sourceIp must be set (got header, sourceIp)',
      '12 spec.options.lbHash.hashPolicies[1]: exactly one of header, cookie and sourceIp must be set',
      '13 spec.options.bufferPerRoute.buffer.maxRequestBytes: must be between 1 and 4294967295 (got 0)',
      '14 spec.options.cors.allowMethods[0]: must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH (got "get"); did you mean "GET"?',
      '14 spec.options.cors.maxAge: "1d" is not a valid number of seconds',
    ],
  );
  assert.deepEqual(problems('RouteOption', '  options: { prefixRewrite: /a, regexRewrite: { pattern: { regex: a }, substitution: b } }\n'), [
    '5 spec.options.regexRewrite: only one of prefixRewrite and regexRewrite may be set',
  ]);
});

test('Gloo options Portico lacks are reported by name, never ignored', () => {
  assert.deepEqual(
    problems('RouteOption', `  options:\n    extauth: { customAuth: {} }\n    stagedTransformations: {}\n    headerManipulation: { requestHeadersToAdd: [{ headerSecretRef: { name: s } }] }\n`),
    [
      '6 spec.options.extauth.customAuth: customAuth is not supported: Portico runs its own ext-auth service',
      '7 spec.options.stagedTransformations: option stagedTransformations is not supported by Portico yet',
      '8 spec.options.headerManipulation.requestHeadersToAdd[0].header: required field is missing',
      '8 spec.options.headerManipulation.requestHeadersToAdd[0].headerSecretRef: headers from secrets are not supported by Portico yet',
    ],
  );
  assert.deepEqual(problems('VirtualHostOption', '  options: { ratelimit: {}, faults: {} }\n'), [
    '5 spec.options.faults: unknown field; known fields here: headerManipulation, cors, retries, extauth, rateLimitConfigs, ratelimitBasic, extensions, stats, transformations, stagedTransformations, includeRequestAttemptCount, includeAttemptCountInResponse, jwt, jwtStaged, rbac, waf, dlp, ratelimit, ratelimitEarly, ratelimitRegular, rateLimitEarlyConfigs, rateLimitRegularConfigs, bufferPerRoute, csrf, extProc, corsPolicyMergeSettings',
    '5 spec.options.ratelimit: option ratelimit is not supported by Portico yet',
  ]);
});

test('targetRefs: the kind each option attaches to, in the Gateway API group; targetRef (singular) is refused', () => {
  assert.deepEqual(
    problems(
      'RouteOption',
      `  targetRef: { group: gateway.networking.k8s.io, kind: HTTPRoute, name: web }
  targetRefs:
    - { group: gateway.networking.k8s.io, kind: Gateway, name: gw }
    - { group: gateway.solo.io, kind: HTTPRoute, name: web }
    - { kind: HTTPRoute, name: web }
`,
    ),
    [
      '5 spec.targetRef: use targetRefs (a list), as Gloo 1.17 and later do',
      '7 spec.targetRefs[0].kind: must be HTTPRoute (got "Gateway")',
      '8 spec.targetRefs[1].group: must be gateway.networking.k8s.io (got "gateway.solo.io")',
      '9 spec.targetRefs[2].group: required field is missing',
    ],
  );
  assert.deepEqual(problems('VirtualHostOption', '  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: web }]\n'), [
    '5 spec.targetRefs[0].kind: must be Gateway (got "HTTPRoute")',
  ]);
});

test('an ExtensionRef filter is a local object reference: group, kind and name', () => {
  const text = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: web }
spec:
  rules:
    - filters:
        - { type: ExtensionRef, extensionRef: { kind: RouteOption, name: a, namespace: b } }
`;
  assert.deepEqual(
    parseDocuments(text, { file: 'r.yaml' }).rejected.flatMap((r) => r.problems.map((p) => `${p.field}: ${p.message}`)),
    ['spec.rules[0].filters[0].extensionRef.namespace: unknown field; known fields here: group, kind, name', 'spec.rules[0].filters[0].extensionRef.group: required field is missing'],
  );
});

test('what Envoy would NACK in a header manipulation is refused: Host, pseudo-headers, CR/LF, unknown % operators', () => {
  assert.deepEqual(
    problems(
      'RouteOption',
      `  options:
    headerManipulation:
      requestHeadersToAdd:
        - { header: { key: Host, value: evil } }
        - { header: { key: x-a, value: "a\\r\\nX-Injected: 1" } }
        - { header: { key: x-b, value: 50% } }
        - { header: { key: x-c, value: "%ENVIRONMENT(AWS_SECRET_ACCESS_KEY)%" } }
        - { header: { key: x-d, value: "%REQ(x-user)% 100%%" } }
      requestHeadersToRemove: [":path"]
    hostRewrite: "a\\nb"
`,
    ),
    [
      '8 spec.options.headerManipulation.requestHeadersToAdd[0].header.key: Envoy does not let a route modify the Host header: use URLRewrite hostname (Gateway API) or hostRewrite (RouteOption)',
      '9 spec.options.headerManipulation.requestHeadersToAdd[1].header.value: must not contain NUL, CR or LF characters',
      "10 spec.options.headerManipulation.requestHeadersToAdd[2].header.value: '%' at position 2 starts no Envoy operator: write '%%' for a literal percent sign",
      '11 spec.options.headerManipulation.requestHeadersToAdd[3].header.value: %ENVIRONMENT% is not an Envoy operator Portico accepts in header values (REQ, RESP, DYNAMIC_METADATA, UPSTREAM_METADATA, START_TIME, PROTOCOL, HOSTNAME, RESPONSE_CODE, ROUTE_NAME, VIRTUAL_CLUSTER_NAME, STREAM_ID, CONNECTION_ID, REQUESTED_SERVER_NAME, DOWNSTREAM_REMOTE_ADDRESS, DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT, DOWNSTREAM_REMOTE_PORT, DOWNSTREAM_LOCAL_ADDRESS, DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT, DOWNSTREAM_LOCAL_PORT, DOWNSTREAM_TLS_VERSION, DOWNSTREAM_PEER_URI_SAN, DOWNSTREAM_PEER_SUBJECT, UPSTREAM_REMOTE_ADDRESS, UPSTREAM_CLUSTER, UPSTREAM_HOST); write \'%%\' for a literal percent sign',
      '13 spec.options.headerManipulation.requestHeadersToRemove[0]: ":path" is not a valid header name (letters, digits and !#$%&\'*+-.^_`|~; no \':\' pseudo-headers)',
      '14 spec.options.hostRewrite: must not contain NUL, CR or LF characters',
    ],
  );
});
