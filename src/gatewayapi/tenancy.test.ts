// Isolation between tenants, one table: every kind of reference team-b can make into team-a's namespace, each
// translated with and without team-a's ReferenceGrant. Without it the IR must not use the target (and fail
// closed where the target carried a check), the referrer's status must name the refusal (RefNotPermitted), and
// that status must be the same text whether the target exists or not: nothing of team-a leaks to team-b.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SecretSpec } from '../api/core-types.ts';
import { parseDocuments } from '../api/parse.ts';
import type { Resource } from '../api/resource.ts';
import type { GatewayIr, RouteIr } from '../ir/types.ts';
import { gatewayWith } from '../../test/support/fixtures.ts';
import { translate, type TranslateResult } from './translate.ts';

const TLS = join(import.meta.dirname, 'testdata', 'secrets', 'default', 'shop');

/** team-b's Gateway and local Upstream, which every case builds on. */
const BASE = `${gatewayWith('    - { name: http, port: 80, protocol: HTTP }').replace('namespace: default', 'namespace: team-b')}
---
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: echo, namespace: team-b }
spec: { static: { hosts: [{ addr: 10.0.0.1, port: 80 }] } }
`;

const TEAM_A_UPSTREAM = `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: billing, namespace: team-a }
spec: { static: { hosts: [{ addr: 10.0.0.2, port: 80 }] } }
`;

const TEAM_A_AUTH = `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: auth, namespace: team-a }
spec:
  configs:
    - basicAuth: { apr: { users: { alice: { salt: n28wuo5p, hashedPassword: NLFTUNkXaht0g/2GJjUM51 } } } }
`;

/** team-b's route on its Gateway: `rule` is the YAML of its one rule (indented for `rules:`). */
function route(rule = `backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }]`, kind = 'HTTPRoute', name = 'web'): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: ${kind}
metadata: { name: ${name}, namespace: team-b }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - ${rule}
`;
}

function routeOption(options: string): string {
  return `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: opt, namespace: team-b }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: web }]
  options: ${options}
`;
}

function secret(name: string, stringData: Record<string, string>, labels?: Record<string, string>): Resource<SecretSpec> {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'team-a', ...(labels && { labels }) }, spec: { type: 'Opaque', stringData } };
}

const tlsSecret = () => secret('cert', { 'tls.crt': readFileSync(join(TLS, 'tls.crt'), 'utf8'), 'tls.key': readFileSync(join(TLS, 'tls.key'), 'utf8') });

interface Case {
  /** The referrer kind and field. */
  name: string;
  /** team-b's resources (YAML), the referrer among them. */
  referrer: string;
  /** The target in team-a. */
  target: () => Resource[];
  /** What team-a's grant must say (`from` team-b). */
  grant: { from: [group: string, kind: string]; to: [group: string, kind: string] };
  /** The referrer whose status must name a refusal, as `Kind namespace/name`. */
  status: string;
  /** Label selectors refuse silently: naming a Secret they may not pick would tell it exists. */
  silent?: true;
  /** The part of the output the reference decides. */
  served: (out: TranslateResult) => unknown;
  granted: unknown;
  refused: unknown;
}

const gatewayOf = (out: TranslateResult, key = 'team-b/gw'): GatewayIr | undefined => out.ir.gateways.find((g) => g.key === key);
const routeNamed = (out: TranslateResult, name: string): RouteIr | undefined =>
  gatewayOf(out)?.listeners.flatMap((l) => l.virtualHosts.flatMap((vh) => vh.routes)).find((r) => r.name === name);
const webRoute = (out: TranslateResult) => routeNamed(out, 'httproute/team-b/web/rule/0/match/0');
const FORBIDDEN = { type: 'directResponse', status: 403 };
const INTERNAL_ERROR = { type: 'directResponse', status: 500 };
const toEcho = { type: 'forward', backends: [{ cluster: 'upstream/team-b/echo', weight: 1 }] };
const authKeys = (out: TranslateResult) => out.ir.authConfigs?.find((c) => c.name === 'team-b/keys')?.steps.flatMap((s) => ('apiKey' in s ? s.apiKey.keys.map((k) => k.secret) : []));

const CASES: Case[] = [
  {
    name: 'HTTPRoute backendRef → Upstream',
    referrer: route(`backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: billing, namespace: team-a }]`),
    target: () => parse(TEAM_A_UPSTREAM),
    grant: { from: ['gateway.networking.k8s.io', 'HTTPRoute'], to: ['gloo.solo.io', 'Upstream'] },
    status: 'HTTPRoute team-b/web',
    served: (out) => webRoute(out)?.action,
    granted: { type: 'forward', backends: [{ cluster: 'upstream/team-a/billing', weight: 1 }] },
    refused: INTERNAL_ERROR,
  },
  {
    name: 'GRPCRoute backendRef → Upstream',
    referrer: route(`backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: billing, namespace: team-a }]`, 'GRPCRoute', 'rpc'),
    target: () => parse(TEAM_A_UPSTREAM),
    grant: { from: ['gateway.networking.k8s.io', 'GRPCRoute'], to: ['gloo.solo.io', 'Upstream'] },
    status: 'GRPCRoute team-b/rpc',
    served: (out) => routeNamed(out, 'grpcroute/team-b/rpc/rule/0/match/0')?.action,
    granted: { type: 'forward', backends: [{ cluster: 'upstream/team-a/billing/h2c', weight: 1 }] },
    refused: INTERNAL_ERROR,
  },
  {
    name: 'HTTPRoute backendRef → Service (Consul catalog)',
    referrer: route(`backendRefs: [{ name: billing, namespace: team-a, port: 80 }]`),
    target: () => [],
    grant: { from: ['gateway.networking.k8s.io', 'HTTPRoute'], to: ['', 'Service'] },
    status: 'HTTPRoute team-b/web',
    served: (out) => webRoute(out)?.action,
    granted: { type: 'forward', backends: [{ cluster: 'service/team-a/billing/80', weight: 1 }] },
    refused: INTERNAL_ERROR,
  },
  {
    name: 'HTTPRoute backendRef → UpstreamGroup',
    referrer: route(`backendRefs: [{ group: gloo.solo.io, kind: UpstreamGroup, name: grp, namespace: team-a }]`),
    target: () =>
      parse(`${TEAM_A_UPSTREAM}---
