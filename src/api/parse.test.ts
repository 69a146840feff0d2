import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSource, type FieldProblem } from '../lib/errors.ts';
import { parseDocuments } from './parse.ts';

const FILE = 'routes.yaml';

/** Every problem as `file:line field: message`, in document order. */
function problems(text: string): string[] {
  return parseDocuments(text, { file: FILE }).rejected.flatMap((r) => r.problems.map(show));
}

function show(p: FieldProblem): string {
  return `${formatSource(p.source)} ${p.resource ?? '-'} ${p.field ?? '-'}: ${p.message}`;
}

const route = (spec: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
${spec}`;

test('multi-document YAML: every resource, its document line, namespaces by scope', () => {
  const { resources, rejected } = parseDocuments(
    `# leading comment
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: portico }
spec: { controllerName: portico.dev/gateway-controller }
---
---
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata:
  name: echo
  namespace: team-a
spec:
  static:
    hosts: [{ addr: 127.0.0.1, port: 8080 }]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: { name: web }
spec: {}
`,
    { file: FILE },
  );
  assert.deepEqual(rejected, []);
  assert.deepEqual(
    resources.map((r) => [r.kind, r.metadata.namespace, r.metadata.name, r.source]),
    [
      ['GatewayClass', '', 'portico', { file: FILE, line: 2 }],
      ['Upstream', 'team-a', 'echo', { file: FILE, line: 8 }],
      ['HTTPRoute', 'default', 'web', { file: FILE, line: 17 }],
    ],
  );
  assert.equal(resources[1]?.fieldLines?.['spec.static.hosts[0]'], 15);
});

test('JSON documents parse too', () => {
  const { resources } = parseDocuments('{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a", "labels": {"env": "prod"}}}', { file: 'ns.json' });
  assert.deepEqual(resources[0]?.metadata, { name: 'a', namespace: '', labels: { env: 'prod' } });
});

test('malformed YAML names file:line:column, and the document still names itself', () => {
  const { rejected } = parseDocuments(route('  rules: [\n    { matches: [] }\n'), { file: FILE });
  assert.equal(rejected.length, 1);
  assert.deepEqual(rejected[0]?.id, { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', namespace: 'default', name: 'web' });
  assert.match(show(rejected[0]?.problems[0] as FieldProblem), /^routes\.yaml:8:1 HTTPRoute default\/web -: YAML syntax error: /);
});

test('duplicate keys are syntax errors', () => {
  assert.match(problems('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n')[0] ?? '', /^routes\.yaml:5:3 .*Map keys must be unique/);
});

test('unknown fields are errors that name the closest known field, at the field line', () => {
  assert.deepEqual(problems(route('  parentRefs:\n    - name: gw\n      sectionNme: http\n')), [
    'routes.yaml:8 HTTPRoute default/web spec.parentRefs[0].sectionNme: unknown field; did you mean "sectionName"?',
  ]);
});

test('every problem is collected, across fields and documents', () => {
  const text = `${route(`  rules:
    - matches:
        - path: { type: Exact, value: /a }
          method: FETCH
      backendRefs:
        - { group: gloo.solo.io, kind: Upstream, name: echo, weight: -1 }
`)}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  gatewayClassName: portico
  listeners:
    - { name: http, port: 70000, protocol: HTTP, hostname: Foo.example.com }
    - { name: http, port: 80, protocol: HTTP }
