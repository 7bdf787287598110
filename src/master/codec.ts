// The seam between the master and the wire: Calls in, Events out, in the
// JSON form of ./types whatever the media type. Only this module knows
// encodings; the rest of the master sees Call and Event objects.
//
// Both media types go through the protobuf layer (src/proto): stout's JSON
// mapping for application/json, the binary codec for application/x-protobuf.
// Its messages hold 64-bit integers as bigint and bytes as Uint8Array; the
// master's hold numbers and base64 strings, as Mesos's JSON shows them, so
// each message is converted here, by the same schema. (64-bit values past
// 2^53 lose precision: the master only uses durations and times there.)
//
// The binary codec walks the schema and builds no protobufjs types, so the
// first protobuf Call costs no code generation (test/master-codec.test.ts
// checks that none is built).
import { decode, encode } from '../proto/binary';
import { ProtoError } from '../proto/errors';
import { parseJson, readJson, writeJson } from '../proto/json';
import { type FieldInfo, LONG_TYPES, type Message, type MessageInfo } from '../proto/schema';
import { Call as CallMessage, Event as EventMessage, v1Schema, v1Type } from '../proto/v1';
import type { Call, Event } from './types';

export const APPLICATION_JSON = 'application/json';
export const APPLICATION_PROTOBUF = 'application/x-protobuf';

export type MediaType = typeof APPLICATION_JSON | typeof APPLICATION_PROTOBUF;

/** A body that is not a Call; `message` is Mesos's whole sentence, for a 400. */
export class CallDecodeError extends Error {}

// ---------------------------------------------------------------------------
// The proto layer's form and the master's

type Scalar = (field: FieldInfo, value: unknown) => unknown;

/** A copy of `message` with each 64-bit and bytes value passed through `scalar`; other keys dropped. */
function convert(info: MessageInfo, message: Message, scalar: Scalar): Message {
  const out: Message = {};
  for (const key of Object.keys(message)) {
    const field = info.byName.get(key);
    const value = message[key];
    if (field === undefined || value === undefined || value === null) continue;
    const one = (element: unknown): unknown => {
      if (field.kind === 'message') {
        return typeof element === 'object' && element !== null ? convert(field.message(), element as Message, scalar) : element;
      }
      return field.type === 'bytes' || LONG_TYPES.has(field.type) ? scalar(field, element) : element;
    };
    if (field.key !== undefined && typeof value === 'object') {
      const map: Message = {};
      for (const [entry, inner] of Object.entries(value)) {
        Object.defineProperty(map, entry, { value: one(inner), enumerable: true, writable: true, configurable: true });
      }
      out[key] = map;
    } else {
      out[key] = Array.isArray(value) ? value.map(one) : one(value);
    }
  }
  return out;
}

/** The proto layer's values as the master's: bigint to number, bytes to base64. */
function toMaster(_field: FieldInfo, value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return value;
}

/** The master's values as the proto layer's; anything else is left for its writer to refuse. */
function toProto(field: FieldInfo, value: unknown): unknown {
  if (field.type === 'bytes') {
    if (typeof value !== 'string') return value;
    const bytes = Buffer.from(value, 'base64');
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  return typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : value;
}

const CALL = v1Schema.message(CallMessage.name);
const EVENT = v1Schema.message(EventMessage.name);

// ---------------------------------------------------------------------------

function decodeJsonCall(body: Buffer): Call {
  let value;
  try {
    value = parseJson(body.toString('utf8'));
  } catch (error) {
    if (error instanceof ProtoError) throw new CallDecodeError(`Failed to parse body into JSON: ${error.message}`);
    throw error;
  }
  try {
    return convert(CALL, readJson(CallMessage, value) as Message, toMaster) as Call;
  } catch (error) {
    if (error instanceof ProtoError) throw new CallDecodeError(`Failed to convert JSON into Call protobuf: ${error.message}`);
    throw error;
  }
}

function decodeProtobufCall(body: Buffer): Call {
  try {
    return convert(CALL, decode(CallMessage, body) as Message, toMaster) as Call;
  } catch (error) {
    // Mesos gives no reason (ParseFromString says only whether it parsed).
    if (error instanceof ProtoError) throw new CallDecodeError('Failed to parse body into Call protobuf');
    throw error;
  }
}

/** Decodes a request body of `contentType` (one of the two media types); throws CallDecodeError. */
export function decodeCall(body: Buffer, contentType: MediaType): Call {
  return contentType === APPLICATION_JSON ? decodeJsonCall(body) : decodeProtobufCall(body);
}

/**
 * Encodes an event for a stream of `contentType`: stout's JSON text, or
 * protobuf bytes. Throws a ProtoError for an event that is not a valid
 * Event (a required field missing, a value of the wrong type).
 */
export function encodeEvent(event: Event, contentType: MediaType): Buffer {
  const message = convert(EVENT, event as unknown as Message, toProto) as EventMessage;
  if (contentType === APPLICATION_JSON) return Buffer.from(writeJson(EventMessage, message), 'utf8');
  const bytes = encode(EventMessage, message);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Decodes an event written by encodeEvent (for clients and tests); throws a ProtoError. */
export function decodeEvent(record: Buffer, contentType: MediaType): Event {
  const message = contentType === APPLICATION_JSON ? readJson(EventMessage, parseJson(record.toString('utf8'))) : decode(EventMessage, record);
  return convert(EVENT, message as Message, toMaster) as unknown as Event;
}

/** Any mesos.v1 message of the master's (a Resource, say) as stout's JSON text. */
export function messageJson(name: string, message: object): string {
  const type = v1Type<Message>(`mesos.v1.${name}`);
  return writeJson(type, convert(v1Schema.message(type.name), message as Message, toProto));
}
