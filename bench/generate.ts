// Synthetic resources for benchmarks: one Gateway, N HTTPRoutes over a handful of hostnames and Upstreams.
import type { Resource } from '../src/api/resource.ts';

export function syntheticResources(routes: number, opts: { port?: number; upstreamPort?: number } = {}): Resource[] {
  const meta = (name: string) => ({ name, namespace: 'default' });
  const out: Resource[] = [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'portico', namespace: '' }, spec: { controllerName: 'portico.dev/gateway-controller' } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: meta('gw'),
      spec: { gatewayClassName: 'portico', listeners: [{ name: 'http', protocol: 'HTTP', port: opts.port ?? 8080, allowedRoutes: { namespaces: { from: 'All' } } }] },
    },
  ];
  for (let u = 0; u < 10; u++) {
    out.push({ apiVersion: 'gloo.solo.io/v1', kind: 'Upstream', metadata: meta(`up-${u}`), spec: { static: { hosts: [{ addr: '127.0.0.1', port: opts.upstreamPort ?? 9000 + u }] } } });
  }
  for (let i = 0; i < routes; i++) out.push(syntheticRoute(i));
  return out;
}

export function syntheticRoute(i: number, path = `/svc-${i}`): Resource {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: `route-${i}`, namespace: 'default' },
    spec: {
      parentRefs: [{ name: 'gw' }],
      hostnames: [`host-${i % 20}.example.com`],
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: path }, headers: [{ name: 'x-tenant', value: `t${i % 7}` }] }],
          filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-route', value: String(i) }] } }],
          backendRefs: [{ group: 'gloo.solo.io', kind: 'Upstream', name: `up-${i % 10}` }],
        },
        { matches: [{ path: { type: 'Exact', value: `${path}/health` } }], backendRefs: [{ group: 'gloo.solo.io', kind: 'Upstream', name: `up-${(i + 1) % 10}` }] },
      ],
    },
  };
}

/** The YAML document a user would write for a resource (no empty namespace on cluster-scoped kinds). */
export function toDocument(r: Resource): Record<string, unknown> {
  const { namespace, ...meta } = r.metadata;
  return { apiVersion: r.apiVersion, kind: r.kind, metadata: namespace ? { ...meta, namespace } : meta, spec: r.spec };
}