`;
  assert.deepEqual(problems(text), [
    'routes.yaml:9 HTTPRoute default/web spec.rules[0].matches[0].method: must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH (got "FETCH")',
    'routes.yaml:11 HTTPRoute default/web spec.rules[0].backendRefs[0].weight: must be between 0 and 1000000 (got -1)',
    `routes.yaml:19 Gateway default/gw spec.listeners[0].hostname: "Foo.example.com" is not a valid hostname (lowercase RFC 1123 labels separated by '.', optionally starting with '*.')`,
    'routes.yaml:19 Gateway default/gw spec.listeners[0].port: must be between 1 and 65535 (got 70000)',
  ]);
});

test('a missing required field points at its parent', () => {
  assert.deepEqual(problems(route('  parentRefs:\n    - sectionName: http\n')), [
    'routes.yaml:7 HTTPRoute default/web spec.parentRefs[0].name: required field is missing',
  ]);
});

test('unknown kinds and unserved versions', () => {
  assert.match(problems('apiVersion: gloo.solo.io/v1\nkind: VirtualService\nmetadata: { name: x }\n')[0] ?? '', /^routes\.yaml:2 VirtualService kind: unknown kind VirtualService \(apiVersion gloo\.solo\.io\/v1\); known kinds: GatewayClass, Gateway, HTTPRoute \(gateway\.networking\.k8s\.io\/v1, v1beta1\); .*Namespace \(v1\); Upstream\b.*\(gloo\.solo\.io\/v1\); RouteOption, VirtualHostOption \(gateway\.solo\.io\/v1\)/);
  assert.deepEqual(problems('apiVersion: gateway.networking.k8s.io/v1alpha2\nkind: HTTPRoute\nmetadata: { name: x }\nspec: {}\n'), [
    'routes.yaml:1 HTTPRoute apiVersion: HTTPRoute is not served at apiVersion gateway.networking.k8s.io/v1alpha2; use gateway.networking.k8s.io/v1 or gateway.networking.k8s.io/v1beta1',
  ]);
  const { rejected } = parseDocuments('apiVersion: example.com/v1\nkind: Thing\nmetadata: { name: x }\n', { file: FILE });
  assert.equal(rejected[0]?.id, undefined, 'an unknown kind gets no identity (nothing would serve it)');
});

test('documents that are not resources', () => {
  assert.deepEqual(problems('- a\n- b\n'), ['routes.yaml:1 - -: a resource must be a mapping with apiVersion, kind, metadata and spec']);
  assert.deepEqual(problems('metadata: { name: x }\n'), ['routes.yaml:1 - apiVersion: required field is missing', 'routes.yaml:1 - kind: required field is missing']);
});

test('cluster-scoped kinds take no namespace', () => {
  assert.deepEqual(problems('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  namespace: b\n'), [
    'routes.yaml:5 Namespace a metadata.namespace: Namespace is cluster-scoped: remove metadata.namespace',
  ]);
});

test('a filter type needs its own configuration block and no other', () => {
  assert.deepEqual(
    problems(route(`  rules:
    - filters:
        - type: RequestHeaderModifier
          responseHeaderModifier: { remove: [x] }
`)),
    [
      'routes.yaml:8 HTTPRoute default/web spec.rules[0].filters[0].requestHeaderModifier: required when type is RequestHeaderModifier',
      'routes.yaml:9 HTTPRoute default/web spec.rules[0].filters[0].responseHeaderModifier: must not be set when type is RequestHeaderModifier (it goes with type ResponseHeaderModifier)',
    ],
  );
});

test('RequestRedirect and URLRewrite cannot share a rule; a redirect takes no backends', () => {
  assert.deepEqual(
    problems(route(`  rules:
    - filters:
        - { type: URLRewrite, urlRewrite: { hostname: a.example.com } }
        - { type: RequestRedirect, requestRedirect: { statusCode: 301 } }
    - filters:
        - { type: RequestRedirect, requestRedirect: { statusCode: 305 } }
    - backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }]
      filters:
        - { type: RequestRedirect, requestRedirect: { scheme: https } }
`)),
    [
      'routes.yaml:9 HTTPRoute default/web spec.rules[0].filters[1].type: RequestRedirect and URLRewrite cannot be used together',
      'routes.yaml:11 HTTPRoute default/web spec.rules[1].filters[0].requestRedirect.statusCode: must be one of 301, 302, 303, 307, 308 (got 305)',
      'routes.yaml:14 HTTPRoute default/web spec.rules[2].filters[0]: RequestRedirect must not be used together with backendRefs',
    ],
  );
});

test('ReplacePrefixMatch needs exactly one PathPrefix match', () => {
  const rewrite = '        - { type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /v2 } } }';
  assert.deepEqual(problems(route(`  rules:\n    - matches: [{ path: { type: Exact, value: /a } }]\n      filters:\n${rewrite}\n`)), [
    'routes.yaml:9 HTTPRoute default/web spec.rules[0].filters[0].type: URLRewrite with path.replacePrefixMatch needs exactly one match, of type PathPrefix',
  ]);
  assert.deepEqual(problems(route(`  rules:\n    - filters:\n${rewrite}\n`)), [], 'no matches means the default PathPrefix /');
});

test('path values: absolute and normalised for Exact and PathPrefix; RE2 for regexes', () => {
  const paths = ['api', '/a//b', '/a/../b', '(?=x)a', '(a)\\1', 'a{1001}', '(?i)^/api/(?P<v>v[0-9]+)[[:alpha:]]*$', '[unclosed'];
  const types = ['PathPrefix', 'Exact', 'PathPrefix', 'RegularExpression', 'RegularExpression', 'RegularExpression', 'RegularExpression', 'RegularExpression'];
  const matches = paths.map((p, i) => `        - path: { type: ${types[i]}, value: '${p}' }`).join('\n');
  const found = problems(route(`  rules:\n    - matches:\n${matches}\n`)).map((p) => p.replace(/^routes\.yaml:\d+ HTTPRoute default\/web /, ''));
  assert.deepEqual(found, [
    "spec.rules[0].matches[0].path.value: must be an absolute path starting with '/'",
    'spec.rules[0].matches[1].path.value: must not contain "//"',
    'spec.rules[0].matches[2].path.value: must not contain "/../"',
    'spec.rules[0].matches[3].path.value: lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported by RE2',
    'spec.rules[0].matches[4].path.value: backreference \\1 is not supported by RE2',
    "spec.rules[0].matches[5].path.value: repeat count {1001} is above RE2's limit of 1000",
    'spec.rules[0].matches[7].path.value: invalid RE2 regular expression: missing ]: [unclosed',
  ]);
});

test('header matches and modifiers: valid names, one action per header', () => {
  assert.deepEqual(
    problems(route(`  rules:
    - matches:
        - headers: [{ name: ':authority', value: x }, { name: x-v, type: RegularExpression, value: '(?!a)' }]
      filters:
        - type: RequestHeaderModifier
          requestHeaderModifier: { set: [{ name: X-A, value: '1' }], remove: [x-a] }
