// The explicit registry of the kinds Portico reads: group, served versions, scope, and the validator (a schema
// of the whole document, cross-field rules included). Nothing registers itself by being imported.
import { GATEWAY_GROUP, GLOO_ENTERPRISE_GROUP, GLOO_GATEWAY_GROUP, GLOO_GROUP, RATELIMIT_GROUP } from './resource.ts';
import { authConfigSpec } from './validate/auth-config.ts';
import { dnsLabel } from './validate/common.ts';
import { gatewayClassSpec, gatewaySpec } from './validate/gateway.ts';
import { upstreamGroupSpec, upstreamSpec } from './validate/gloo.ts';
import { directResponseSpec, routeOptionSpec, virtualHostOptionSpec } from './validate/gloo-options.ts';
import { grpcRouteSpec } from './validate/grpcroute.ts';
import { rateLimitConfigSpec } from './validate/ratelimit.ts';
import { httpRouteSpec } from './validate/httproute.ts';
import { referenceGrantSpec } from './validate/reference-grant.ts';
import { envelope, type EnvelopeOptions } from './validate/meta.ts';
import { list, obj, str, type ObjectSchema } from './validate/schema.ts';
import { closest } from './validate/suggest.ts';

export interface KindDef {
  /** API group; '' for the core group (`apiVersion: v1`). */
  group: string;
  versions: readonly string[];
  kind: string;
  namespaced: boolean;
  /** The validator: the schema of the whole document. */
  schema: ObjectSchema;
}

function define(group: string, versions: string[], opts: EnvelopeOptions): KindDef {
  return { group, versions, kind: opts.kind, namespaced: opts.namespaced, schema: envelope(opts) };
}

export const KINDS: readonly KindDef[] = [
  define(GATEWAY_GROUP, ['v1', 'v1beta1'], { kind: 'GatewayClass', namespaced: false, spec: gatewayClassSpec }),
  define(GATEWAY_GROUP, ['v1', 'v1beta1'], { kind: 'Gateway', namespaced: true, spec: gatewaySpec }),
  define(GATEWAY_GROUP, ['v1', 'v1beta1'], { kind: 'HTTPRoute', namespaced: true, spec: httpRouteSpec }),
  define(GATEWAY_GROUP, ['v1'], { kind: 'GRPCRoute', namespaced: true, spec: grpcRouteSpec }),
  define(GATEWAY_GROUP, ['v1beta1', 'v1'], { kind: 'ReferenceGrant', namespaced: true, spec: referenceGrantSpec }),
  // Only its labels matter (allowedRoutes selectors); a Namespace needs no document unless it has labels.
  define('', ['v1'], { kind: 'Namespace', namespaced: false, spec: obj({ finalizers: list(str()) }), specRequired: false, name: dnsLabel('namespace name') }),
  define(GLOO_GROUP, ['v1'], { kind: 'Upstream', namespaced: true, spec: upstreamSpec }),
  define(GLOO_GROUP, ['v1'], { kind: 'UpstreamGroup', namespaced: true, spec: upstreamGroupSpec }),
  define(GLOO_GATEWAY_GROUP, ['v1'], { kind: 'RouteOption', namespaced: true, spec: routeOptionSpec }),
  define(GLOO_GATEWAY_GROUP, ['v1alpha1'], { kind: 'DirectResponse', namespaced: true, spec: directResponseSpec }),
  define(GLOO_GATEWAY_GROUP, ['v1'], { kind: 'VirtualHostOption', namespaced: true, spec: virtualHostOptionSpec }),
  define(GLOO_ENTERPRISE_GROUP, ['v1'], { kind: 'AuthConfig', namespaced: true, spec: authConfigSpec }),
  define(RATELIMIT_GROUP, ['v1alpha1'], { kind: 'RateLimitConfig', namespaced: true, spec: rateLimitConfigSpec }),
];

export function apiVersionsOf(def: KindDef): string[] {
  return def.versions.map((v) => (def.group ? `${def.group}/${v}` : v));
}

export type KindLookup = { def: KindDef } | { field: 'apiVersion' | 'kind'; message: string };

/** The definition serving this apiVersion and kind, or why there is none (naming the field at fault). */
export function lookupKind(apiVersion: string, kind: string): KindLookup {
  const def = KINDS.find((d) => d.kind === kind && apiVersionsOf(d).includes(apiVersion));
  if (def) return { def };
  const sameKind = KINDS.find((d) => d.kind === kind);
  if (sameKind) {
    return { field: 'apiVersion', message: `${kind} is not served at apiVersion ${apiVersion}; use ${apiVersionsOf(sameKind).join(' or ')}` };
  }
  const guess = closest(kind, KINDS.map((d) => d.kind));
  const hint = guess ? ` (did you mean ${guess}?)` : '';
  return { field: 'kind', message: `unknown kind ${kind} (apiVersion ${apiVersion})${hint}; known kinds: ${knownKinds()}` };
}

/** `GatewayClass, Gateway, HTTPRoute (gateway.networking.k8s.io/v1, v1beta1); Namespace (v1); …` */
function knownKinds(): string {
  const byVersions = new Map<string, string[]>();
  for (const d of KINDS) {
    const versions = `${d.group ? `${d.group}/` : ''}${d.versions.join(', ')}`;
    byVersions.set(versions, [...(byVersions.get(versions) ?? []), d.kind]);
  }
  return [...byVersions].map(([versions, kinds]) => `${kinds.join(', ')} (${versions})`).join('; ');
}
