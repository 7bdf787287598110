// The JSON mapping of protobuf messages, with stout's rules: how Mesos reads
// a JSON body into a protobuf (`protobuf::parse`, stout/protobuf.hpp) and
// writes one out (`jsonify(JSON::Protobuf(...))`, the same file). One reader
// and one writer, both walking the schema; nothing here knows a message.
//
// Reading (stout's `internal::Parser`, field by field):
// - keys are field names as in the .proto; unknown keys are ignored, and
//   keys are visited in sorted order (stout's std::map), so that of two
//   members of a oneof the later one wins, as reflection's setter has it;
// - `null` leaves a field unset (inside an array too);
// - enums by name only: a number is "Not expecting a JSON number"; an
//   unknown name is dropped from an optional field, and from a repeated one
//   element by element, and is an error in a required field;
// - integers from JSON numbers or from strings holding one, doubles from
//   numbers, from number strings and from "Infinity"/"-Infinity"; booleans
//   from true/false or "true"/"false"; bytes from standard base64 (padding
//   optional, whitespace skipped, decoding stops at the first '=');
// - a repeated field takes an array, or a single value as one element; an
//   array inside it is taken element by element; a map takes an object;
// - then every required field must be set: "Missing required fields: ...",
//   with protobuf's paths (`task_infos[0].agent_id`).
// Where stout casts silently (1.5 or 2^40 into an int32, -1 into a uint64)
// we refuse: stout's cast is undefined or lossy there. Error messages keep
// stout's words, naming the field by its path rather than its bare name.
//
// `strict` (what `launch` reads with) refuses besides: unknown enum names
// anywhere, `null` and arrays inside arrays, single values for repeated
// fields, and number or boolean strings except digit strings for integers.
//
// Writing: fields in declaration order; repeated fields only when not
// empty; unset optional fields with a declared, non-deprecated default are
// written with it (`"shell":true`, `"failover_timeout":0.0`); doubles
// always with a fraction or an exponent (`15.0`, `1e21`), as rapidjson
// writes them; 64-bit integers as JSON numbers, exact; bytes as padded
// base64; enums by name. Infinities are written as the strings stout reads
// them from ("Infinity", "-Infinity"); NaN, which nothing reads, can't be
// written (stout would abort): an error.
import { clip, ProtoError, quote, shown } from './errors';
import {
  checkRequired,
  type FieldInfo,
  LONG_TYPES,
  type Message,
  type MessageInfo,
  type MessageType,
} from './schema';

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

// ---------------------------------------------------------------------------
// JSON text: JSON.parse loses integers past 2^53, so we parse it ourselves.

/** Nesting deeper than this is refused (stout's STOUT_JSON_MAX_DEPTH). */
export const MAX_JSON_DEPTH = 200;

const NUMBER_AT = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

/**
 * Parses JSON text. Integers beyond 2^53 come out as bigint, exactly;
 * other numbers as numbers. Errors are one line in picojson's words
 * ("syntax error at line 1 near: ..."), without a prefix (the master adds
 * "Failed to parse body into JSON: ").
 */
export function parseJson(text: string): JsonValue {
  const parser = new TextParser(text);
  parser.skipSpace();
  const value = parser.value(0);
  parser.skipSpace();
  if (parser.at < text.length) {
    throw new ProtoError(`Parsed JSON included non-whitespace trailing characters: ${quote(text.slice(parser.at))}`);
  }
  return value;
}

class TextParser {
  at = 0;

  constructor(private readonly text: string) {}

