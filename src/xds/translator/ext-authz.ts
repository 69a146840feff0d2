// External authorization: Envoy's ext_authz filter calling Portico's ext-auth service (gRPC, over TCP or a Unix
// socket). Two filters sit on every listener of a gateway that may need them, both off by default: one fails
// closed (403 when the service cannot answer), the other fails open (an AuthConfig's failureModeAllow), since
// Envoy sets failure_mode_allow per filter, not per route. Without a configured service the "fail-open" filter
// fails closed too: failureModeAllow covers a service that is down, not one nobody runs, so no route with an
// AuthConfig is ever served unchecked. A route or virtual host turns the right one on with its
// typed_per_filter_config, whose context extensions name the AuthConfig (and the route, for the service's log):
// attaching an AuthConfig then changes RDS only.
import { isIP } from 'node:net';
import { AUTH_CONFIG_EXTENSION, ROUTE_EXTENSION, type AuthRefIr } from '../../contracts/extauth.ts';
import type { GatewayIr } from '../../ir/types.ts';
import type { XdsObject } from '../resources.ts';
import { duration } from './config-source.ts';
import { httpFilter, type HttpFilter, type HttpFilterPlugin } from './filter-plugin.ts';
import { serviceGrpc, serviceTransportSocket, type ServiceTransport } from './service-transport.ts';

/** Where the ext-auth service listens: `unix:/path.sock` or `HOST:PORT`; and its TLS and token, if any. */
export interface ExtAuthTarget extends ServiceTransport {
  address: string;
}

/** No '/': Envoy sends the cluster name as the gRPC :authority, and gRPC servers refuse a '/' there. */
export const EXT_AUTH_CLUSTER = 'portico-extauth';
export const EXT_AUTHZ_FILTER = 'envoy.filters.http.ext_authz';
export const EXT_AUTHZ_FAIL_OPEN_FILTER = 'envoy.filters.http.ext_authz/fail-open';

const EXT_AUTHZ_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
const PER_ROUTE_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute';
/** Envoy's default (200 ms) is shorter than a cold bcrypt check or a JWKS fetch; the service's own timeouts are 5 s. */
const CHECK_TIMEOUT_MS = 6_000;

/**
 * The two filters (after CORS, whose preflights are answered without credentials; before buffering) on every
 * listener of a gateway when the service is configured or a route uses auth. Without a target, a gateway using auth
 * still gets them: their cluster then has no endpoint and both fail closed, so those routes deny (403) rather than
 * serve unchecked, failureModeAllow or not.
 */
export function extAuthzPlugin(target?: ExtAuthTarget): HttpFilterPlugin {
  // Asked twice per gateway (filters, cluster): its routes are scanned once.
  const scanned = new WeakMap<GatewayIr, boolean>();
  const active = (gw: GatewayIr): boolean => {
    if (target !== undefined) return true;
    let uses = scanned.get(gw);
    if (uses === undefined) scanned.set(gw, (uses = usesAuth(gw)));
    return uses;
  };
  return {
    name: EXT_AUTHZ_FILTER,
    order: 150,
    listenerFilters: (gw) => (active(gw) ? filters(target) : []),
    virtualHost: (vh) => vh.auth && { perFilter: authPerFilterConfig(vh.auth, vh.name) },
    route: (route) => route.auth && { perFilter: authPerFilterConfig(route.auth, route.name) },
    clusters: (gw) => (active(gw) ? [extAuthCluster(target)] : []),
  };
}

/**
 * The two filters, calling the service as `target` says. The second lets requests through on a failed check only
 * when there is a service to ask: without a target (a cluster without endpoints) both fail closed.
 */
function filters(target: ExtAuthTarget | undefined): HttpFilter[] {
  const transport: ServiceTransport = target ?? {};
  return [filter(EXT_AUTHZ_FILTER, false, transport), filter(EXT_AUTHZ_FAIL_OPEN_FILTER, target !== undefined, transport)];
}

function filter(name: string, failureModeAllow: boolean, transport: ServiceTransport): HttpFilter {
  const typedConfig = {
    '@type': EXT_AUTHZ_TYPE,
    grpc_service: serviceGrpc(EXT_AUTH_CLUSTER, transport, { timeout: duration(CHECK_TIMEOUT_MS) }),
    transport_api_version: 'V3',
    failure_mode_allow: failureModeAllow,
  };
  return httpFilter(name, typedConfig, true);
}

function usesAuth(gw: GatewayIr): boolean {
  const hosts = gw.listeners.flatMap((l) => [...l.virtualHosts, ...(l.tlsChains ?? []).flatMap((c) => c.virtualHosts)]);
  return hosts.some((vh) => vh.auth !== undefined || vh.routes.some((r) => r.auth !== undefined));
}

/** The per-filter configs of a route or virtual host (`name` is its IR name, passed on for the decision log). */
function authPerFilterConfig(auth: AuthRefIr, name: string): XdsObject {
  const off = { '@type': PER_ROUTE_TYPE, disabled: true };
  if ('disabled' in auth) return { [EXT_AUTHZ_FILTER]: off, [EXT_AUTHZ_FAIL_OPEN_FILTER]: off };
  const on = { '@type': PER_ROUTE_TYPE, check_settings: { context_extensions: { [AUTH_CONFIG_EXTENSION]: auth.config, [ROUTE_EXTENSION]: name } } };
  return auth.failureModeAllow ? { [EXT_AUTHZ_FILTER]: off, [EXT_AUTHZ_FAIL_OPEN_FILTER]: on } : { [EXT_AUTHZ_FILTER]: on, [EXT_AUTHZ_FAIL_OPEN_FILTER]: off };
}

/**
 * The cluster of the ext-auth service (HTTP/2 for gRPC). Without a target it has no endpoint: routes that
 * require auth are then denied, never let through.
 */
function extAuthCluster(target: ExtAuthTarget | undefined): XdsObject {
  const address = target && serviceAddress(target.address);
  const dns = address && 'socket_address' in address && !isIP(address.socket_address.address);
  return {
    name: EXT_AUTH_CLUSTER,
    type: dns ? 'STRICT_DNS' : 'STATIC',
    connect_timeout: duration(1000),
    load_assignment: { cluster_name: EXT_AUTH_CLUSTER, endpoints: [{ lb_endpoints: address ? [{ endpoint: { address } }] : [] }] },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        explicit_http_config: { http2_protocol_options: {} },
      },
    },
    ...serviceTransportSocket(target ?? {}),
  };
}

type Address = { pipe: { path: string } } | { socket_address: { address: string; port_value: number } };

function serviceAddress(address: string): Address {
  if (address.startsWith('unix:')) return { pipe: { path: address.slice('unix:'.length) } };
  const colon = address.lastIndexOf(':');
  return { socket_address: { address: address.slice(0, colon).replace(/^\[|\]$/g, ''), port_value: Number(address.slice(colon + 1)) } };
}
