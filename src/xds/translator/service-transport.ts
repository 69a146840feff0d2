// How Envoy reaches Portico's data-path services (ext-auth, rate-limit) when they serve TLS and require a token
// (`portico extauth|ratelimit --listen-tls-* --listen-token-file`): the clusters' TLS transport socket, with
// files on the Envoy host (nothing secret travels in xDS for TLS), and the gRPC calls' initial metadata.
import type { XdsObject } from '../resources.ts';
import { transportSocket } from './cluster-options.ts';

export interface ServiceTransport {
  /** Envoy connects over TLS. Paths on the Envoy host, absolute. */
  tls?: {
    /** Trusted for the service's certificate. */
    caFile: string;
    /** The client certificate Envoy presents (for a service with --listen-tls-ca). */
    certFile?: string;
    keyFile?: string;
    /** Sent as SNI and required among the certificate's SANs (default: the certificate is only checked against the CA). */
    serverName?: string;
  };
  /**
   * Sent by Envoy as `authorization: Bearer <token>` on every call. It travels to every Envoy in the listener
   * configuration (and shows in Envoy's config dump): serve xDS over TLS when using it.
   */
  token?: string;
}

/** The cluster fields for a service reached over TLS (HTTP/2 by ALPN); none in plaintext. */
export function serviceTransportSocket(t: ServiceTransport): XdsObject {
  if (!t.tls) return {};
  const { caFile, certFile, keyFile, serverName } = t.tls;
  return {
    transport_socket: transportSocket({
      caFile,
      ...(certFile && keyFile && { certFile, keyFile }),
      ...(serverName && { sni: serverName, verifySubjectAltNames: [serverName] }),
      alpnProtocols: ['h2'],
    }),
  };
}

/** A filter's `grpc_service` for the service's cluster, with the token as initial metadata. */
export function serviceGrpc(cluster: string, t: ServiceTransport, extra: XdsObject = {}): XdsObject {
  return {
    envoy_grpc: { cluster_name: cluster },
    ...extra,
    ...(t.token !== undefined && { initial_metadata: [{ key: 'authorization', value: `Bearer ${t.token}` }] }),
  };
}