  skipSpace(): void {
    const text = this.text;
    let at = this.at;
    for (;;) {
      const c = text.charCodeAt(at);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) at++;
      else break;
    }
    this.at = at;
  }

  /** picojson's words, which stout passes on: the line, and the rest of it from the fault. */
  private unexpected(at = this.at): ProtoError {
    const text = this.text;
    let line = 1;
    for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) line++;
    const end = text.indexOf('\n', at);
    return new ProtoError(`syntax error at line ${line} near: ${clip(text.slice(at, end === -1 ? undefined : end))}`);
  }

  private expect(c: number): void {
    if (this.text.charCodeAt(this.at) !== c) throw this.unexpected();
    this.at++;
  }

  value(depth: number): JsonValue {
    const c = this.text.charCodeAt(this.at);
    switch (c) {
      case 0x7b:
        return this.object(depth + 1);
      case 0x5b:
        return this.array(depth + 1);
      case 0x22:
        return this.string();
      case 0x74:
        return this.literal('true', true);
      case 0x66:
        return this.literal('false', false);
      case 0x6e:
        return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
        throw this.unexpected();
    }
  }

  private literal<T>(word: string, value: T): T {
    for (let i = 0; i < word.length; i++, this.at++) {
      if (this.text.charCodeAt(this.at) !== word.charCodeAt(i)) throw this.unexpected();
    }
    return value;
  }

  private nest(depth: number): void {
    if (depth > MAX_JSON_DEPTH) throw this.unexpected();
    this.at++;
    this.skipSpace();
  }

  private object(depth: number): JsonObject {
    this.nest(depth);
    const object: JsonObject = {};
    if (this.text.charCodeAt(this.at) === 0x7d) {
      this.at++;
      return object;
    }
    for (;;) {
      if (this.text.charCodeAt(this.at) !== 0x22) throw this.unexpected();
      const key = this.string();
      this.skipSpace();
      this.expect(0x3a);
      this.skipSpace();
      const value = this.value(depth);
      // A later duplicate wins, as in stout; '__proto__' stays a plain key.
      if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
      else object[key] = value;
      this.skipSpace();
      const c = this.text.charCodeAt(this.at);
      this.at++;
      if (c === 0x2c) {
        this.skipSpace();
        continue;
      }
      if (c === 0x7d) return object;
      this.at--;
      throw this.unexpected();
    }
  }

  private array(depth: number): JsonValue[] {
    this.nest(depth);
    const array: JsonValue[] = [];
    if (this.text.charCodeAt(this.at) === 0x5d) {
      this.at++;
      return array;
    }
    for (;;) {
      array.push(this.value(depth));
      this.skipSpace();
      const c = this.text.charCodeAt(this.at);
      this.at++;
      if (c === 0x2c) {
        this.skipSpace();
        continue;
      }
      if (c === 0x5d) return array;
      this.at--;
      throw this.unexpected();
    }
  }

  private string(): string {
    const text = this.text;
    const start = this.at;
    let at = start + 1;
    let escaped = false;
    for (;;) {
      const c = text.charCodeAt(at);
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        at += 2;
        continue;
      }
      if (Number.isNaN(c)) {
        this.at = text.length;
        throw this.unexpected();
      }
      if (c < 0x20) {
        // picojson has read it: the line count includes a newline.
        this.at = at + 1;
        throw this.unexpected();
      }
      at++;
    }
    this.at = at + 1;
    if (!escaped) return text.slice(start + 1, at);
    try {
      return JSON.parse(text.slice(start, at + 1)) as string;
    } catch {
      throw this.unexpected(start);
    }
  }

  private number(): number | bigint {
    NUMBER_AT.lastIndex = this.at;
    const match = NUMBER_AT.exec(this.text);
    if (match === null) throw this.unexpected();
    const literal = match[0];
    this.at += literal.length;
    const value = Number(literal);
    if (!Number.isFinite(value)) throw new ProtoError('Value out of range');
    // Integers past 2^53 exactly (and without a cost that grows with absurd lengths).
    if (match[1] === undefined && match[2] === undefined && !Number.isSafeInteger(value) && literal.length <= 40) {
      return BigInt(literal);
    }
    return value;
  }
}

// ---------------------------------------------------------------------------
// Reading

export interface ReadOptions {
  /** Refuse what stout lets slip (see the top of this file): for `launch`. */
  strict?: boolean;
  /**
   * Where the value sits, as the start of every path in errors
   * (`launch_info`); a value that is not an object is then an error about
   * this field rather than "Expecting a JSON object".
   */
  root?: string;
}

/** What an unknown enum name in an optional or repeated field reads as. */
const DROP = Symbol('drop');
/** A field's value as read: a scalar, a message, or DROP. */
type Read = unknown;

const DIGITS = /^-?[0-9]+$/;
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The JSON type of a value, in stout's words. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'object':
      return 'object';
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return typeof value;
  }
}

function notExpecting(value: unknown, path: string): ProtoError {
  return new ProtoError(`Not expecting a JSON ${kindOf(value)} for field '${shown(path)}'`, path);
}

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

interface Range {
  min: bigint;
  max: bigint;
}
const RANGES: Record<string, Range> = {
  int32: { min: -(2n ** 31n), max: 2n ** 31n - 1n },
  sint32: { min: -(2n ** 31n), max: 2n ** 31n - 1n },
  sfixed32: { min: -(2n ** 31n), max: 2n ** 31n - 1n },
  uint32: { min: 0n, max: 2n ** 32n - 1n },
  fixed32: { min: 0n, max: 2n ** 32n - 1n },
  int64: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  sint64: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  sfixed64: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  uint64: { min: 0n, max: 2n ** 64n - 1n },
  fixed64: { min: 0n, max: 2n ** 64n - 1n },
};

