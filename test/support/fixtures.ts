// Resource YAML shared by the end-to-end tests. ${PORT} and ${<backend>} are filled in by the harness.

/** The GatewayClass `portico` and the Gateway default/gw with these listeners (YAML list items, indented 4). */
export function gatewayWith(listeners: string): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: portico }
spec: { controllerName: portico.dev/gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: default }
spec:
  gatewayClassName: portico
  listeners:
${listeners}
`;
}

/** One HTTP listener on ${PORT} taking routes from every namespace. */
export const GATEWAY = gatewayWith('    - { name: http, protocol: HTTP, port: ${PORT}, allowedRoutes: { namespaces: { from: All } } }');

export function upstream(name: string, namespace = 'default'): string {
  return `
apiVersion: gloo.solo.io/v1
kind: Upstream
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  static:
    hosts:
      - addr: 127.0.0.1
        port: \${${name}}
`;
}

/** An HTTPRoute attached to default/gw with the given rules (YAML list items, indented 4). */
export function route(name: string, rules: string, extra = ''): string {
  return `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: ${name}
  namespace: default
spec:
  parentRefs:
    - name: gw
${extra}  rules:
${rules}
`;
}

export function backend(name: string, weight?: number, namespace?: string): string {
  return `        - group: gloo.solo.io
          kind: Upstream
          name: ${name}${weight === undefined ? '' : `\n          weight: ${weight}`}${namespace === undefined ? '' : `\n          namespace: ${namespace}`}`;
}

/** Fills `${NAME}` placeholders; an unknown name is left as it is, so the parser reports it. */
export function fill(yaml: string, vars: Record<string, string | number>): string {
  return yaml.replace(/\$\{([\w-]+)\}/g, (whole, k: string) => (k in vars ? String(vars[k]) : whole));
}

/** The README walkthrough's AuthConfig `default/basic-auth`: user `test`, password `test123` (apr1), in `realm`. */
export function basicAuthConfig(realm = 'gloo'): string {
  return `
apiVersion: enterprise.gloo.solo.io/v1
kind: AuthConfig
metadata: { name: basic-auth, namespace: default }
spec:
  configs:
  - basicAuth:
      apr: { users: { test: { salt: n28wuo5p, hashedPassword: NLFTUNkXaht0g/2GJjUM51 } } }
      realm: ${realm}
`;
}

/** An `authorization: Basic …` header. */
export const basicCredentials = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

/**
 * RateLimitConfig `default/once` (one request per day: two requests milliseconds apart never straddle the end of
 * the window) and the RouteOption attaching it to rule `rule` of HTTPRoute `route`.
 */
export function oncePerDay(route: string, rule: string): string {
  return `
apiVersion: ratelimit.solo.io/v1alpha1
kind: RateLimitConfig
metadata: { name: once, namespace: default }
spec:
  raw:
    descriptors: [{ key: generic_key, value: once, rateLimit: { requestsPerUnit: 1, unit: DAY } }]
    rateLimits: [{ actions: [{ genericKey: { descriptorValue: once } }] }]
---
apiVersion: gateway.solo.io/v1
kind: RouteOption
metadata: { name: once, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${route}, sectionName: ${rule} }]
  options:
    rateLimitConfigs: { refs: [{ name: once }] }
`;
}