apiVersion: gloo.solo.io/v1
kind: UpstreamGroup
metadata: { name: grp, namespace: team-a }
spec: { destinations: [{ destination: { upstream: { name: billing } }, weight: 1 }] }
`),
    grant: { from: ['gateway.networking.k8s.io', 'HTTPRoute'], to: ['gloo.solo.io', 'UpstreamGroup'] },
    status: 'HTTPRoute team-b/web',
    served: (out) => webRoute(out)?.action,
    granted: { type: 'forward', backends: [{ cluster: 'upstream/team-a/billing', weight: 1 }] },
    refused: INTERNAL_ERROR,
  },
  {
    name: 'HTTPRoute RequestMirror → Upstream',
    referrer: route(`backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }]
      filters: [{ type: RequestMirror, requestMirror: { backendRef: { group: gloo.solo.io, kind: Upstream, name: billing, namespace: team-a } } }]`),
    target: () => parse(TEAM_A_UPSTREAM),
    grant: { from: ['gateway.networking.k8s.io', 'HTTPRoute'], to: ['gloo.solo.io', 'Upstream'] },
    status: 'HTTPRoute team-b/web',
    served: (out) => webRoute(out)?.action,
    granted: { ...toEcho, mirrors: [{ cluster: 'upstream/team-a/billing' }] },
    refused: toEcho,
  },
  {
    name: 'UpstreamGroup destination → Upstream',
    referrer: `${route(`backendRefs: [{ group: gloo.solo.io, kind: UpstreamGroup, name: grp }]`)}---
