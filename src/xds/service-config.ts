// Configuration for Portico's own data-path services (ext-auth, rate limit), streamed by the controller over
// the same ADS server as Envoy's config. Each service connects with its own node key, subscribes to
// SERVICE_CONFIG_TYPE_URL, and gets every item as a google.protobuf.Struct `{name, config}`: plain JSON,
// versioned, ACKed and NACKed like any xDS resource, over the same TLS and token as Envoy's streams.
// The items themselves (node keys, JSON, `{name, config}`) are the services' contract: contracts/service-config.ts.
import type { JsonObject, JsonValue, ServiceConfigItem } from '../contracts/service-config.ts';
import { TYPE_URLS, type NamedResource } from './resources.ts';

export const SERVICE_CONFIG_TYPE_URL = TYPE_URLS.serviceConfig;

/** The resources a service node is served: one Struct per item, its name inside as xDS asks. */
export function serviceConfigResources(items: readonly ServiceConfigItem[]): NamedResource[] {
  return items.map(({ name, config }) => ({ name, resource: toStruct({ name, config }) }));
}

/** The name an encoded item carries inside (the snapshot cache checks it matches the resource name). */
export function serviceConfigName(resource: Record<string, unknown>): unknown {
  const fields = resource.fields as Record<string, { stringValue?: unknown }> | undefined;
  return fields?.name?.stringValue;
}

/** Reads an item back from its decoded Struct; throws when it is not `{name, config}`. */
export function fromServiceConfigResource(resource: Record<string, unknown>): ServiceConfigItem {
  const value = fromStruct(resource);
  if (typeof value.name !== 'string' || !value.config || typeof value.config !== 'object' || Array.isArray(value.config)) {
    throw new TypeError('a service config resource must be a Struct {name: string, config: object}');
  }
  return { name: value.name, config: value.config };
}

// ---- JSON ↔ google.protobuf.Struct (protobufjs bundles these well-known types with camelCase field names) ----

type StructValue = Record<string, unknown>;

export function toStruct(obj: JsonObject): StructValue {
  return { fields: Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toValue(v)])) };
}

function toValue(v: JsonValue): StructValue {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v) };
}

export function fromStruct(struct: StructValue): JsonObject {
  const fields = (struct.fields ?? {}) as Record<string, StructValue>;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fromValue(v)]));
}

function fromValue(v: StructValue): JsonValue {
  if ('stringValue' in v) return v.stringValue as string;
  if ('numberValue' in v) return v.numberValue as number;
  if ('boolValue' in v) return v.boolValue as boolean;
  if ('listValue' in v) return (((v.listValue as StructValue).values ?? []) as StructValue[]).map(fromValue);
  if ('structValue' in v) return fromStruct(v.structValue as StructValue);
  return null;
}
