// The binary codec: protobufjs's wire reader and writer (its light build),
// driven by our descriptors. protobufjs types are built from the schema on
// first use; messages are converted on the way in and out, so that callers
// see the same form as the JSON mapping gives: fields by .proto name, enums
// by name, 64-bit integers as bigint, bytes as Uint8Array.
//
// protobufjs checks wire types, lengths and nesting depth; we check
// required fields ourselves, with protobuf's paths, after decoding and
// before encoding. As protobuf does for proto2, an enum number the schema
// doesn't know is dropped (from a repeated field, element by element).
// Unknown fields are dropped too. Any failure is a one-line ProtoError.
import Long from 'long';
import protobuf from 'protobufjs/light';
import { oneLine, ProtoError, shown } from './errors';
import { checkRequired, type FieldInfo, LONG_TYPES, type Message, type MessageInfo, type MessageType, type Schema } from './schema';

// 64-bit values decode to Long (exact), never to a lossy number.
protobuf.util.Long = Long;
protobuf.configure();

type Json = { [key: string]: unknown };

const roots = new WeakMap<Schema, protobuf.Root>();

/** The protobufjs types of a schema: every message and enum, by full name. */
function rootOf(schema: Schema): protobuf.Root {
  const known = roots.get(schema);
  if (known !== undefined) return known;
  const top: Json = { nested: {} };
  const node = (name: string): Json => {
    let at = top;
    for (const part of name.split('.')) {
      const nested = (at.nested ??= {}) as Json;
      at = (nested[part] ??= {}) as Json;
    }
    return at;
  };
  for (const name of schema.messageNames()) {
    const info = schema.message(name);
    const fields: Json = {};
    const oneofs: { [name: string]: { oneof: string[] } } = {};
    for (const field of info.fields) {
      const type = field.kind === 'scalar' ? field.type : `.${field.type}`;
      // Required fields go to protobufjs as optional: the check is ours.
      const json: Json = { type, id: field.number };
      if (field.key !== undefined) json.keyType = field.key;
      else if (field.repeated) json.rule = 'repeated';
      if (field.packed) json.options = { packed: true };
      fields[field.name] = json;
      if (field.oneof !== undefined) (oneofs[field.oneof] ??= { oneof: [] }).oneof.push(field.name);
    }
    // proto2: repeated scalars unpacked unless the field says otherwise.
    Object.assign(node(name), { edition: 'proto2', fields, ...(Object.keys(oneofs).length > 0 ? { oneofs } : {}) });
  }
  for (const [name, values] of enumsOf(schema)) Object.assign(node(name), { edition: 'proto2', values });
  const root = protobuf.Root.fromJSON(top as protobuf.INamespace);
  root.resolveAll();
  roots.set(schema, root);
  return root;
}

function enumsOf(schema: Schema): Map<string, { [name: string]: number }> {
  const enums = new Map<string, { [name: string]: number }>();
  for (const name of schema.messageNames()) {
    for (const field of schema.message(name).fields) {
      if (field.kind === 'enum' && !enums.has(field.type)) enums.set(field.type, Object.fromEntries(field.enumInfo!.numbers));
    }
  }
  return enums;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const RANGE32: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
};
const SIGNED64 = new Set(['int64', 'sint64', 'sfixed64']);

// ---------------------------------------------------------------------------
// Our form to protobufjs's

function toWire(info: MessageInfo, message: unknown, path: string): Json {
  if (!isObject(message)) throw new ProtoError(`Expecting a message for field '${shown(path)}'`, path);
  const out: Json = {};
  for (const field of info.fields) {
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    const at = path === '' ? field.name : `${path}.${field.name}`;
    if (field.key !== undefined) {
      if (!isObject(value)) throw new ProtoError(`Expecting an object for the map field '${shown(at)}'`, at);
      const map: Json = {};
      for (const key of Object.keys(value)) map[key] = toWireValue(field, value[key], `${at}['${key}']`);
      out[field.name] = map;
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw new ProtoError(`Expecting an array for field '${shown(at)}'`, at);
      out[field.name] = value.map((element: unknown, i) => toWireValue(field, element, `${at}[${i}]`));
    } else {
      out[field.name] = toWireValue(field, value, at);
    }
  }
  return out;
}

