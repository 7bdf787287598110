// JSON values to messages and messages to JSON text, by stout's rules
// (stout/protobuf.hpp):
//
// Reading: fields by their .proto names, visited in key order (a std::map);
// unknown names ignored; `null` leaves a field unset; a repeated field
// takes an array (nested arrays flatten) or a single value; enums by name,
// an unknown name in an optional or repeated field dropped, in a required
// one refused; bytes in base64; numbers, booleans and doubles also from
// strings ("5", "true", "Infinity"). Then every required field must be
// set: "Missing required fields: a.b, c[0].d", listed as protobuf lists
// them (this message's own fields in declaration order, then sub-messages
// by field number).
//
// Writing: fields in declaration order; set fields, non-empty repeated
// ones, and unset optional fields with a non-deprecated default; enums by
// name, bytes in base64, doubles with a fraction.
import { decodeBase64 } from './base64';
import { formatDouble, type JsonObject, jsonType, type JsonValue, parseJson } from './json-text';
import { quote } from '../text';
import { type FieldKind, type FieldSpec, isEnum, isMessage, type MessageSpec } from './schema';

/** A message in JSON form: field names to values (strings, numbers, booleans, arrays, messages). */
export type Fields = { [name: string]: unknown };

export class ConversionError extends Error {}

const INTEGER_KINDS = new Set(['int32', 'int64', 'uint32', 'uint64']);

const INTEGER_RANGE: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  int64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64],
};

function fieldByName(spec: MessageSpec, name: string): FieldSpec | undefined {
  return spec.fields.find((field) => field.name === name);
}

/** A JSON number or string as the number a field of `kind` holds. */
function toNumber(field: FieldSpec, kind: string, value: JsonValue): number {
  let number: number;
  if (typeof value === 'number') {
    number = value;
  } else if (typeof value === 'string') {
    if ((kind === 'double' || kind === 'float') && (value === 'Infinity' || value === '-Infinity')) {
      number = value === 'Infinity' ? Infinity : -Infinity;
    } else {
      let parsed: JsonValue;
      try {
        parsed = parseJson(value);
      } catch (error) {
        throw new ConversionError(
          `Failed to parse '${quote(value)}' as a JSON number for field '${field.name}': ${(error as Error).message}`,
        );
      }
      if (typeof parsed !== 'number') {
        throw new ConversionError(
          `Failed to parse '${quote(value)}' as a JSON number for field '${field.name}': Unexpected JSON type parsed`,
        );
      }
      number = parsed;
    }
  } else {
    throw notExpecting(field, value);
  }
  if (INTEGER_KINDS.has(kind)) {
    // A double too large for the field saturates (C++ leaves it undefined).
    const [low, high] = INTEGER_RANGE[kind]!;
    number = Number.isNaN(number) ? 0 : Math.min(high, Math.max(low, Math.trunc(number)));
  }
  if (kind === 'float') number = Math.fround(number);
  return number;
}

function notExpecting(field: FieldSpec, value: JsonValue): ConversionError {
  return new ConversionError(`Not expecting a JSON ${jsonType(value)} for field '${field.name}'`);
}

/** One JSON value for one (element of a) field; undefined when it is dropped. */
function convert(field: FieldSpec, kind: FieldKind, value: JsonValue): unknown {
  if (isMessage(kind)) {
    if (!(value instanceof Map)) throw notExpecting(field, value);
    return readMessage(kind.message(), value);
  }
  if (kind === 'opaque') {
    if (!(value instanceof Map)) throw notExpecting(field, value);
    return plain(value);
  }
  if (isEnum(kind)) {
    if (typeof value !== 'string') throw notExpecting(field, value);
    if (kind.enum.values.includes(value)) return value;
    if (field.label === 'required') throw new ConversionError(`Failed to find enum for '${quote(value)}'`);
    return undefined;
  }
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw notExpecting(field, value);
      return value;
    case 'bytes':
      if (typeof value !== 'string') throw notExpecting(field, value);
      try {
        return decodeBase64(value).toString('base64');
      } catch (error) {
        throw new ConversionError(`Failed to base64 decode bytes field '${field.name}': ${(error as Error).message}`);
      }
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value !== 'string') throw notExpecting(field, value);
      return parseBoolean(field, value);
    default:
      return toNumber(field, kind, value);
  }
}

function parseBoolean(field: FieldSpec, value: string): boolean {
  let parsed: JsonValue;
  try {
    parsed = parseJson(value);
  } catch (error) {
    throw new ConversionError(
      `Failed to parse '${quote(value)}' as a JSON boolean for field '${field.name}': ${(error as Error).message}`,
    );
  }
  if (typeof parsed !== 'boolean') {
    throw new ConversionError(
      `Failed to parse '${quote(value)}' as a JSON boolean for field '${field.name}': Unexpected JSON type parsed`,
    );
  }
  return parsed;
}

