// The resources a corpus case is made of: the resource under test plus what it needs around it (a route to
// attach an option to, a Gateway for a VirtualHostOption…). Every case gets its own names and its own
// hostname (`<id>.corpus.test`), so cases never merge, conflict or shadow one another when they are
// translated together.

export type Doc = Record<string, unknown>;

const GATEWAY_API = 'gateway.networking.k8s.io/v1';
const NS = 'default';

/** The shared world: the GatewayClass, the Gateway `gw` (HTTP and HTTPS) and the Upstream `up` routes go to. */
export function baseWorld(): Doc[] {
  return [
    { apiVersion: GATEWAY_API, kind: 'GatewayClass', metadata: { name: 'portico' }, spec: { controllerName: 'portico.dev/gateway-controller' } },
    gatewayDoc('gw', [
      { name: 'http', protocol: 'HTTP', port: 8080, allowedRoutes: { namespaces: { from: 'All' } } },
      { name: 'https', protocol: 'HTTPS', port: 8443, hostname: '*.example.com', tls: { certificateRefs: [{ name: 'wildcard' }] }, allowedRoutes: { namespaces: { from: 'All' } } },
    ]),
    upstreamDoc('up', { static: { hosts: [{ addr: '127.0.0.1', port: 9000 }] } }),
  ];
}

export function gatewayDoc(name: string, listeners: Doc[]): Doc {
  return { apiVersion: GATEWAY_API, kind: 'Gateway', metadata: { name, namespace: NS }, spec: { gatewayClassName: 'portico', listeners } };
}

export function upstreamDoc(name: string, spec: Doc): Doc {
  return { apiVersion: 'gloo.solo.io/v1', kind: 'Upstream', metadata: { name, namespace: NS }, spec };
}

export const toUpstream = (name = 'up'): Doc => ({ group: 'gloo.solo.io', kind: 'Upstream', name });

/** An HTTPRoute on `gw` for `<id>.corpus.test` with one rule (backend: the shared upstream unless the rule says). */
export function httpRoute(id: string, rule: Doc = {}, spec: Doc = {}, parent = 'gw'): Doc {
  return {
    apiVersion: GATEWAY_API,
    kind: 'HTTPRoute',
    metadata: { name: id, namespace: NS },
    spec: { parentRefs: [{ name: parent }], hostnames: [`${id}.corpus.test`], rules: [{ backendRefs: [toUpstream()], ...rule }], ...spec },
  };
}

export function grpcRoute(id: string, rule: Doc = {}): Doc {
  return {
    apiVersion: GATEWAY_API,
    kind: 'GRPCRoute',
    metadata: { name: id, namespace: NS },
    spec: { parentRefs: [{ name: 'gw' }], hostnames: [`${id}.corpus.test`], rules: [{ backendRefs: [toUpstream()], ...rule }] },
  };
}

/** A RouteOption with these options on its own HTTPRoute. */
export function routeOption(id: string, options: Doc, extra: Doc[] = []): Doc[] {
  return [
    { apiVersion: 'gateway.solo.io/v1', kind: 'RouteOption', metadata: { name: id, namespace: NS }, spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: id }], options } },
    httpRoute(id),
    ...extra,
  ];
}

/** A VirtualHostOption on its own Gateway (its own port), with a route so that there is a virtual host. */
export function virtualHostOption(id: string, options: Doc, port: number): Doc[] {
  return [
    { apiVersion: 'gateway.solo.io/v1', kind: 'VirtualHostOption', metadata: { name: id, namespace: NS }, spec: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: id }], options } },
    gatewayDoc(id, [{ name: 'http', protocol: 'HTTP', port }]),
    httpRoute(id, {}, {}, id),
  ];
}

/** An Upstream with this spec and a route to it (an unused Upstream would not reach Envoy). */
export function upstreamWithRoute(id: string, spec: Doc): Doc[] {
  return [upstreamDoc(id, spec), httpRoute(id, { backendRefs: [toUpstream(id)] })];
}

export function upstreamGroup(id: string, spec: Doc): Doc[] {
  return [
    { apiVersion: 'gloo.solo.io/v1', kind: 'UpstreamGroup', metadata: { name: id, namespace: NS }, spec },
    httpRoute(id, { backendRefs: [{ group: 'gloo.solo.io', kind: 'UpstreamGroup', name: id }] }),
  ];
}

export function directResponse(id: string, spec: Doc): Doc[] {
  return [
    { apiVersion: 'gateway.solo.io/v1alpha1', kind: 'DirectResponse', metadata: { name: id, namespace: NS }, spec },
    httpRoute(id, { backendRefs: undefined, filters: [{ type: 'ExtensionRef', extensionRef: { group: 'gateway.solo.io', kind: 'DirectResponse', name: id } }] }),
  ];
}

export function authConfig(id: string, spec: Doc): Doc[] {
  return [
    { apiVersion: 'enterprise.gloo.solo.io/v1', kind: 'AuthConfig', metadata: { name: id, namespace: NS }, spec },
    ...routeOption(id, { extauth: { configRef: { name: id } } }),
  ];
}

export function rateLimitConfig(id: string, spec: Doc): Doc[] {
  return [
    { apiVersion: 'ratelimit.solo.io/v1alpha1', kind: 'RateLimitConfig', metadata: { name: id, namespace: NS }, spec },
    ...routeOption(id, { rateLimitConfigs: { refs: [{ name: id }] } }),
  ];
}
