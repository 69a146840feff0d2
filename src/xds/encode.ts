// Plain objects (proto field names, snake_case) to protobuf bytes and back, with the checks protobufjs
// leaves out: it silently drops unknown fields, turns an enum typo into the default value, encodes both
// members of a oneof, and packs an Any of an unloaded type as an empty message. Each of those becomes a
// ProtoError here that names the path of the offending field.
import protobuf from 'protobufjs';
import { ProtoError } from '../lib/errors.ts';
import { envoyRoot } from './protos.ts';

type Plain = Record<string, unknown>;

/** A packed `google.protobuf.Any`, as protobufjs encodes it. */
export interface AnyMessage {
  type_url: string;
  value: Uint8Array;
}

const ANY = '.google.protobuf.Any';
const DURATION = '.google.protobuf.Duration';
const WRAPPERS = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((t) => `.google.protobuf.${t}Value`),
);

// protobufjs computes `fullName` by walking the parents on every read; it is read several times per field
// encoded, which made it the hottest function in a 1,000-route push. Computed once per type instead.
const fullNames = new WeakMap<protobuf.ReflectionObject, string>();
function nameOf(type: protobuf.ReflectionObject): string {
  let name = fullNames.get(type);
  if (name === undefined) fullNames.set(type, (name = type.fullName));
  return name;
}

/** Encodes `obj` as the message `typeName`; nested `{'@type': …}` objects are packed as Any. */
export function encodeMessage(typeName: string, obj: Plain): Uint8Array {
  const type = lookupType(typeName, '');
  const prepared = prepareMessage(type, obj, '');
  return type.encode(type.fromObject(prepared)).finish();
}

/** Packs `{'@type': 'type.googleapis.com/<T>', ...fields of T}` into an Any. */
export function packAny(obj: Plain): AnyMessage {
  return prepareAny(obj, '');
}

/** Decodes bytes of `typeName` into a plain object: enums by name, 64-bit integers as numbers when exact
 * (strings otherwise), bytes as base64, and each Any unpacked to its `'@type'` form when its type is loaded. */
export function decodeMessage(typeName: string, bytes: Uint8Array): Plain {
  const type = lookupType(typeName, '');
  try {
    return toPlain(type, type.decode(bytes));
  } catch (err) {
    if (err instanceof ProtoError) throw err;
    throw new ProtoError(`cannot decode ${typeName}: ${(err as Error).message}`, { cause: err });
  }
}

// ---- encoding: check the plain object against the schema and pack each Any ----

function prepareMessage(type: protobuf.Type, value: unknown, path: string): Plain {
  if (nameOf(type) === ANY) return prepareAny(value, path) as unknown as Plain;
  const obj = expectObject(fromJsonMapping(type, value, path), path, nameOf(type).slice(1));
  const out: Plain = {};
  for (const [key, fieldValue] of Object.entries(obj)) {
    // protobufjs treats null like an absent field; so do we.
    if (fieldValue === undefined || fieldValue === null) continue;
    const field = type.fields[key];
    if (!field) throw unknownField(type, key, path);
    out[key] = prepareField(field, fieldValue, join(path, key));
  }
  checkOneofs(type, out, path);
  return out;
}

/** Accepts the proto3 JSON forms Envoy's own YAML uses: `true` for a BoolValue, `'1.5s'` for a Duration. */
function fromJsonMapping(type: protobuf.Type, value: unknown, path: string): unknown {
  if (WRAPPERS.has(nameOf(type)) && (typeof value !== 'object' || value instanceof Uint8Array)) return { value };
  if (nameOf(type) === DURATION && typeof value === 'string') return parseDuration(value, path);
  return value;
}

function parseDuration(text: string, path: string): Plain {
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!m) throw fieldError(path, `${describe(text)} is not a duration (write e.g. '1.5s' or {seconds: 1, nanos: 500000000})`);
  const sign = m[1] ? -1 : 1;
  return { seconds: sign * Number(m[2]), nanos: sign * Number((m[3] ?? '').padEnd(9, '0')) };
}

function prepareField(field: protobuf.Field, value: unknown, path: string): unknown {
  if (field instanceof protobuf.MapField) {
    const entries = Object.entries(expectObject(value, path, `map<${field.keyType}, ${field.type}>`));
    return Object.fromEntries(entries.map(([k, v]) => [k, prepareValue(field, v, `${path}[${JSON.stringify(k)}]`)]));
  }
  if (field.repeated) {
    if (!Array.isArray(value)) throw fieldError(path, `expected a list of ${field.type}, got ${describe(value)}`);
    return value.map((v, i) => prepareValue(field, v, `${path}[${i}]`));
  }
  return prepareValue(field, value, path);
}

function prepareValue(field: protobuf.Field, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return prepareMessage(resolved, value, path);
  if (resolved instanceof protobuf.Enum) checkEnum(resolved, value, path);
  else checkScalar(field.type, value, path);
  return value;
}

function prepareAny(value: unknown, path: string): AnyMessage {
  const obj = expectObject(value, path, 'google.protobuf.Any');
  if (typeof obj['@type'] === 'string') {
    const typeUrl = obj['@type'];
    const type = lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1), path);
    const { '@type': _, ...fields } = obj;
    const prepared = prepareMessage(type, fields, path);
    return { type_url: typeUrl, value: type.encode(type.fromObject(prepared)).finish() };
  }
  // An Any that is already packed (e.g. decoded from an unloaded type) passes through unchanged.
  if (typeof obj.type_url === 'string' && isBytes(obj.value) && Object.keys(obj).length === 2) {
    return { type_url: obj.type_url, value: typeof obj.value === 'string' ? Buffer.from(obj.value, 'base64') : obj.value };
  }
  const keys = Object.keys(obj).join(', ') || 'none';
  throw fieldError(path, `a google.protobuf.Any needs '@type': 'type.googleapis.com/<message type>' beside the fields of that type (found keys: ${keys})`);
}