`)).map((p) => p.replace(/^routes\.yaml:(\d+) HTTPRoute default\/web /, '$1 ')),
    [
      `8 spec.rules[0].matches[0].headers[0].name: ":authority" is not a valid header name (letters, digits and !#$%&'*+-.^_\`|~; no ':' pseudo-headers)`,
      '8 spec.rules[0].matches[0].headers[1].value: lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported by RE2',
      '11 spec.rules[0].filters[0].requestHeaderModifier.remove[0]: header "x-a" already has an action (set[0]); only one action per header name is allowed',
    ],
  );
});

test('Gateway rules: unique listener names, 64 listeners at most, protocol-specific fields', () => {
  const listeners = Array.from({ length: 65 }, (_, i) => `    - { name: l${i}, port: ${8000 + i}, protocol: HTTP }`).join('\n');
  const gateway = (ls: string) => `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  gatewayClassName: portico\n  listeners:\n${ls}\n`;
  assert.deepEqual(problems(gateway(listeners)), ['routes.yaml:6 Gateway default/gw spec.listeners: must have at most 64 items (got 65)']);
  // List rules (unique names) run once the items themselves are valid, as CEL rules do.
  const three = '    - { name: a, port: 80, protocol: HTTP }\n    - { name: a, port: 81, protocol: TCP, hostname: a.com }\n    - { name: b, port: 443, protocol: HTTPS }';
  assert.deepEqual(fields(problems(gateway(three))), ['8 spec.listeners[1].hostname', '9 spec.listeners[2].tls']);
  assert.deepEqual(fields(problems(gateway('    - { name: a, port: 80, protocol: HTTP }\n    - { name: a, port: 81, protocol: HTTP }'))), ['8 spec.listeners[1].name']);
});

test('Gateway tls: Terminate needs certificateRefs, HTTPS cannot pass through, client validation is not supported', () => {
  const gateway = (tls: string) =>
    `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: { name: gw }\nspec:\n  gatewayClassName: portico\n  listeners:\n    - name: a\n      port: 443\n      protocol: HTTPS\n      tls: ${tls}\n`;
  assert.deepEqual(problems(gateway("{ certificateRefs: [{ name: a }], options: { portico.dev/min-tls-version: '1.2' } }")), []);
  assert.deepEqual(problems(gateway('{ mode: Terminate }')), ['routes.yaml:10 Gateway default/gw spec.listeners[0].tls.certificateRefs: required (at least one) when mode is Terminate, unless options ask for a certificate (portico.dev/vault-pki-role)']);
  assert.deepEqual(fields(problems(gateway('{ mode: Passthrough }'))), ['10 spec.listeners[0].tls.mode']);
  assert.deepEqual(fields(problems(gateway('{ certificateRefs: [{ name: a }], frontendValidation: {} }'))), ['10 spec.listeners[0].tls.frontendValidation']);
});

/** `line field` of each problem. */
function fields(found: string[]): string[] {
  return found.map((p) => p.replace(/^routes\.yaml:(\d+) \S+ \S+ (\S+):.*$/, '$1 $2'));
}

