// The binary codec: protobufjs's wire reader and writer (its minimal
// build: varints, fixed widths, lengths), driven by our descriptors. Each
// message is walked field by field through the schema, as the JSON mapping
// walks it, so that callers see the same form: fields by .proto name,
// enums by name, 64-bit integers as bigint, bytes as Uint8Array. No code
// is generated at run time (protobufjs's own types would compile an
// encoder and a decoder per message on first use, tens of milliseconds
// that every start of a program would pay again).
//
// Written in field-number order, as C++ protobuf writes; repeated scalars
// unpacked unless the field says packed (proto2), and read either way. We
// check wire types, lengths and nesting depth, and required fields with
// protobuf's paths after decoding and before encoding. As protobuf does
// for proto2, an enum number the schema doesn't know is dropped (from a
// repeated field, element by element); unknown fields are skipped. Any
// failure is a one-line ProtoError.
import type Long from 'long';
import protobuf from 'protobufjs/minimal';
import { oneLine, ProtoError, shown } from './errors';
import { checkRequired, type FieldInfo, LONG_TYPES, type Message, type MessageInfo, type MessageType } from './schema';

// 64-bit values decode to Long (exact), never to a lossy number: the
// long.js that protobufjs loads itself, its dependency. Importing it here
// would bring in its ES module build too, a second copy.
if (!protobuf.util.Long) throw new Error('protobufjs found no long.js: 64-bit values would lose precision');

type Json = { [key: string]: unknown };
type Writer = protobuf.Writer;
type Reader = protobuf.Reader;

/** How deep messages may nest on the wire: protobuf's own default recursion limit. */
const MAX_DEPTH = 100;

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

/** The wire type of a scalar (or enum) type. */
function wireTypeOf(type: string, kind: FieldInfo['kind']): number {
  if (kind === 'message') return LENGTH_DELIMITED;
  if (kind === 'enum') return VARINT;
  switch (type) {
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return FIXED64;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return FIXED32;
    case 'string':
    case 'bytes':
      return LENGTH_DELIMITED;
    default:
      return VARINT;
  }
}

const byNumberOrder = new WeakMap<MessageInfo, readonly FieldInfo[]>();

