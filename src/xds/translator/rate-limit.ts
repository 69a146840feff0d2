// Envoy's global rate limiting: the ratelimit HTTP filter calling Portico's rate-limit service (a static HTTP/2
// cluster, over TCP or a Unix socket), and the `rate_limits` of routes and virtual hosts that make Envoy build
// the descriptors it sends. The filter sits on every listener once the service is configured, so adding or
// removing a limit changes RDS only.
import type { RateLimitActionIr, RateLimitHeaderMatcherIr, RateLimitPolicyIr } from '../../ir/types.ts';
import { parseHostPort } from '../../lib/address.ts';
import type { XdsObject } from '../resources.ts';
import { httpProtocol } from './cluster-options.ts';
import { duration } from './config-source.ts';
import { httpFilter, type HttpFilterPlugin } from './filter-plugin.ts';
import { serviceGrpc, serviceTransportSocket, type ServiceTransport } from './service-transport.ts';

/** The controller's `rateLimit` settings (portico.yaml), as far as Envoy is concerned. */
export interface RateLimitSettings {
  /** The service: `host:port` or `unix:/path`. */
  address: string;
  domain: string;
  /** Deny when the service cannot answer (Envoy's failure_mode_deny; the service fails closed too). */
  denyOnFail: boolean;
  /** Run before ext-auth (which then cannot see requests denied here). */
  beforeAuth: boolean;
  timeoutMs: number;
  /** X-RateLimit-Limit/Remaining/Reset on responses (Envoy's DRAFT_VERSION_03). */
  rateLimitHeaders: boolean;
  /** TLS and a token towards the service (`portico ratelimit --listen-tls-* --listen-token-file`). */
  transport?: ServiceTransport;
}

/** No '/' in it: Envoy sends the cluster name as the gRPC :authority, which Node's HTTP/2 server refuses with one. */
export const RATE_LIMIT_CLUSTER = 'portico_ratelimit';
/** Either side of ext_authz (order 150): after it by default, so limits may use what auth established. */
const ORDER_BEFORE_AUTH = 140;
const ORDER_AFTER_AUTH = 160;

const RATE_LIMIT_FILTER = 'envoy.filters.http.ratelimit';

/**
 * The filter and the service's cluster are there once the service is configured (`settings`); the routes' and
 * virtual hosts' `rate_limits` are translated either way.
 */
export function rateLimitPlugin(settings?: RateLimitSettings): HttpFilterPlugin {
  return {
    name: RATE_LIMIT_FILTER,
    order: settings?.beforeAuth ? ORDER_BEFORE_AUTH : ORDER_AFTER_AUTH,
    listenerFilters: () => (settings ? [httpFilter(RATE_LIMIT_FILTER, filterConfig(settings))] : []),
    virtualHost: (vh) => vh.rateLimits && { fields: { rate_limits: rateLimits(vh.rateLimits) } },
    route: (route, vh) =>
      route.rateLimits && {
        // Envoy's default lets a route's own rate limits replace its virtual host's; in Gloo both apply.
        ...(vh.rateLimits && { perFilter: includeHostRateLimits() }),
        fields: { rate_limits: rateLimits(route.rateLimits) },
      },
    clusters: () => (settings ? [rateLimitCluster(settings)] : []),
  };
}

function includeHostRateLimits(): XdsObject {
  return { [RATE_LIMIT_FILTER]: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute', vh_rate_limits: 'INCLUDE' } };
}

function filterConfig(s: RateLimitSettings): XdsObject {
  return {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.ratelimit.v3.RateLimit',
    domain: s.domain,
    failure_mode_deny: s.denyOnFail,
    timeout: duration(s.timeoutMs),
    ...(s.rateLimitHeaders && { enable_x_ratelimit_headers: 'DRAFT_VERSION_03' }),
    rate_limit_service: { grpc_service: serviceGrpc(RATE_LIMIT_CLUSTER, s.transport ?? {}), transport_api_version: 'V3' },
  };
}

/** A static cluster (a DNS name is resolved by Envoy) speaking HTTP/2 to the service. */
function rateLimitCluster(s: RateLimitSettings): XdsObject {
  const unix = s.address.startsWith('unix:') ? s.address.slice('unix:'.length) : undefined;
  const tcp = unix === undefined ? parseHostPort(s.address, 'rateLimit.address') : undefined;
  const address = tcp ? { socket_address: { address: tcp.host, port_value: tcp.port } } : { pipe: { path: unix } };
  const byName = tcp !== undefined && !/^[\d.]+$|:/.test(tcp.host);
  return {
    name: RATE_LIMIT_CLUSTER,
    type: byName ? 'STRICT_DNS' : 'STATIC',
    connect_timeout: duration(1000),
    load_assignment: { cluster_name: RATE_LIMIT_CLUSTER, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] },
    ...httpProtocol({ http2: true }),
    ...serviceTransportSocket(s.transport ?? {}),
  };
}

function rateLimits(policies: readonly RateLimitPolicyIr[]): XdsObject[] {
  return policies.map((p) => ({ actions: p.actions.map(action) }));
}

function action(a: RateLimitActionIr): XdsObject {
  if (a.genericKey) return { generic_key: { descriptor_value: a.genericKey.descriptorValue, ...(a.genericKey.descriptorKey && { descriptor_key: a.genericKey.descriptorKey }) } };
  if (a.requestHeaders) return { request_headers: { header_name: a.requestHeaders.headerName, descriptor_key: a.requestHeaders.descriptorKey } };
  if (a.remoteAddress) return { remote_address: {} };
  if (a.sourceCluster) return { source_cluster: {} };
  if (a.destinationCluster) return { destination_cluster: {} };
  if (a.headerValueMatch) {
    const m = a.headerValueMatch;
    return {
      header_value_match: {
        ...(m.descriptorKey && { descriptor_key: m.descriptorKey }),
        descriptor_value: m.descriptorValue,
        expect_match: { value: m.expectMatch ?? true },
        headers: m.headers.map(headerMatcher),
      },
    };
  }
  const m = a.metadata as NonNullable<RateLimitActionIr['metadata']>;
  return {
    metadata: {
      descriptor_key: m.descriptorKey,
      metadata_key: { key: m.metadataKey.key, path: m.metadataKey.path.map((p) => ({ key: p.key })) },
      ...(m.defaultValue !== undefined && { default_value: m.defaultValue }),
      source: m.source ?? 'DYNAMIC',
    },
  };
}

/** Gloo's (Envoy v2 style) header matcher → Envoy v3's, with a StringMatcher for the string forms. */
function headerMatcher(h: RateLimitHeaderMatcherIr): XdsObject {
  const out: XdsObject = { name: h.name, ...(h.invertMatch && { invert_match: true }) };
  if (h.exactMatch !== undefined) out.string_match = { exact: h.exactMatch };
  else if (h.regexMatch !== undefined) out.string_match = { safe_regex: { regex: h.regexMatch } };
  else if (h.prefixMatch !== undefined) out.string_match = { prefix: h.prefixMatch };
  else if (h.suffixMatch !== undefined) out.string_match = { suffix: h.suffixMatch };
  else if (h.rangeMatch) out.range_match = { start: h.rangeMatch.start, end: h.rangeMatch.end };
  else out.present_match = h.presentMatch ?? true;
  return out;
}