function checkOneofs(type: protobuf.Type, obj: Plain, path: string): void {
  for (const oneof of type.oneofsArray) {
    const set = oneof.oneof.filter((name) => obj[name] !== undefined);
    if (set.length > 1) {
      throw fieldError(path, `${set.map((s) => `'${s}'`).join(' and ')} are members of oneof '${oneof.name}' of ${nameOf(type).slice(1)}; set only one`);
    }
  }
}

function checkEnum(enumType: protobuf.Enum, value: unknown, path: string): void {
  if (typeof value === 'string' && Object.hasOwn(enumType.values, value)) return;
  if (typeof value === 'number' && Object.hasOwn(enumType.valuesById, value)) return;
  const names = Object.keys(enumType.values);
  const shown = names.length > 12 ? [...names.slice(0, 12), '…'] : names;
  throw fieldError(path, `${describe(value)} is not a value of ${enumType.fullName.slice(1)} (one of ${shown.join(', ')})`);
}

const isNumber = (v: unknown) => typeof v === 'number';
const isInt = (v: unknown) => Number.isInteger(v);
const isUint = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const isInt64 = (v: unknown) => Number.isInteger(v) || (typeof v === 'string' && /^-?\d+$/.test(v)) || isLong(v);

/** protobufjs coerces mismatched scalars (`'abc'` becomes 0 in a port); we reject them instead. */
const SCALAR_CHECKS: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  bool: (v) => typeof v === 'boolean',
  bytes: isBytes,
  double: isNumber,
  float: isNumber,
  int32: isInt,
  sint32: isInt,
  sfixed32: isInt,
  uint32: isUint,
  fixed32: isUint,
  int64: isInt64,
  sint64: isInt64,
  sfixed64: isInt64,
  uint64: isInt64,
  fixed64: isInt64,
};

function checkScalar(protoType: string, value: unknown, path: string): void {
  const check = SCALAR_CHECKS[protoType];
  if (check && !check(value)) throw fieldError(path, `expected ${protoType}, got ${describe(value)}`);
}

function isLong(value: unknown): value is protobuf.Long {
  return typeof value === 'object' && value !== null && 'low' in value && 'high' in value && 'unsigned' in value;
}

function isBytes(value: unknown): value is Uint8Array | string {
  return value instanceof Uint8Array || typeof value === 'string';
}

function expectObject(value: unknown, path: string, what: string): Plain {
  if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)) return value as Plain;
  throw fieldError(path, `expected an object (${what}), got ${describe(value)}`);
}

function lookupType(name: string, path: string): protobuf.Type {
  const found = envoyRoot().lookup(name);
  if (found instanceof protobuf.Type) return found;
  throw fieldError(path, `message type '${name}' is not loaded; add its .proto file to ENVOY_PROTO_FILES in src/xds/protos.ts`);
}

function unknownField(type: protobuf.Type, key: string, path: string): ProtoError {
  const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const hint =
    key === '@type' ? " ('@type' belongs only in a google.protobuf.Any field)"
    : snake !== key && type.fields[snake] ? ` (did you mean '${snake}'? field names are snake_case)`
    : '';
  return fieldError(path, `unknown field '${key}' for ${nameOf(type).slice(1)}${hint}`);
}

function fieldError(path: string, message: string): ProtoError {
  return new ProtoError(path ? `${path}: ${message}` : message);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === undefined || typeof value === 'bigint') return String(value);
  const text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
  const short = text.length > 40 ? `${text.slice(0, 37)}…` : text;
  return Array.isArray(value) ? `a list ${short}` : short;
}

// ---- decoding: a protobufjs message to a plain object in the same shape encodeMessage takes ----

function toPlain(type: protobuf.Type, message: protobuf.Message): Plain {
  const msg = message as unknown as Plain;
  if (nameOf(type) === ANY) return unpackAny(msg.type_url as string, msg.value as Uint8Array);
  const out: Plain = {};
  for (const field of type.fieldsArray) {
    // Fields absent on the wire are not own properties (their defaults live on the prototype); repeated
    // and map fields always are, so skip them when empty.
    if (!Object.hasOwn(msg, field.name)) continue;
    const value = msg[field.name];
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries(value as Plain);
      if (entries.length) out[field.name] = Object.fromEntries(entries.map(([k, v]) => [k, plainValue(field, v)]));
    } else if (field.repeated) {
      if ((value as unknown[]).length) out[field.name] = (value as unknown[]).map((v) => plainValue(field, v));
    } else {
      out[field.name] = plainValue(field, value);
    }
  }
  return out;
}

function plainValue(field: protobuf.Field, value: unknown): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return toPlain(resolved, value as protobuf.Message);
  if (resolved instanceof protobuf.Enum) return resolved.valuesById[value as number] ?? value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (isLong(value)) return longToPlain(value);
  return value;
}

/** A number when it is exact, the decimal string otherwise (as proto3 JSON does for 64-bit integers). */
function longToPlain(long: protobuf.Long): number | string {
  const bits = (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
  const big = long.unsigned ? bits : BigInt.asIntN(64, bits);
  return Number.isSafeInteger(Number(big)) ? Number(big) : big.toString();
}

function unpackAny(typeUrl: string, value: Uint8Array): Plain {
  const type = envoyRoot().lookup(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  if (!(type instanceof protobuf.Type)) return { type_url: typeUrl, value: Buffer.from(value).toString('base64') };
  return { '@type': typeUrl, ...toPlain(type, type.decode(value)) };
}