/** A JSON object with no schema (an opaque message) as plain objects and arrays. */
export function plain(value: JsonValue): unknown {
  if (value instanceof Map) {
    const out: Fields = Object.create(null) as Fields;
    for (const [key, inner] of value) out[key] = plain(inner);
    return out;
  }
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

function add(out: Fields, field: FieldSpec, value: JsonValue): void {
  if (value === null) return;
  if (field.label === 'map') {
    if (!(value instanceof Map)) throw notExpecting(field, value);
    const entries = (out[field.name] ?? Object.create(null)) as Fields;
    for (const [key, inner] of value) {
      if (inner === null) continue;
      const converted = convert(field, field.kind, inner);
      if (converted !== undefined) entries[key] = converted;
    }
    out[field.name] = entries;
    return;
  }
  if (Array.isArray(value)) {
    if (field.label !== 'repeated') throw new ConversionError(`Not expecting a JSON array for field '${field.name}'`);
    for (const element of value) add(out, field, element);
    return;
  }
  const converted = convert(field, field.kind, value);
  if (field.label === 'repeated') {
    const list = (out[field.name] ?? []) as unknown[];
    if (converted !== undefined) list.push(converted);
    out[field.name] = list;
  } else if (converted !== undefined) {
    out[field.name] = converted;
  }
}

function readMessage(spec: MessageSpec, object: JsonObject): Fields {
  const out: Fields = {};
  for (const key of [...object.keys()].sort()) {
    const field = fieldByName(spec, key);
    if (field !== undefined) add(out, field, object.get(key)!);
  }
  return out;
}

/** protobuf's list of unset required fields, with their paths. */
export function missingRequired(spec: MessageSpec, value: Fields, prefix = ''): string[] {
  const missing = spec.fields
    .filter((field) => field.label === 'required' && value[field.name] === undefined)
    .map((field) => prefix + field.name);
  const byNumber = [...spec.fields].sort((a, b) => a.number - b.number);
  for (const field of byNumber) {
    if (!isMessage(field.kind) || value[field.name] === undefined) continue;
    const inner = field.kind.message();
    if (field.label === 'repeated') {
      (value[field.name] as Fields[]).forEach((element, index) => {
        missing.push(...missingRequired(inner, element, `${prefix}${field.name}[${index}].`));
      });
    } else if (field.label === 'map') {
      // protobuf lists map entries by their index; ours are keyed.
      for (const [key, element] of Object.entries(value[field.name] as Fields)) {
        missing.push(...missingRequired(inner, element as Fields, `${prefix}${field.name}[${key}].value.`));
      }
    } else {
      missing.push(...missingRequired(inner, value[field.name] as Fields, `${prefix}${field.name}.`));
    }
  }
  return missing;
}

/** A JSON value (as parseJson gives it) as a message of `spec`; throws ConversionError. */
export function fromJson(spec: MessageSpec, value: JsonValue): Fields {
  if (!(value instanceof Map)) throw new ConversionError('Expecting a JSON object');
  const message = readMessage(spec, value);
  const missing = missingRequired(spec, message);
  if (missing.length > 0) throw new ConversionError(`Missing required fields: ${missing.join(', ')}`);
  return message;
}

function writeValue(kind: FieldKind, value: unknown): string {
  if (isMessage(kind)) return toJson(kind.message(), value as Fields);
  if (kind === 'opaque') return JSON.stringify(value ?? {});
  if (isEnum(kind)) return JSON.stringify(String(value));
  switch (kind) {
    case 'string':
    case 'bytes':
      return JSON.stringify(String(value));
    case 'bool':
      return value ? 'true' : 'false';
    case 'double':
    case 'float':
      return formatDouble(Number(value));
    default:
      return String(Math.trunc(Number(value)));
  }
}

/** A message of `spec` as stout's JSON text. */
export function toJson(spec: MessageSpec, value: Fields): string {
  const parts: string[] = [];
  for (const field of spec.fields) {
    const present = value[field.name];
    let text: string | undefined;
    if (field.label === 'repeated') {
      if (Array.isArray(present) && present.length > 0) {
        text = `[${present.map((element) => writeValue(field.kind, element)).join(',')}]`;
      }
    } else if (field.label === 'map') {
      const entries = present === undefined || present === null ? [] : Object.entries(present as Fields);
      if (entries.length > 0) {
        text = `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${writeValue(field.kind, inner)}`).join(',')}}`;
      }
    } else if (present !== undefined && present !== null) {
      text = writeValue(field.kind, present);
    } else if (field.default !== undefined && !field.deprecated) {
      text = writeValue(field.kind, field.default);
    }
    if (text !== undefined) parts.push(`${JSON.stringify(field.name)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}
