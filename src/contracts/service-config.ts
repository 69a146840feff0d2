// What the controller streams to Portico's own services (ext-auth, rate limit) on the service config stream
// (xds/service-config.ts carries it as google.protobuf.Struct): who each service is, and the shape of an item.
// Shared by the controller, the ADS server and the services, so it lives below all of them.

/** Node keys of the services. Gateways are `<namespace>/<name>`; a Kubernetes name cannot hold ':'. */
export const SERVICE_NODE_KEYS = { extauth: 'portico:extauth', ratelimit: 'portico:ratelimit' } as const;

export type ServiceNodeKey = (typeof SERVICE_NODE_KEYS)[keyof typeof SERVICE_NODE_KEYS];

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** One named piece of a service's configuration (e.g. one AuthConfig). */
export interface ServiceConfigItem {
  name: string;
  config: JsonObject;
}