test('Upstream: static hosts with IP addresses and valid ports', () => {
  const upstream = (static_: string) => `apiVersion: gloo.solo.io/v1\nkind: Upstream\nmetadata: { name: echo }\nspec:\n  static:\n${static_}\n`;
  assert.deepEqual(problems(upstream('    hosts:\n      - { addr: 10.0.0.1, port: 0 }\n      - { addr: echo.internal, port: 80 }')), [
    'routes.yaml:7 Upstream default/echo spec.static.hosts[0].port: must be between 1 and 65535 (got 0)',
    'routes.yaml:8 Upstream default/echo spec.static.hosts[1].addr: "echo.internal" is not an IP address (endpoints are served by EDS, which does not resolve names)',
  ]);
  assert.deepEqual(problems('apiVersion: gloo.solo.io/v1\nkind: Upstream\nmetadata: { name: echo }\nspec:\n  kube: { serviceName: echo }\n'), [
    'routes.yaml:5 Upstream default/echo spec.kube: only static, consul and awsEc2 upstreams are supported by Portico',
  ]);
});

test('Upstream: exactly one of static, consul and awsEc2; their fields checked with Gloo\'s names', () => {
  const upstream = (spec: string) => problems(`apiVersion: gloo.solo.io/v1\nkind: Upstream\nmetadata: { name: u }\nspec:\n${spec}\n`);
  assert.deepEqual(upstream('  useHttp2: true'), ['routes.yaml:4 Upstream default/u spec: one of static, consul, awsEc2 is required']);
  assert.deepEqual(upstream('  consul: { serviceName: web, serviceTags: [a], instanceTags: [b], dataCenters: [dc1, dc2] }'), []);
  assert.deepEqual(upstream('  awsEc2: { region: eu-west-1, port: 8080, publicIp: true, filters: [{ key: app }, { kvPair: { key: env, value: prod } }] }'), []);
  assert.deepEqual(upstream('  awsEc2: { region: eu-west-1, secretRef: { name: aws, namespace: fleet } }'), []);
  assert.deepEqual(upstream('  awsEc2: { region: eu-west-1, secretRef: { namespace: fleet } }'), ['routes.yaml:5 Upstream default/u spec.awsEc2.secretRef.name: required field is missing']);
  assert.deepEqual(upstream('  consul: { serviceName: web }\n  awsEc2: { region: eu-west-1 }'), [
    'routes.yaml:6 Upstream default/u spec.awsEc2: only one upstream type may be set (found consul and awsEc2)',
  ]);
  assert.deepEqual(upstream('  consul: { subsetTags: [a], instanceBlacklistTags: [b], connectEnabled: true }'), [
    'routes.yaml:5 Upstream default/u spec.consul.serviceName: required field is missing',
    'routes.yaml:5 Upstream default/u spec.consul.connectEnabled: connectEnabled (Consul service mesh) is not supported by Portico',
  ]);
  const ec2 = upstream('  awsEc2:\n    region: Europe\n    roleArn: arn:aws:iam::1:role/r\n    filters: [{ key: a, kvPair: { key: b, value: c } }, {}]');
  assert.equal(ec2.length, 4, ec2.join('\n'));
  assert.match(ec2.join('\n'), /spec\.awsEc2\.region: .*AWS region/);
  assert.match(ec2.join('\n'), /spec\.awsEc2\.roleArn: roleArn: Portico reads AWS credentials from secretRef or from the standard chain/);
  assert.match(ec2.join('\n'), /spec\.awsEc2\.filters\[0\]: set exactly one of key/);
  assert.match(ec2.join('\n'), /spec\.awsEc2\.filters\[1\]: set exactly one of key/);
});

test('metadata: timestamps, labels and generation are checked', () => {
  assert.deepEqual(problems('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  creationTimestamp: yesterday\n  labels: { "bad key!": x }\n'), [
    'routes.yaml:6 Namespace a metadata.labels["bad key!"]: name "bad key!" must be at most 63 characters: letters, digits, \'-\', \'_\' and \'.\', starting and ending with a letter or digit',
    'routes.yaml:5 Namespace a metadata.creationTimestamp: "yesterday" is not a valid RFC 3339 timestamp (e.g. 2024-05-01T12:00:00Z)',
  ]);
});