function toWireValue(field: FieldInfo, value: unknown, path: string): unknown {
  const wrong = (): ProtoError => new ProtoError(`Can't write ${typeof value} as ${field.type} for field '${shown(path)}'`, path);
  if (field.kind === 'message') return toWire(field.message(), value, path);
  if (field.kind === 'enum') {
    if (typeof value === 'string') {
      const number = field.enumInfo!.numbers.get(value);
      if (number === undefined) throw new ProtoError(`Failed to find enum for '${value}' in field '${shown(path)}'`, path);
      return number;
    }
    if (typeof value === 'number' && field.enumInfo!.names.has(value)) return value;
    throw wrong();
  }
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') throw wrong();
      return value;
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw wrong();
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw wrong();
      return value;
    case 'double':
    case 'float':
      if (typeof value !== 'number') throw wrong();
      return value;
    default: {
      if (LONG_TYPES.has(field.type)) {
        if (typeof value !== 'bigint' && !(typeof value === 'number' && Number.isInteger(value))) throw wrong();
        const big = BigInt(value);
        const fits = SIGNED64.has(field.type) ? BigInt.asIntN(64, big) === big : BigInt.asUintN(64, big) === big;
        if (!fits) throw new ProtoError(`Expecting a ${field.type} for field '${shown(path)}', not ${big}`, path);
        // protobufjs takes any {low, high} pair as a 64-bit value.
        return { low: Number(BigInt.asUintN(32, big)) | 0, high: Number(BigInt.asUintN(32, big >> 32n)) | 0 };
      }
      const [min, max] = RANGE32[field.type]!;
      if (typeof value !== 'number' || !Number.isInteger(value)) throw wrong();
      if (value < min || value > max) throw new ProtoError(`Expecting a ${field.type} for field '${shown(path)}', not ${value}`, path);
      return value;
    }
  }
}

// ---------------------------------------------------------------------------
// protobufjs's form to ours

const DROP = Symbol('drop');

function fromWire(info: MessageInfo, decoded: Json): Message {
  const message: Message = {};
  for (const field of info.fields) {
    if (!Object.prototype.hasOwnProperty.call(decoded, field.name)) continue;
    const value = decoded[field.name];
    if (value === undefined || value === null) continue;
    if (field.key !== undefined) {
      const map: Json = {};
      let entries = 0;
      for (const key of Object.keys(value as Json)) {
        const entry = fromWireValue(field, (value as Json)[key]);
        if (entry === DROP) continue;
        Object.defineProperty(map, key, { value: entry, enumerable: true, writable: true, configurable: true });
        entries++;
      }
      if (entries > 0) message[field.name] = map;
    } else if (field.repeated) {
      const list = (value as unknown[]).map((element) => fromWireValue(field, element)).filter((element) => element !== DROP);
      if (list.length > 0) message[field.name] = list;
    } else {
      const read = fromWireValue(field, value);
      if (read === DROP) continue;
      // Of two members of a oneof on the wire, keep one: the later declared.
      if (field.oneof !== undefined) for (const member of info.oneofs.get(field.oneof)!) delete message[member.name];
      message[field.name] = read;
    }
  }
  return message;
}

function fromWireValue(field: FieldInfo, value: unknown): unknown {
  if (field.kind === 'message') return fromWire(field.message(), value as Json);
  if (field.kind === 'enum') return field.enumInfo!.names.get(value as number) ?? DROP;
  if (LONG_TYPES.has(field.type)) {
    if (typeof value === 'number') return BigInt(value);
    const long = value as Long;
    const big = (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
    return SIGNED64.has(field.type) ? BigInt.asIntN(64, big) : big;
  }
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

// ---------------------------------------------------------------------------

function wireType(type: MessageType<unknown>): protobuf.Type {
  return rootOf(type.schema).lookupType(type.name);
}

/** Encodes `message` as protobuf bytes. Refuses a message that lacks required fields. */
export function encode<T>(type: MessageType<T>, message: T): Uint8Array {
  const info = type.schema.message(type.name);
  checkRequired(info, message as Message);
  const wire = toWire(info, message, '');
  try {
    return wireType(type).encode(wire).finish();
  } catch (error) {
    throw new ProtoError(`Failed to encode ${type.name}: ${oneLine(error)}`);
  }
}

/**
 * Decodes protobuf bytes into a message of `type`. Garbage, truncated
 * input and missing required fields all end in a one-line ProtoError
 * saying why.
 */
export function decode<T>(type: MessageType<T>, bytes: Uint8Array): T {
  const info = type.schema.message(type.name);
  let decoded: Json;
  try {
    decoded = wireType(type).decode(bytes) as unknown as Json;
  } catch (error) {
    const why = error instanceof RangeError && /call stack/i.test(error.message) ? 'nested too deeply' : oneLine(error);
    throw new ProtoError(`Invalid ${type.name}: ${why}`);
  }
  const message = fromWire(info, decoded);
  checkRequired(info, message);
  return message as T;
}