apiVersion: gloo.solo.io/v1
kind: UpstreamGroup
metadata: { name: grp, namespace: team-b }
spec: { destinations: [{ destination: { upstream: { name: billing, namespace: team-a } }, weight: 1 }] }
`,
    target: () => parse(TEAM_A_UPSTREAM),
    grant: { from: ['gloo.solo.io', 'UpstreamGroup'], to: ['gloo.solo.io', 'Upstream'] },
    status: 'UpstreamGroup team-b/grp',
    served: (out) => webRoute(out)?.action,
    granted: { type: 'forward', backends: [{ cluster: 'upstream/team-a/billing', weight: 1 }] },
    refused: INTERNAL_ERROR,
  },
  {
    name: 'RouteOption shadowing → Upstream',
    referrer: `${route()}---${routeOption(`{ shadowing: { upstream: { name: billing, namespace: team-a }, percentage: 100 } }`)}`,
    target: () => parse(TEAM_A_UPSTREAM),
    grant: { from: ['gateway.solo.io', 'RouteOption'], to: ['gloo.solo.io', 'Upstream'] },
    status: 'RouteOption team-b/opt',
    served: (out) => webRoute(out)?.action,
    granted: { ...toEcho, mirrors: [{ cluster: 'upstream/team-a/billing' }] },
    refused: toEcho,
  },
  {
    name: 'RouteOption extauth.configRef → AuthConfig',
    referrer: `${route()}---${routeOption(`{ extauth: { configRef: { name: auth, namespace: team-a } } }`)}`,
    target: () => parse(TEAM_A_AUTH),
    grant: { from: ['gateway.solo.io', 'RouteOption'], to: ['enterprise.gloo.solo.io', 'AuthConfig'] },
    status: 'RouteOption team-b/opt',
    served: (out) => ({ auth: webRoute(out)?.auth, action: webRoute(out)?.action }),
    granted: { auth: { config: 'team-a/auth' }, action: toEcho },
    // Denied outright: not sent to ext-auth with team-a's config, and not served unchecked.
    refused: { auth: undefined, action: FORBIDDEN },
  },
  {
    name: 'VirtualHostOption extauth.configRef → AuthConfig',
    referrer: `${route()}---
apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata: { name: vho, namespace: team-b }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: gw }]
  options: { extauth: { configRef: { name: auth, namespace: team-a } } }
`,
    target: () => parse(TEAM_A_AUTH),
    grant: { from: ['gateway.solo.io', 'VirtualHostOption'], to: ['enterprise.gloo.solo.io', 'AuthConfig'] },
    status: 'VirtualHostOption team-b/vho',
    served: (out) => ({ auth: gatewayOf(out)?.listeners[0]?.virtualHosts[0]?.auth, action: webRoute(out)?.action }),
    granted: { auth: { config: 'team-a/auth' }, action: toEcho },
    refused: { auth: undefined, action: FORBIDDEN },
  },
  {
    name: 'RouteOption rateLimitConfigs → RateLimitConfig',
    referrer: `${route()}---${routeOption(`{ rateLimitConfigs: { refs: [{ name: rl, namespace: team-a }] } }`)}`,
    target: () =>
      parse(`
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: { name: rl, namespace: team-a }
spec:
  raw:
    descriptors: [{ key: generic_key, value: a, rateLimit: { requestsPerUnit: 1, unit: SECOND } }]
    rateLimits: [{ actions: [{ genericKey: { descriptorValue: a } }] }]
`),
    grant: { from: ['gateway.solo.io', 'RouteOption'], to: ['ratelimit.solo.io', 'RateLimitConfig'] },
    status: 'RouteOption team-b/opt',
    served: (out) => out.ir.rateLimit?.descriptors.map((d) => d.value),
    granted: ['team-a/rl'],
    refused: undefined,
  },
  {
    name: 'AuthConfig apiKeySecretRefs → Secret',
    referrer: `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: keys, namespace: team-b }
spec: { configs: [{ apiKeyAuth: { apiKeySecretRefs: [{ name: key, namespace: team-a }] } }] }
`,
    target: () => [secret('key', { 'api-key': 'team-a-secret-key' })],
    grant: { from: ['enterprise.gloo.solo.io', 'AuthConfig'], to: ['', 'Secret'] },
    status: 'AuthConfig team-b/keys',
    served: authKeys,
    granted: ['team-a/key'],
    // No key at all: the config denies every request rather than accepting team-a's key.
    refused: [],
  },
  {
    name: 'AuthConfig apiKeyAuth.labelSelector → Secrets',
    referrer: `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: keys, namespace: team-b }
spec: { configs: [{ apiKeyAuth: { labelSelector: { team: a } } }] }
`,
    target: () => [secret('key', { 'api-key': 'team-a-secret-key' }, { team: 'a' })],
    grant: { from: ['enterprise.gloo.solo.io', 'AuthConfig'], to: ['', 'Secret'] },
    status: 'AuthConfig team-b/keys',
    silent: true,
    served: authKeys,
    granted: ['team-a/key'],
    refused: [],
  },
  {
    name: 'AuthConfig basicAuth.htpasswd.secretRef → Secret',
    referrer: `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: users, namespace: team-b }