test('ReferenceGrant: from and to are required, every entry needs its group and kind', () => {
  assert.deepEqual(
    problems(`apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: grant, namespace: backends }
spec:
  from: [{ kind: HTTPRoute, namespace: Apps }]
`),
    [
      'routes.yaml:5 ReferenceGrant backends/grant spec.from[0].group: required field is missing',
      'routes.yaml:5 ReferenceGrant backends/grant spec.from[0].namespace: "Apps" is not a valid namespace (a lowercase RFC 1123 label: a-z, 0-9 and \'-\')',
      'routes.yaml:4 ReferenceGrant backends/grant spec.to: required field is missing',
    ],
  );
});

/** Problems as `line field: message`, for tests about one route. */
const routeProblems = (spec: string) => problems(route(spec)).map((p) => p.replace(/^routes\.yaml:(\d+) HTTPRoute default\/web /, '$1 '));

test('timeouts: Gateway API durations; backendRequest no longer than request unless request is 0s', () => {
  assert.deepEqual(
    routeProblems(`  rules:
    - timeouts: { request: 1m, backendRequest: 90s }
    - timeouts: { request: 0s, backendRequest: 1h }
    - timeouts: { request: 1.5s }
    - timeouts: { request: 1h30m, backendRequest: 500ms }
`),
    [
      '7 spec.rules[0].timeouts.backendRequest: backendRequest timeout (90s) cannot be longer than request timeout (1m)',
      '9 spec.rules[2].timeouts.request: "1.5s" is not a valid duration (one to four <number><unit> parts, units h, m, s or ms: 1h, 2m30s, 500ms, 0s)',
    ],
  );
});

test('retry: codes 400-599 without repeats, attempts from 0, backoff a duration', () => {
  assert.deepEqual(
    routeProblems(`  rules:
    - retry: { codes: [503, 302, 503], attempts: -1, backoff: 10 }
    - retry: { codes: [500, 502, 503, 504], attempts: 0, backoff: 100ms }
`),
    [
      '7 spec.rules[0].retry.codes[1]: must be between 400 and 599 (got 302)',
      '7 spec.rules[0].retry.attempts: must be at least 0 (got -1)',
      '7 spec.rules[0].retry.backoff: expected a string, got a number (10)',
    ],
  );
  assert.deepEqual(routeProblems('  rules:\n    - retry: { codes: [503, 503] }\n'), ['7 spec.rules[0].retry.codes[1]: duplicate status code 503 (also at index 0)']);
});

test('RequestMirror: a backendRef (a Service needs a port), percent or fraction but not both', () => {
  const mirror = (m: string) => `        - type: RequestMirror\n          requestMirror: ${m}`;
  assert.deepEqual(
    routeProblems(`  rules:
    - filters:
${mirror('{ backendRef: { name: svc }, percent: 50, fraction: { numerator: 1 } }')}
${mirror('{ percent: 101 }')}
${mirror('{ backendRef: { group: gloo.solo.io, kind: Upstream, name: a }, fraction: { numerator: 3, denominator: 2 } }')}
${mirror('{ backendRef: { group: gloo.solo.io, kind: Upstream, name: a }, fraction: { numerator: 1, denominator: 0 } }')}
`),
    [
      '9 spec.rules[0].filters[0].requestMirror.backendRef.port: required when referring to a Service',
      '11 spec.rules[0].filters[1].requestMirror.backendRef: required field is missing',
      '11 spec.rules[0].filters[1].requestMirror.percent: must be between 0 and 100 (got 101)',
      '13 spec.rules[0].filters[2].requestMirror.fraction.numerator: must be at most the denominator (2)',
      '15 spec.rules[0].filters[3].requestMirror.fraction.denominator: must be at least 1 (got 0)',
    ],
  );
  assert.deepEqual(
    routeProblems(`  rules:\n    - filters:\n${mirror('{ backendRef: { name: svc, port: 80 }, percent: 5, fraction: { numerator: 1 } }')}\n`),
    ['9 spec.rules[0].filters[0].requestMirror.fraction: only one of percent and fraction may be set'],
  );
});