const article = (type: string): string => (type.startsWith('int') ? `an ${type}` : `a ${type}`);

/** A map key from its JSON object key, in the key type's canonical form. */
function mapKey(field: FieldInfo, key: string, path: string): string {
  const type = field.key!;
  if (type === 'string') return key;
  if (type === 'bool') {
    if (key === 'true' || key === 'false') return key;
    throw new ProtoError(`Failed to parse '${quote(key)}' as a JSON boolean for field '${shown(path)}'`, path);
  }
  if (!DIGITS.test(key)) throw new ProtoError(`Failed to parse '${quote(key)}' as a JSON number for field '${shown(path)}'`, path);
  return String(integer(type, key, key, path));
}

/** An integer of protobuf type `type` from a JSON number or a numeric string. */
function integer(type: string, value: number | bigint | string, input: unknown, path: string): number | bigint {
  const range = RANGES[type]!;
  let big: bigint | undefined;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number') big = Number.isInteger(value) ? BigInt(value) : undefined;
  else {
    const negative = value.startsWith('-');
    const digits = value.slice(negative ? 1 : 0).replace(/^0+(?=[0-9])/, '');
    // More digits than any 64-bit value has: out of range, without parsing.
    if (digits.length <= 20) big = negative ? -BigInt(digits) : BigInt(digits);
  }
  if (big === undefined || big < range.min || big > range.max) {
    const given = typeof input === 'string' ? `'${quote(input)}'` : String(input);
    throw new ProtoError(`Expecting ${article(type)} for field '${shown(path)}', not ${given}`, path);
  }
  return LONG_TYPES.has(type) ? big : Number(big);
}

/** Standard base64 as stout decodes it. */
function base64(text: string, path: string): Uint8Array {
  let end = text.indexOf('=');
  if (end === -1) end = text.length;
  let clean = '';
  let from = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const alphabet =
      (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (alphabet) continue;
    // isspace() in the C locale
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) {
      clean += text.slice(from, i);
      from = i + 1;
      continue;
    }
    const character = String.fromCodePoint(text.codePointAt(i)!);
    throw new ProtoError(`Failed to base64 decode bytes field '${shown(path)}': Invalid character '${quote(character)}'`, path);
  }
  clean += text.slice(from, end);
  const buffer = Buffer.from(clean, 'base64');
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

class Reader {
  constructor(private readonly strict: boolean) {}

  message(info: MessageInfo, object: { [key: string]: unknown }, path: string): Message {
    const message: Message = {};
    for (const key of Object.keys(object).sort()) {
      const field = info.byName.get(key);
      if (field === undefined) continue;
      this.field(info, message, field, object[key], join(path, key));
    }
    return message;
  }

  private field(info: MessageInfo, message: Message, field: FieldInfo, value: unknown, path: string): void {
    if (value === null || value === undefined) return;
    if (field.key !== undefined) {
      this.map(message, field, value, path);
      return;
    }
    if (field.repeated) {
      if (!Array.isArray(value) && this.strict) throw notExpecting(value, path);
      this.elements(message, field, value, path);
      return;
    }
    if (Array.isArray(value)) throw notExpecting(value, path);
    const read = this.value(field, value, path);
    if (read === DROP) return;
    if (field.oneof !== undefined) {
      for (const member of info.oneofs.get(field.oneof)!) delete message[member.name];
    }
    message[field.name] = read;
  }

