// The schema the protobuf layer is driven by: descriptors that build-proto.mjs
// makes from src/proto/**/*.proto at build time, linked here on first use.
// Nothing in the JSON mapping or the binary codec knows a message by hand.
import { ProtoError, shown } from './errors';

/** One field as build-proto.mjs describes it. */
export interface FieldDescriptor {
  name: string;
  number: number;
  /** A scalar type (`uint64`, `string`...), or the full name of a message or enum. */
  type: string;
  /** Absent for optional fields; a map field is 'repeated' with a `key`. */
  label?: 'required' | 'repeated';
  /** The key type of a map field. */
  key?: string;
  /** The declared default; 64-bit integers as strings. */
  default?: boolean | number | string;
  deprecated?: true;
  packed?: true;
  /** The oneof the field belongs to. */
  oneof?: string;
}

/** A set of .proto files: messages (fields in declaration order) and enums, by full name. */
export interface DescriptorSet {
  messages: Record<string, FieldDescriptor[]>;
  enums: Record<string, Record<string, number>>;
}

export type ScalarType =
  | 'double'
  | 'float'
  | 'int32'
  | 'int64'
  | 'uint32'
  | 'uint64'
  | 'sint32'
  | 'sint64'
  | 'fixed32'
  | 'fixed64'
  | 'sfixed32'
  | 'sfixed64'
  | 'bool'
  | 'string'
  | 'bytes';

const SCALARS: ReadonlySet<string> = new Set<ScalarType>([
  'double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes',
]);

/** Scalar types held as bigint. */
export const LONG_TYPES: ReadonlySet<string> = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

export interface EnumInfo {
  readonly name: string;
  readonly numbers: ReadonlyMap<string, number>;
  /** The first name of each number. */
  readonly names: ReadonlyMap<number, string>;
}

export interface FieldInfo {
  readonly name: string;
  readonly number: number;
  readonly type: string;
  readonly kind: 'scalar' | 'enum' | 'message';
  readonly repeated: boolean;
  readonly required: boolean;
  /** The key type of a map field (its values are described by the rest). */
  readonly key?: ScalarType;
  readonly default?: boolean | number | string;
  /** Written by the JSON writer when unset: a declared, non-deprecated default. */
  readonly writesDefault: boolean;
  readonly oneof?: string;
  readonly packed: boolean;
  /** The enum of an enum field. */
  readonly enumInfo?: EnumInfo;
  /** The message type of a message field (linked on first use). */
  message(): MessageInfo;
}

export interface MessageInfo {
  readonly name: string;
  /** In declaration order: the order the JSON writer follows. */
  readonly fields: readonly FieldInfo[];
  readonly byName: ReadonlyMap<string, FieldInfo>;
  readonly byNumber: ReadonlyMap<number, FieldInfo>;
  /** Each oneof's members. */
  readonly oneofs: ReadonlyMap<string, readonly FieldInfo[]>;
  /** Required fields, in declaration order. */
  readonly required: readonly FieldInfo[];
  /** Message fields, in field-number order: where protobuf looks for missing fields. */
  readonly nested: readonly FieldInfo[];
}

/** The messages and enums of some descriptor sets, linked lazily. */
export class Schema {
  private readonly messageDescriptors = new Map<string, FieldDescriptor[]>();
  private readonly enumDescriptors = new Map<string, Record<string, number>>();
  private readonly messages = new Map<string, MessageInfo>();
  private readonly enums = new Map<string, EnumInfo>();

  constructor(...sets: DescriptorSet[]) {
    for (const set of sets) {
      for (const [name, fields] of Object.entries(set.messages)) this.messageDescriptors.set(name, fields);
      for (const [name, values] of Object.entries(set.enums)) this.enumDescriptors.set(name, values);
    }
  }

  /** Every message's full name. */
  messageNames(): string[] {
    return [...this.messageDescriptors.keys()];
  }

  hasMessage(name: string): boolean {
    return this.messageDescriptors.has(name);
  }

  message(name: string): MessageInfo {
    const known = this.messages.get(name);
    if (known !== undefined) return known;
    const fields = this.messageDescriptors.get(name);
    if (fields === undefined) throw new ProtoError(`Unknown message type '${name}'`);
    const infos = fields.map((field) => this.link(name, field));
    const oneofs = new Map<string, FieldInfo[]>();
    for (const field of infos) {
      if (field.oneof === undefined) continue;
      const members = oneofs.get(field.oneof) ?? [];
      members.push(field);
      oneofs.set(field.oneof, members);
    }
    const info: MessageInfo = {
      name,
      fields: infos,
      byName: new Map(infos.map((field) => [field.name, field])),
      byNumber: new Map(infos.map((field) => [field.number, field])),
      oneofs,
      required: infos.filter((field) => field.required),
      nested: infos.filter((field) => field.kind === 'message').sort((a, b) => a.number - b.number),
    };
    this.messages.set(name, info);
    return info;
  }