test('CORS: origins with wildcards, methods and headers where * stands alone, maxAge from 1, one CORS filter', () => {
  assert.deepEqual(
    routeProblems(`  rules:
    - filters:
        - type: CORS
          cors:
            allowOrigins: ['https://*.example.com', 'http://a.example.com:8080', 'ftp://x.example.com', '*']
            allowMethods: [GET, '*', get]
            allowHeaders: [x-a, x-a]
            maxAge: 0
        - type: CORS
          cors: { allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'], exposeHeaders: [x-b], allowCredentials: true }
`),
    [
      '10 spec.rules[0].filters[0].cors.allowOrigins[2]: "ftp://x.example.com" is not a valid origin (http or https://host[:port], where the host may start with "*."; or "*" alone)',
      '11 spec.rules[0].filters[0].cors.allowMethods[2]: must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH, * (got "get"); did you mean "GET"?',
      '12 spec.rules[0].filters[0].cors.allowHeaders[1]: duplicate header "x-a" (also at index 0)',
      '13 spec.rules[0].filters[0].cors.maxAge: must be at least 1 (got 0)',
    ],
  );
  assert.deepEqual(
    routeProblems(`  rules:
    - filters:
        - { type: CORS, cors: { allowOrigins: ['https://a.example.com', '*'], allowMethods: [GET, '*'] } }
        - { type: CORS, cors: {} }
`),
    [
      "8 spec.rules[0].filters[0].cors.allowOrigins[1]: '*' allows every origin, so it cannot be listed alongside other origins",
      "8 spec.rules[0].filters[0].cors.allowMethods[1]: '*' allows every method, so it cannot be listed alongside other methods",
    ],
  );
  assert.deepEqual(routeProblems(`  rules:\n    - filters:\n        - { type: CORS, cors: {} }\n        - { type: CORS, cors: {} }\n`), [
    '9 spec.rules[0].filters[1].type: CORS filter cannot be repeated',
  ]);
});

test('filter combinations the spec names: unknown type, missing or foreign config, mirror config on CORS', () => {
  assert.deepEqual(
    routeProblems(`  rules:
    - filters:
        - { type: RequestMirorr, requestMirror: { backendRef: { name: a, port: 80 } } }
        - { type: CORS }
        - { type: CORS, cors: {}, requestMirror: { backendRef: { name: a, port: 80 } } }
`),
    [
      '8 spec.rules[0].filters[0].type: must be one of RequestHeaderModifier, ResponseHeaderModifier, RequestMirror, RequestRedirect, URLRewrite, ExtensionRef, CORS (got "RequestMirorr"); did you mean "RequestMirror"?',
      '9 spec.rules[0].filters[1].cors: required when type is CORS',
      '10 spec.rules[0].filters[2].requestMirror: must not be set when type is CORS (it goes with type RequestMirror)',
    ],
  );
});

test('size caps: an alias bomb, an oversized KV value, a long string, a long list and a flood of problems are reported with the limit', () => {
  const aliases = (n: number) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    x: &v b\n${Array.from({ length: n }, (_, i) => `    l${i}: *v`).join('\n')}\n`;
  assert.equal(parseDocuments(aliases(50), { file: FILE }).resources.length, 1);
  assert.deepEqual(problems(aliases(150)), [`${FILE}:1 - -: the YAML document uses too many aliases (at most 100 alias expansions are allowed): write the repeated parts out`]);

  const big = `# ${'x'.repeat(512 * 1024)}\n`;
  const kv = parseDocuments(big, { key: 'portico/default/HTTPRoute/web' }).rejected;
  assert.match(kv[0]?.problems[0]?.message ?? '', /^the Consul KV value is 524291 bytes; at most 524288 bytes \(512 KiB\) are read$/);
  assert.equal(parseDocuments(big, { file: FILE }).rejected.length, 0, 'a file has a larger cap than a KV value');

  const annotation = (n: number) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  annotations: { note: ${'x'.repeat(n)} }\n`;
  assert.equal(parseDocuments(annotation(32 * 1024), { file: FILE }).rejected.length, 0);
  assert.deepEqual(problems(annotation(32 * 1024 + 1)), [`${FILE}:5 Namespace a metadata.annotations.note: must be at most 32768 characters long (got 32769)`]);
  const finalizers = `apiVersion: v1\nkind: Namespace\nmetadata: { name: a }\nspec: { finalizers: [${Array.from({ length: 1025 }, () => 'f').join(', ')}] }\n`;
  assert.deepEqual(problems(finalizers), [`${FILE}:4 Namespace a spec.finalizers: must have at most 1024 items (got 1025)`]);

  const garbage = route(`  parentRefs: [{ name: gw }]\n${Array.from({ length: 30 }, (_, i) => `  junk${i}: 1`).join('\n')}\n`);
  const found = problems(garbage);
  assert.equal(found.length, 21, 'twenty problems and a count of the rest');
  assert.match(found.at(-1) ?? '', /…and \d+ more problems \(only the first 20 are listed\)$/);
});