  /** Adds `value` (an array, or one value) to the repeated field. */
  private elements(message: Message, field: FieldInfo, value: unknown, path: string): void {
    if (value === null || value === undefined) {
      if (this.strict) throw notExpecting(null, path);
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const element: unknown = value[i];
        if (this.strict && Array.isArray(element)) throw notExpecting(element, `${path}[${i}]`);
        this.elements(message, field, element, `${path}[${i}]`);
      }
      return;
    }
    const read = this.value(field, value, path);
    if (read === DROP) return;
    const list = message[field.name] as Read[] | undefined;
    if (list === undefined) message[field.name] = [read];
    else list.push(read);
  }

  private map(message: Message, field: FieldInfo, value: unknown, path: string): void {
    if (Array.isArray(value)) {
      if (this.strict) throw notExpecting(value, path);
      value.forEach((element: unknown, i) => {
        if (element !== null) this.map(message, field, element, `${path}[${i}]`);
      });
      return;
    }
    if (!isObject(value)) throw notExpecting(value, path);
    let map = message[field.name] as { [key: string]: Read } | undefined;
    for (const key of Object.keys(value).sort()) {
      const entryPath = `${path}['${quote(key)}']`;
      const name = mapKey(field, key, entryPath);
      const entry: unknown = value[key];
      const read = entry === null ? this.zero(field) : this.value(field, entry, entryPath);
      if (read === DROP) continue;
      map ??= message[field.name] = {};
      Object.defineProperty(map, name, { value: read, enumerable: true, writable: true, configurable: true });
    }
  }

  /** A map value given as null: the value type's default. */
  private zero(field: FieldInfo): Read {
    if (field.kind === 'message') return {};
    if (field.kind === 'enum') return field.enumInfo!.names.values().next().value;
    return defaultOf(field, false);
  }

  private value(field: FieldInfo, value: unknown, path: string): Read {
    switch (typeof value) {
      case 'object':
        if (field.kind === 'message' && isObject(value)) return this.message(field.message(), value, path);
        throw notExpecting(value, path);
      case 'string':
        return this.fromString(field, value, path);
      case 'number':
      case 'bigint':
        return this.fromNumber(field, value, path);
      case 'boolean':
        if (field.type === 'bool') return value;
        throw notExpecting(value, path);
      default:
        throw notExpecting(value, path);
    }
  }

  private fromString(field: FieldInfo, value: string, path: string): Read {
    if (field.kind === 'enum') {
      if (field.enumInfo!.numbers.has(value)) return value;
      if (field.required || this.strict) {
        throw new ProtoError(`Failed to find enum for '${quote(value)}' in field '${shown(path)}'`, path);
      }
      return DROP;
    }
    if (field.kind === 'message') throw notExpecting(value, path);
    switch (field.type) {
      case 'string':
        return value;
      case 'bytes':
        return base64(value, path);
      case 'bool':
        if (this.strict) throw notExpecting(value, path);
        if (value === 'true') return true;
        if (value === 'false') return false;
        throw new ProtoError(`Failed to parse '${quote(value)}' as a JSON boolean for field '${shown(path)}'`, path);
      case 'double':
      case 'float':
        if (this.strict) throw notExpecting(value, path);
        if (value === 'Infinity') return Infinity;
        if (value === '-Infinity') return -Infinity;
        if (NUMBER.test(value)) return this.fromNumber(field, Number(value), path);
        throw new ProtoError(`Failed to parse '${quote(value)}' as a JSON number for field '${shown(path)}'`, path);
      default:
        if (DIGITS.test(value)) return integer(field.type, value, value, path);
        if (!this.strict && NUMBER.test(value)) return integer(field.type, Number(value), value, path);
        throw new ProtoError(`Failed to parse '${quote(value)}' as a JSON number for field '${shown(path)}'`, path);
    }
  }

  private fromNumber(field: FieldInfo, value: number | bigint, path: string): Read {
    if (field.kind !== 'scalar') throw notExpecting(value, path);
    switch (field.type) {
      case 'double':
        return Number(value);
      case 'float':
        return Math.fround(Number(value));
      case 'string':
      case 'bytes':
      case 'bool':
        throw notExpecting(value, path);
      default:
        return integer(field.type, value, value, path);
    }
  }
}

/**
 * Reads a message of `type` from a parsed JSON value with stout's rules
 * (see the top of this file), then checks its required fields. Throws a
 * one-line ProtoError.
 */
export function readJson<T>(type: MessageType<T>, value: unknown, options: ReadOptions = {}): T {
  const info = type.schema.message(type.name);
  const root = options.root ?? '';
  if (!isObject(value)) {
    if (root === '') throw new ProtoError('Expecting a JSON object');
    throw notExpecting(value, root);
  }
  const message = new Reader(options.strict === true).message(info, value, root);
  checkRequired(info, message, root === '' ? '' : `${root}.`);
  return message as T;
}

/** Parses JSON text and reads a message of `type` from it. */
export function readJsonText<T>(type: MessageType<T>, text: string, options: ReadOptions = {}): T {
  return readJson(type, parseJson(text), options);
}

// ---------------------------------------------------------------------------
// Writing