spec: { configs: [{ basicAuth: { htpasswd: { secretRef: { name: htpasswd, namespace: team-a } } } }] }
`,
    target: () => [secret('htpasswd', { htpasswd: 'alice:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n' })],
    grant: { from: ['enterprise.gloo.solo.io', 'AuthConfig'], to: ['', 'Secret'] },
    status: 'AuthConfig team-b/users',
    served: (out) => out.ir.authConfigs?.find((c) => c.name === 'team-b/users')?.steps.flatMap((s) => ('basic' in s ? s.basic.users.map((u) => u.user) : [])),
    granted: ['alice'],
    refused: [],
  },
  {
    name: 'Gateway certificateRefs → Secret',
    referrer: `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: tls, namespace: team-b }
spec:
  gatewayClassName: portico
  listeners: [{ name: https, port: 443, protocol: HTTPS, tls: { certificateRefs: [{ name: cert, namespace: team-a }] } }]
`,
    target: () => [tlsSecret()],
    grant: { from: ['gateway.networking.k8s.io', 'Gateway'], to: ['', 'Secret'] },
    status: 'Gateway team-b/tls',
    served: (out) => gatewayOf(out, 'team-b/tls')?.secrets?.map((s) => s.name),
    granted: ['secret/team-a/cert'],
    refused: undefined,
  },
  {
    name: 'Upstream sslConfig.secretRef → Secret',
    referrer: `${route(`backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: secure }]`)}---
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: secure, namespace: team-b }
spec: { static: { hosts: [{ addr: 10.0.0.3, port: 443 }] }, sslConfig: { secretRef: { name: cert, namespace: team-a } } }
`,
    target: () => [tlsSecret()],
    grant: { from: ['gloo.solo.io', 'Upstream'], to: ['', 'Secret'] },
    status: 'Upstream team-b/secure',
    served: (out) => gatewayOf(out)?.clusters.find((c) => c.name === 'upstream/team-b/secure')?.tls?.clientCertificate,
    granted: 'secret/team-a/cert',
    // Fail closed: the cluster is not served at all, rather than connecting without the client certificate.
    refused: undefined,
  },
  {
    name: 'Upstream awsEc2.secretRef → Secret',
    referrer: `${route(`backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: fleet }]`)}---
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata: { name: fleet, namespace: team-b }
spec: { awsEc2: { region: eu-west-1, secretRef: { name: aws, namespace: team-a } } }
`,
    target: () => [secret('aws', { aws_access_key_id: 'AKIATEAMA', aws_secret_access_key: 'team-a-secret' })],
    grant: { from: ['gloo.solo.io', 'Upstream'], to: ['', 'Secret'] },
    status: 'Upstream team-b/fleet',
    served: (out) => gatewayOf(out)?.clusters.find((c) => c.name === 'upstream/team-b/fleet')?.discovery,
    granted: { ec2: { region: 'eu-west-1', filters: [], port: 80, secretRef: { namespace: 'team-a', name: 'aws' } } },
    refused: undefined,
  },
];

function parse(yaml: string): Resource[] {
  const parsed = parseDocuments(yaml, { file: 'case.yaml' });
  assert.deepEqual(parsed.rejected.flatMap((r) => r.problems), [], 'the fixture is valid');
  return parsed.resources;
}

function grantFor(c: Case): Resource[] {
  const [fromGroup, fromKind] = c.grant.from;
  const [toGroup, toKind] = c.grant.to;
  return parse(`
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: to-team-b, namespace: team-a }
spec:
  from: [{ group: '${fromGroup}', kind: ${fromKind}, namespace: team-b }]
  to: [{ group: '${toGroup}', kind: ${toKind} }]
