// Envoy resources as plain objects in proto field names (snake_case), ready for protobufjs
// `Type.fromObject`. A nested `google.protobuf.Any` is written as `{'@type': 'type.googleapis.com/<T>', ...fields}`
// and packed by the encoder, which checks that <T> is loaded.

export const TYPE_URLS = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
  /** Not Envoy's: configuration of Portico's own services (see service-config.ts). */
  serviceConfig: 'type.googleapis.com/google.protobuf.Struct',
} as const;

export type TypeUrl = (typeof TYPE_URLS)[keyof typeof TYPE_URLS];

export type XdsObject = Record<string, unknown>;

/** A named Envoy resource of one type. */
export interface NamedResource {
  name: string;
  resource: XdsObject;
}

/** Everything one Envoy (one Gateway) is served, by type URL; each list sorted by name. */
export type XdsResources = Partial<Record<TypeUrl, NamedResource[]>>;