/** A double as rapidjson writes it: shortest round trip, never without a fraction or an exponent. */
export function formatDouble(value: number): string {
  if (Object.is(value, -0)) return '-0.0';
  const text = String(value).replace('e+', 'e');
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/** The declared default of `field` (or its type's zero value), as held in a message. */
function defaultOf(field: FieldInfo, declared = true): Read {
  const value = declared ? field.default : undefined;
  if (field.kind === 'enum') return value ?? field.enumInfo!.names.values().next().value;
  switch (field.type) {
    case 'string':
      return value ?? '';
    case 'bytes':
      return new TextEncoder().encode(String(value ?? ''));
    case 'bool':
      return value ?? false;
    case 'double':
    case 'float':
      return Number(value ?? 0);
    default:
      return LONG_TYPES.has(field.type) ? BigInt(value ?? 0) : Number(value ?? 0);
  }
}

class Writer {
  message(info: MessageInfo, message: unknown, path: string): string {
    if (!isObject(message)) throw new ProtoError(`Expecting a message for field '${shown(path)}'`, path);
    let text = '{';
    for (const field of info.fields) {
      const value = message[field.name];
      const fieldPath = join(path, field.name);
      let written: string | undefined;
      if (value === undefined || value === null) {
        if (field.writesDefault) written = this.value(field, defaultOf(field), fieldPath);
      } else if (field.key !== undefined) {
        if (!isObject(value)) throw new ProtoError(`Expecting an object for the map field '${shown(fieldPath)}'`, fieldPath);
        const keys = Object.keys(value);
        if (keys.length > 0) {
          written = `{${keys
            .map((key) => `${JSON.stringify(key)}:${this.value(field, value[key], `${fieldPath}['${quote(key)}']`)}`)
            .join(',')}}`;
        }
      } else if (field.repeated) {
        if (!Array.isArray(value)) throw new ProtoError(`Expecting an array for field '${shown(fieldPath)}'`, fieldPath);
        if (value.length > 0) {
          written = `[${value.map((element: unknown, i) => this.value(field, element, `${fieldPath}[${i}]`)).join(',')}]`;
        }
      } else {
        written = this.value(field, value, fieldPath);
      }
      if (written !== undefined) text += `${text.length > 1 ? ',' : ''}"${field.name}":${written}`;
    }
    return `${text}}`;
  }

  private value(field: FieldInfo, value: unknown, path: string): string {
    const wrong = (): ProtoError => {
      const given = typeof value === 'string' ? `string '${quote(value)}'` : kindOf(value);
      return new ProtoError(`Can't write ${given} as ${field.type} for field '${shown(path)}'`, path);
    };
    if (field.kind === 'message') return this.message(field.message(), value, path);
    if (field.kind === 'enum') {
      const names = field.enumInfo!;
      if (typeof value === 'string' && names.numbers.has(value)) return `"${value}"`;
      if (typeof value === 'number' && names.names.has(value)) return `"${names.names.get(value)!}"`;
      if (typeof value === 'string') throw new ProtoError(`Failed to find enum for '${quote(value)}' in field '${shown(path)}'`, path);
      throw wrong();
    }
    switch (field.type) {
      case 'string':
        if (typeof value !== 'string') throw wrong();
        return JSON.stringify(value);
      case 'bytes':
        if (!(value instanceof Uint8Array)) throw wrong();
        return `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"`;
      case 'bool':
        if (typeof value !== 'boolean') throw wrong();
        return value ? 'true' : 'false';
      case 'double':
      case 'float': {
        if (typeof value !== 'number' && typeof value !== 'bigint') throw wrong();
        const number = field.type === 'float' ? Math.fround(Number(value)) : Number(value);
        // stout can't write these (rapidjson refuses, and it aborts); its
        // reader takes the infinities as strings, so we write them so.
        if (Number.isNaN(number)) throw new ProtoError(`Can't write NaN as JSON for field '${shown(path)}'`, path);
        if (!Number.isFinite(number)) return number > 0 ? '"Infinity"' : '"-Infinity"';
        return formatDouble(number);
      }
      default: {
        if (typeof value === 'bigint') return value.toString();
        if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value).toString();
        throw wrong();
      }
    }
  }
}

/**
 * Writes `message` as JSON text, as stout's jsonify does (see the top of
 * this file). A message that lacks required fields is refused: what we
 * write must be what we would read.
 */
export function writeJson<T>(type: MessageType<T>, message: T): string {
  const info = type.schema.message(type.name);
  checkRequired(info, message as Message);
  return new Writer().message(info, message, '');
}