`);
}

/** Everything team-b can read of a translation: its resources' statuses. */
function teamB(out: TranslateResult): string {
  return JSON.stringify(out.statuses.filter((s) => s.id.includes(' team-b/')));
}

function conditionsOf(out: TranslateResult, id: string): { type: string; status: string; reason: string; message: string }[] {
  const entry = out.statuses.find((s) => s.id === id);
  assert.ok(entry, `${id} has a status`);
  const found: { type: string; status: string; reason: string; message: string }[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.type === 'string' && typeof o.reason === 'string') found.push(o as never);
      Object.values(o).forEach(walk);
    }
  };
  walk(entry.status);
  return found;
}

for (const c of CASES) {
  test(`tenancy: ${c.name}`, () => {
    const base = [...parse(BASE), ...parse(c.referrer)];
    const granted = translate([...base, ...c.target(), ...grantFor(c)]);
    const refused = translate([...base, ...c.target()]);
    const absent = translate(base);

    assert.deepEqual(c.served(granted), c.granted, 'with the grant, the target is used');
    assert.ok(!conditionsOf(granted, c.status).some((k) => k.reason === 'RefNotPermitted'), 'with the grant, nothing is refused');

    assert.deepEqual(c.served(refused), c.refused, 'without the grant, the target is not used');
    const refusal = conditionsOf(refused, c.status).filter((k) => k.status === 'False' && k.reason === 'RefNotPermitted');
    if (c.silent) assert.deepEqual(refusal, [], 'a label selector refuses silently');
    else assert.ok(refusal.length, `${c.status} names the refusal: ${JSON.stringify(conditionsOf(refused, c.status))}`);

    // No leak: team-b reads the same whether team-a's target exists or not, and nothing of its content.
    assert.equal(teamB(refused), teamB(absent), 'the statuses do not tell whether the target exists');
    assert.equal(JSON.stringify(refused.problems.map((p) => p.message)), JSON.stringify(absent.problems.map((p) => p.message)));
    assert.deepEqual(c.served(absent), c.refused, 'the IR does not tell either');
    for (const s of c.target().filter((r) => r.kind === 'Secret') as Resource<SecretSpec>[]) {
      for (const value of Object.values(s.spec.stringData)) assert.ok(!teamB(refused).includes(String(value).trim().slice(0, 24)), 'no Secret content in a status');
    }
  });
}

test('tenancy: a grant for another namespace, kind or name permits nothing', () => {
  const base = [...parse(BASE), ...parse(route(`backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: billing, namespace: team-a }]`)), ...parse(TEAM_A_UPSTREAM)];
  const grant = (from: string, to: string) =>
    parse(`
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: g, namespace: team-a }
spec: { from: [${from}], to: [${to}] }
`);
  for (const g of [
    grant(`{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team-c }`, `{ group: gloo.solo.io, kind: Upstream }`),
    grant(`{ group: gateway.solo.io, kind: RouteOption, namespace: team-b }`, `{ group: gloo.solo.io, kind: Upstream }`),
    grant(`{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: team-b }`, `{ group: gloo.solo.io, kind: Upstream, name: ledger }`),
  ]) {
    assert.deepEqual(webRoute(translate([...base, ...g]))?.action, INTERNAL_ERROR);
  }
});

// A rule whose auth-carrying option no longer resolves is denied, never served unchecked, and says why.
const AUTH_OPTION = `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: guard, namespace: team-b }
spec: { options: { extauth: { configRef: { name: auth } } } }
`;
const OWN_AUTH = `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: auth, namespace: team-b }
spec:
  configs:
    - basicAuth: { apr: { users: { alice: { salt: n28wuo5p, hashedPassword: NLFTUNkXaht0g/2GJjUM51 } } } }