function fieldsInNumberOrder(info: MessageInfo): readonly FieldInfo[] {
  let fields = byNumberOrder.get(info);
  if (fields === undefined) {
    fields = [...info.fields].sort((a, b) => a.number - b.number);
    byNumberOrder.set(info, fields);
  }
  return fields;
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
// Writing

/** A scalar (or enum number) as checked by toWireValue, written without its tag. */
function writeScalar(writer: Writer, type: string, kind: FieldInfo['kind'], value: unknown): void {
  if (kind === 'enum') {
    writer.int32(value as number);
    return;
  }
  switch (type) {
    case 'string': writer.string(value as string); return;
    case 'bytes': writer.bytes(value as Uint8Array); return;
    case 'bool': writer.bool(value as boolean); return;
    case 'double': writer.double(value as number); return;
    case 'float': writer.float(value as number); return;
    case 'int32': writer.int32(value as number); return;
    case 'sint32': writer.sint32(value as number); return;
    case 'uint32': writer.uint32(value as number); return;
    case 'fixed32': writer.fixed32(value as number); return;
    case 'sfixed32': writer.sfixed32(value as number); return;
    case 'int64': writer.int64(value as Long); return;
    case 'sint64': writer.sint64(value as Long); return;
    case 'uint64': writer.uint64(value as Long); return;
    case 'fixed64': writer.fixed64(value as Long); return;
    case 'sfixed64': writer.sfixed64(value as Long); return;
    default: throw new ProtoError(`Unknown field type ${type}`);
  }
}

const tag = (number: number, wireType: number): number => ((number << 3) | wireType) >>> 0;

/** One value of `field` (an element, for a repeated one), with its tag. */
function writeValue(writer: Writer, field: FieldInfo, value: unknown, path: string, depth: number): void {
  if (field.kind === 'message') {
    writer.uint32(tag(field.number, LENGTH_DELIMITED)).fork();
    writeMessage(writer, field.message(), value, path, depth + 1);
    writer.ldelim();
    return;
  }
  const wire = toWireValue(field, value, path);
  writer.uint32(tag(field.number, wireTypeOf(field.type, field.kind)));
  writeScalar(writer, field.type, field.kind, wire);
}

const mapEntries = new WeakMap<FieldInfo, { key: FieldInfo; value: FieldInfo }>();

/** A map field's entry, as the message protobuf makes of it: the key as field 1, the value as field 2. */
function entryFields(field: FieldInfo): { key: FieldInfo; value: FieldInfo } {
  let entry = mapEntries.get(field);
  if (entry === undefined) {
    entry = {
      key: { ...field, number: 1, type: field.key!, kind: 'scalar', repeated: false, key: undefined },
      value: { ...field, number: 2, repeated: false, key: undefined },
    };
    mapEntries.set(field, entry);
  }
  return entry;
}

/** A map key, from its JSON object form to the key type's value. */
function mapKey(field: FieldInfo, key: string, path: string): unknown {
  const type = field.key!;
  if (type === 'string') return key;
  if (type === 'bool') {
    if (key === 'true' || key === 'false') return key === 'true';
  } else if (/^-?[0-9]+$/.test(key)) {
    return toWireValue(entryFields(field).key, LONG_TYPES.has(type) ? BigInt(key) : Number(key), path);
  }
  throw new ProtoError(`Expecting a ${type} key for the map field '${shown(path)}', not '${key}'`, path);
}

function writeMessage(writer: Writer, info: MessageInfo, message: unknown, path: string, depth: number): void {
  if (!isObject(message)) throw new ProtoError(`Expecting a message for field '${shown(path)}'`, path);
  if (depth > MAX_DEPTH) throw new ProtoError(`Nested too deeply at field '${shown(path)}'`, path);
  for (const field of fieldsInNumberOrder(info)) {
    const value = message[field.name];
    if (value === undefined || value === null) continue;
    const at = path === '' ? field.name : `${path}.${field.name}`;
    if (field.key !== undefined) {
      if (!isObject(value)) throw new ProtoError(`Expecting an object for the map field '${shown(at)}'`, at);
      for (const key of Object.keys(value)) {
        const entryPath = `${at}['${key}']`;
        writer.uint32(tag(field.number, LENGTH_DELIMITED)).fork();
        writer.uint32(tag(1, wireTypeOf(field.key, 'scalar')));
        writeScalar(writer, field.key, 'scalar', mapKey(field, key, entryPath));
        writeValue(writer, entryFields(field).value, value[key], entryPath, depth);
        writer.ldelim();
      }
    } else if (field.repeated) {
      if (!Array.isArray(value)) throw new ProtoError(`Expecting an array for field '${shown(at)}'`, at);
      if (field.packed && field.kind !== 'message' && wireTypeOf(field.type, field.kind) !== LENGTH_DELIMITED) {
        if (value.length === 0) continue;
        writer.uint32(tag(field.number, LENGTH_DELIMITED)).fork();
        value.forEach((element: unknown, i) => writeScalar(writer, field.type, field.kind, toWireValue(field, element, `${at}[${i}]`)));
        writer.ldelim();
      } else {
        value.forEach((element: unknown, i) => writeValue(writer, field, element, `${at}[${i}]`, depth));
      }
    } else {
      writeValue(writer, field, value, at, depth);
    }
  }
}

/** A scalar (or enum) of ours, checked against its type, in the form protobufjs's writer takes. */
function toWireValue(field: FieldInfo, value: unknown, path: string): unknown {
  const wrong = (): ProtoError => new ProtoError(`Can't write ${typeof value} as ${field.type} for field '${shown(path)}'`, path);
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
// Reading

const DROP = Symbol('drop');

/** A scalar (or enum number) of `type`, as protobufjs's reader gives it. */
function readScalar(reader: Reader, type: string, kind: FieldInfo['kind']): unknown {
  if (kind === 'enum') return reader.int32();
  switch (type) {
    case 'string': return reader.string();
    case 'bytes': return reader.bytes();
    case 'bool': return reader.bool();
    case 'double': return reader.double();
    case 'float': return reader.float();
    case 'int32': return reader.int32();
    case 'sint32': return reader.sint32();
    case 'uint32': return reader.uint32();
    case 'fixed32': return reader.fixed32();
    case 'sfixed32': return reader.sfixed32();
    case 'int64': return reader.int64();
    case 'sint64': return reader.sint64();
    case 'uint64': return reader.uint64();
    case 'fixed64': return reader.fixed64();
    case 'sfixed64': return reader.sfixed64();
    default: throw new ProtoError(`Unknown field type ${type}`);
  }
}

/** One value of `field` whose tag said `wireType`: ours, or DROP for an enum number the schema doesn't know. */
function readValue(reader: Reader, field: FieldInfo, wireType: number, depth: number): unknown {
  const expected = wireTypeOf(field.type, field.kind);
  if (wireType !== expected) throw new Error(`wire type ${wireType} for field ${field.name}, expecting ${expected}`);
  if (field.kind === 'message') {
    const length = reader.uint32();
    return readMessage(reader, field.message(), reader.pos + length, depth + 1);
  }
  return fromWireValue(field, readScalar(reader, field.type, field.kind));
}

/** A map entry (key 1, value 2), each defaulted when absent, as protobuf does. */
function readMapEntry(reader: Reader, field: FieldInfo, depth: number): [string, unknown] {
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) throw new Error('index out of range');
  const entry = entryFields(field);
  let key: unknown;
  let value: unknown;
  while (reader.pos < end) {
    const at = reader.uint32();
    if (at >>> 3 === 1 && (at & 7) === wireTypeOf(field.key!, 'scalar')) key = readScalar(reader, field.key!, 'scalar');
    else if (at >>> 3 === 2) value = readValue(reader, entry.value, at & 7, depth);
    else reader.skipType(at & 7);
  }
  if (reader.pos !== end) throw new Error('map entry overruns its length');
  const keyText = String(key === undefined ? defaultScalar(field.key!) : fromWireValue(entry.key, key));
  if (value === undefined) value = field.kind === 'message' ? {} : field.kind === 'enum' ? (field.enumInfo!.names.get(0) ?? DROP) : defaultScalar(field.type);
  return [keyText, value];
}

function defaultScalar(type: string): unknown {
  if (type === 'string') return '';
  if (type === 'bytes') return new Uint8Array(0);
  if (type === 'bool') return false;
  return LONG_TYPES.has(type) ? 0n : 0;
}

function readMessage(reader: Reader, info: MessageInfo, end: number, depth: number): Message {
  if (depth > MAX_DEPTH) throw new Error('nested too deeply');
  if (end > reader.len) throw new Error('index out of range');
  const message: Message = {};
  while (reader.pos < end) {
    const at = reader.uint32();
    const number = at >>> 3;
    const wireType = at & 7;
    if (number === 0) throw new Error(`invalid tag ${at}`);
    const field = info.byNumber.get(number);
    if (field === undefined) {
      reader.skipType(wireType);
      continue;
    }
    if (field.key !== undefined) {
      if (wireType !== LENGTH_DELIMITED) throw new Error(`wire type ${wireType} for the map field ${field.name}`);
      const [key, value] = readMapEntry(reader, field, depth);
      if (value === DROP) continue;
      const map = (message[field.name] ??= {}) as Json;
      Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
    } else if (field.repeated) {
      const list = (message[field.name] ??= []) as unknown[];
      const expected = wireTypeOf(field.type, field.kind);
      if (wireType === LENGTH_DELIMITED && expected !== LENGTH_DELIMITED) {
        // Packed, whatever the field says: parsers take both forms.
        const length = reader.uint32();
        const packedEnd = reader.pos + length;
        if (packedEnd > end) throw new Error('index out of range');
        while (reader.pos < packedEnd) {
          const element = fromWireValue(field, readScalar(reader, field.type, field.kind));
          if (element !== DROP) list.push(element);
        }
        if (reader.pos !== packedEnd) throw new Error('packed field overruns its length');
      } else {
        const element = readValue(reader, field, wireType, depth);
        if (element !== DROP) list.push(element);
      }
    } else {
      const value = readValue(reader, field, wireType, depth);
      if (value === DROP) continue;
      // Of two members of a oneof on the wire, keep the last one read, as protobuf does.
      if (field.oneof !== undefined) for (const member of info.oneofs.get(field.oneof)!) delete message[member.name];
      message[field.name] = value;
    }
  }
  if (reader.pos !== end) throw new Error('index out of range');
  for (const field of info.fields) {
    const value = message[field.name];
    if (Array.isArray(value) && value.length === 0) delete message[field.name];
  }
  return message;
}

/** A scalar as protobufjs's reader gives it, in our form; DROP for an enum number the schema doesn't know. */
function fromWireValue(field: FieldInfo, value: unknown): unknown {
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

/** Encodes `message` as protobuf bytes. Refuses a message that lacks required fields. */
export function encode<T>(type: MessageType<T>, message: T): Uint8Array {
  const info = type.schema.message(type.name);
  checkRequired(info, message as Message);
  const writer = protobuf.Writer.create();
  writeMessage(writer, info, message, '', 0);
  try {
    return writer.finish();
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
  let message: Message;
  try {
    const reader = protobuf.Reader.create(bytes);
    message = readMessage(reader, info, reader.len, 0);
  } catch (error) {
    if (error instanceof ProtoError) throw error;
    const why = error instanceof RangeError && /call stack/i.test(error.message) ? 'nested too deeply' : oneLine(error);
    throw new ProtoError(`Invalid ${type.name}: ${why}`);
  }
  checkRequired(info, message);
  return message as T;
}
