// The translator's view of its input: resources grouped by kind and looked up by namespace/name, plus the
// one way every stage reports a problem (file, line of the field, resource, field path).
import type { AuthConfigSpec } from '../api/auth-types.ts';
import type { SecretSpec } from '../api/core-types.ts';
import type { GatewayClassSpec, GatewaySpec, ReferenceGrantSpec, RouteSpec } from '../api/gateway-types.ts';
import type { DirectResponseSpec, RouteOptionSpec, UpstreamGroupSpec, UpstreamSpec, VirtualHostOptionSpec } from '../api/gloo-types.ts';
import type { RateLimitConfigSpec } from '../api/ratelimit-types.ts';
import { fieldSource, GATEWAY_GROUP, GLOO_ENTERPRISE_GROUP, GLOO_GATEWAY_GROUP, GLOO_GROUP, groupOf, RATELIMIT_GROUP, resourceId, resourceKey, type Resource } from '../api/resource.ts';
import { formatSource, type FieldProblem } from '../lib/errors.ts';
import { pkiRolePermission, type PkiRoleGrant, type PkiRolePermission } from './pki-roles.ts';
import { referencePermission, referenceRefusal, type RefRefusal } from './reference-grants.ts';

export interface ResourceIndex {
  classes: Resource<GatewayClassSpec>[];
  gateways: Resource<GatewaySpec>[];
  /** HTTPRoutes and GRPCRoutes. */
  routes: Resource<RouteSpec>[];
  upstreams: Resource<UpstreamSpec>[];
  upstream(namespace: string, name: string): Resource<UpstreamSpec> | undefined;
  /** A TLS Secret from the secret source. */
  secret(namespace: string, name: string): Resource<SecretSpec> | undefined;
  /** Every Secret (API keys are also found by label). */
  secrets: Resource<SecretSpec>[];
  authConfigs: Resource<AuthConfigSpec>[];
  upstreamGroups: Resource<UpstreamGroupSpec>[];
  upstreamGroup(namespace: string, name: string): Resource<UpstreamGroupSpec> | undefined;
  routeOptions: Resource<RouteOptionSpec>[];
  routeOption(namespace: string, name: string): Resource<RouteOptionSpec> | undefined;
  virtualHostOptions: Resource<VirtualHostOptionSpec>[];
  directResponses: Resource<DirectResponseSpec>[];
  directResponse(namespace: string, name: string): Resource<DirectResponseSpec> | undefined;
  rateLimitConfigs: Resource<RateLimitConfigSpec>[];
  rateLimitConfig(namespace: string, name: string): Resource<RateLimitConfigSpec> | undefined;
  /** A namespace's labels, with the `kubernetes.io/metadata.name` label Kubernetes gives every namespace. */
  namespaceLabels(namespace: string): Record<string, string>;
  /**
   * Why a reference from `referrer` (its own group and kind, its namespace) is refused: no ReferenceGrant in
   * the target's namespace permits it; undefined when permitted (always within one namespace). The one check
   * every cross-namespace reference goes through, before the target is looked up.
   */
  refusal: RefRefusal;
  /** Whether the controller's list (pki-roles.ts) lets a namespace use a Vault PKI role. */
  pkiRolePermitted: PkiRolePermission;
}

/**
 * Groups the resources by kind; a resource seen twice (same kind, namespace and name) keeps its first copy.
 * `pkiRoles` is the controller's list of who may use which Vault PKI role (default: pki-roles.ts).
 */
export function indexResources(resources: Resource[], problems: FieldProblem[], pkiRoles?: readonly PkiRoleGrant[]): ResourceIndex {
  const byKey = new Map<string, Resource>();
  for (const r of resources) {
    const first = byKey.get(resourceKey(r));
    if (first) problems.push(problemAt(r, 'metadata.name', `defined again; the first definition, at ${formatSource(first.source)}, is used`));
    else byKey.set(resourceKey(r), r);
  }
  const unique = [...byKey.values()];
  const ofKind = <S>(group: string, kind: string) => unique.filter((r) => groupOf(r.apiVersion) === group && r.kind === kind) as Resource<S>[];
  const upstreams = ofKind<UpstreamSpec>(GLOO_GROUP, 'Upstream');
  const upstreamGroups = ofKind<UpstreamGroupSpec>(GLOO_GROUP, 'UpstreamGroup');
  const byName = <S>(list: Resource<S>[]) => new Map(list.map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r]));
  const upstreamByName = byName(upstreams);
  const groupByName = byName(upstreamGroups);
  const secretList = ofKind<SecretSpec>('', 'Secret');
  const secrets = byName(secretList);
  const routeOptions = ofKind<RouteOptionSpec>(GLOO_GATEWAY_GROUP, 'RouteOption');
  const routeOptionByName = byName(routeOptions);
  const directResponses = ofKind<DirectResponseSpec>(GLOO_GATEWAY_GROUP, 'DirectResponse');
  const directResponseByName = byName(directResponses);
  const rateLimitConfigs = ofKind<RateLimitConfigSpec>(RATELIMIT_GROUP, 'RateLimitConfig');
  const rateLimitConfigByName = byName(rateLimitConfigs);
  const namespaces = new Map(ofKind<unknown>('', 'Namespace').map((n) => [n.metadata.name, n.metadata.labels ?? {}]));
  return {
    classes: ofKind(GATEWAY_GROUP, 'GatewayClass'),
    gateways: ofKind(GATEWAY_GROUP, 'Gateway'),
    routes: [...ofKind<RouteSpec>(GATEWAY_GROUP, 'HTTPRoute'), ...ofKind<RouteSpec>(GATEWAY_GROUP, 'GRPCRoute')],
    upstreams,
    upstream: (namespace, name) => upstreamByName.get(`${namespace}/${name}`),
    secret: (namespace, name) => secrets.get(`${namespace}/${name}`),
    secrets: secretList,
    authConfigs: ofKind<AuthConfigSpec>(GLOO_ENTERPRISE_GROUP, 'AuthConfig'),
    upstreamGroups,
    upstreamGroup: (namespace, name) => groupByName.get(`${namespace}/${name}`),
    routeOptions,
    routeOption: (namespace, name) => routeOptionByName.get(`${namespace}/${name}`),
    virtualHostOptions: ofKind<VirtualHostOptionSpec>(GLOO_GATEWAY_GROUP, 'VirtualHostOption'),
    directResponses,
    directResponse: (namespace, name) => directResponseByName.get(`${namespace}/${name}`),
    rateLimitConfigs,
    rateLimitConfig: (namespace, name) => rateLimitConfigByName.get(`${namespace}/${name}`),
    namespaceLabels: (namespace) => ({ ...namespaces.get(namespace), 'kubernetes.io/metadata.name': namespace }),
    refusal: referenceRefusal(referencePermission(ofKind<ReferenceGrantSpec>(GATEWAY_GROUP, 'ReferenceGrant'))),
    pkiRolePermitted: pkiRolePermission(pkiRoles),
  };
}

/** A problem with a field of a resource, located at the field's own line when the parser recorded it. */
export function problemAt(r: Resource, field: string, message: string): FieldProblem {
  const source = fieldSource(r, field);
  return { ...(source && { source }), resource: resourceId(r), field, message };
}