  enum(name: string): EnumInfo {
    const known = this.enums.get(name);
    if (known !== undefined) return known;
    const values = this.enumDescriptors.get(name);
    if (values === undefined) throw new ProtoError(`Unknown enum type '${name}'`);
    const numbers = new Map(Object.entries(values));
    const names = new Map<number, string>();
    for (const [enumName, number] of numbers) if (!names.has(number)) names.set(number, enumName);
    const info: EnumInfo = { name, numbers, names };
    this.enums.set(name, info);
    return info;
  }

  private link(owner: string, field: FieldDescriptor): FieldInfo {
    const kind = SCALARS.has(field.type) ? 'scalar' : this.enumDescriptors.has(field.type) ? 'enum' : 'message';
    if (kind === 'message' && !this.messageDescriptors.has(field.type)) {
      throw new ProtoError(`Unknown type '${field.type}' of field '${owner}.${field.name}'`);
    }
    const schema = this;
    let message: MessageInfo | undefined;
    return {
      name: field.name,
      number: field.number,
      type: field.type,
      kind,
      repeated: field.label === 'repeated',
      required: field.label === 'required',
      ...(field.key === undefined ? {} : { key: field.key as ScalarType }),
      ...(field.default === undefined ? {} : { default: field.default }),
      writesDefault: field.default !== undefined && field.deprecated !== true,
      ...(field.oneof === undefined ? {} : { oneof: field.oneof }),
      packed: field.packed === true,
      ...(kind === 'enum' ? { enumInfo: this.enum(field.type) } : {}),
      message(): MessageInfo {
        message ??= schema.message(field.type);
        return message;
      },
    };
  }
}

/**
 * A message type with the TypeScript type of its messages: what the JSON
 * mapping and the binary codec take to know what they read or write.
 */
export interface MessageType<T> {
  readonly schema: Schema;
  readonly name: string;
  /** Never set: carries T. */
  readonly _message?: T;
}

export function messageType<T>(schema: Schema, name: string): MessageType<T> {
  if (!schema.hasMessage(name)) throw new ProtoError(`Unknown message type '${name}'`);
  return { schema, name };
}

// ---------------------------------------------------------------------------
// Required fields, with protobuf's paths (`tasks[0].task_id`)

/** A message as this layer holds it: fields by name, absent when unset. */
export type Message = { [field: string]: unknown };

function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * The paths of the required fields `message` lacks, as protobuf lists them:
 * a message's own first, in declaration order, then those of its set
 * message fields, in field-number order.
 */
export function missingRequired(info: MessageInfo, message: Message, prefix = '', found: string[] = []): string[] {
  for (const field of info.required) {
    if (message[field.name] === undefined) found.push(prefix + field.name);
  }
  for (const field of info.nested) {
    const value = message[field.name];
    if (value === undefined) continue;
    const inner = field.message();
    if (field.key !== undefined) {
      if (!isMessage(value)) continue;
      Object.keys(value).forEach((key, i) => {
        const entry = value[key];
        if (isMessage(entry)) missingRequired(inner, entry, `${prefix}${field.name}[${i}].value.`, found);
      });
    } else if (field.repeated) {
      if (!Array.isArray(value)) continue;
      value.forEach((element: unknown, i) => {
        if (isMessage(element)) missingRequired(inner, element, `${prefix}${field.name}[${i}].`, found);
      });
    } else if (isMessage(value)) {
      missingRequired(inner, value, `${prefix}${field.name}.`, found);
    }
  }
  return found;
}

/** Throws stout's "Missing required fields: ..." when `message` lacks any. */
export function checkRequired(info: MessageInfo, message: Message, prefix = ''): void {
  const missing = missingRequired(info, message, prefix);
  if (missing.length > 0) {
    const list = missing.slice(0, 10).map(shown);
    if (missing.length > 10) list.push(`and ${missing.length - 10} more`);
    throw new ProtoError(`Missing required fields: ${list.join(', ')}`, missing[0]);
  }
}