`;
const guarded = route(`backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.solo.io, kind: RouteOption, name: guard } }]`);

function resolvedRefs(out: TranslateResult, id: string) {
  return conditionsOf(out, id).find((k) => k.type === 'ResolvedRefs');
}

test('fail closed: a rule whose ExtensionRef RouteOption (carrying extauth) is deleted answers 500 and says why', () => {
  const before = translate(parse(`${BASE}---${guarded}---${AUTH_OPTION}---${OWN_AUTH}`));
  assert.deepEqual(webRoute(before)?.auth, { config: 'team-b/auth' });
  assert.deepEqual(webRoute(before)?.action, toEcho);

  const after = translate(parse(`${BASE}---${guarded}---${OWN_AUTH}`));
  assert.deepEqual(webRoute(after)?.action, INTERNAL_ERROR, 'not served without the check it named');
  assert.equal(webRoute(after)?.auth, undefined);
  const why = resolvedRefs(after, 'HTTPRoute team-b/web');
  assert.equal(why?.status, 'False');
  assert.equal(why?.reason, 'RouteOptionNotFound');
  assert.match(why?.message ?? '', /RouteOption team-b\/guard not found .*answers 500/);
});

test('fail closed: a rule whose RouteOption names a deleted AuthConfig is denied (403), and the route and option say why', () => {
  const out = translate(parse(`${BASE}---${guarded}---${AUTH_OPTION}`));
  assert.deepEqual(webRoute(out)?.action, FORBIDDEN);
  assert.equal(webRoute(out)?.auth, undefined, 'Envoy answers itself: the ext-auth service is not asked');
  const route = resolvedRefs(out, 'HTTPRoute team-b/web');
  assert.equal(route?.reason, 'AuthConfigNotResolved');
  assert.match(route?.message ?? '', /extauth of RouteOption team-b\/guard does not resolve .*denied \(403\)/);
  const option = resolvedRefs(out, 'RouteOption team-b/guard');
  assert.equal(option?.reason, 'AuthConfigNotFound');
});

test('fail closed: a VirtualHostOption whose AuthConfig is gone denies the routes that inherit it, not those with their own', () => {
  const vho = `
apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata: { name: vho, namespace: team-b }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: gw }]
  options: { extauth: { configRef: { name: gone } } }
`;
  const open = `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: open, namespace: team-b }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: public }]
  options: { extauth: { disable: true } }
`;
  const pub = route(`matches: [{ path: { value: /public } }]
      backendRefs: [{ group: gloo.solo.io, kind: Upstream, name: echo }]`, 'HTTPRoute', 'public');
  const out = translate(parse(`${BASE}---${route()}---${pub}---${vho}---${open}`));
  assert.deepEqual(webRoute(out)?.action, FORBIDDEN, 'inherits the unresolvable check: denied');
  assert.deepEqual(routeNamed(out, 'httproute/team-b/public/rule/0/match/0')?.action, toEcho, 'its own extauth (disabled) wins, as it would over a valid one');
  assert.equal(gatewayOf(out)?.listeners[0]?.virtualHosts[0]?.auth, undefined);
  assert.equal(resolvedRefs(out, 'VirtualHostOption team-b/vho')?.reason, 'AuthConfigNotFound');
});

test('tenancy: RouteOption and VirtualHostOption targetRefs never cross namespaces, and say so alike whether the target exists', () => {
  const teamAOptions = `
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: hijack, namespace: team-a }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: web, namespace: team-b }]
  options: { extauth: { disable: true } }
---
apiVersion: gateway.solo.io/v1
kind: VirtualHostOption
metadata: { name: hijack, namespace: team-a }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: Gateway, name: gw, namespace: team-b }]
  options: { extauth: { disable: true } }
`;
  const grants = `
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: everything, namespace: team-b }
spec:
  from: [{ group: gateway.solo.io, kind: RouteOption, namespace: team-a }, { group: gateway.solo.io, kind: VirtualHostOption, namespace: team-a }]
  to: [{ group: gateway.networking.k8s.io, kind: HTTPRoute }, { group: gateway.networking.k8s.io, kind: Gateway }]
`;
  const targets = [...parse(BASE), ...parse(route())];
  const present = translate([...targets, ...parse(teamAOptions), ...parse(grants)]);
  assert.deepEqual(webRoute(present)?.auth, undefined, 'not attached, even with a grant');
  assert.deepEqual(gatewayOf(present)?.listeners[0]?.virtualHosts[0]?.auth, undefined);
  for (const id of ['RouteOption team-a/hijack', 'VirtualHostOption team-a/hijack']) {
    const accepted = conditionsOf(present, id).find((k) => k.type === 'Accepted');
    assert.equal(accepted?.status, 'False');
    assert.equal(accepted?.reason, 'RefNotPermitted');
  }
  const absent = translate(parse(teamAOptions));
  const teamA = (out: TranslateResult) => JSON.stringify(out.statuses.filter((s) => s.id.includes(' team-a/')));
  assert.equal(teamA(present), teamA(absent), "team-a's statuses do not tell whether team-b's route and Gateway exist");
});
