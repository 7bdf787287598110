// The two content types of the v1 scheduler API, and how each writes a
// Call and reads an Event or a Response: JSON with stout's mapping, or
// protobuf bytes. Both go through the protobuf layer, so the messages are
// the same objects either way.
import { decode, encode } from '../proto/binary';
import { readJsonText, writeJson } from '../proto/json';
import { Call, Event, Response } from '../proto/v1';

export type ContentType = 'json' | 'protobuf';

export const MEDIA_TYPES: Readonly<Record<ContentType, string>> = {
  json: 'application/json',
  protobuf: 'application/x-protobuf',
};

export function encodeCall(type: ContentType, call: Call): Buffer {
  if (type === 'json') return Buffer.from(writeJson(Call, call), 'utf8');
  const bytes = encode(Call, call);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One record of a subscription's stream. Throws a ProtoError when it isn't an Event. */
export function decodeEvent(type: ContentType, record: Uint8Array): Event {
  return type === 'json' ? readJsonText(Event, Buffer.from(record).toString('utf8')) : decode(Event, record);
}

/** The body of a 200 answer to a call (RECONCILE_OPERATIONS). */
export function decodeResponse(type: ContentType, body: Uint8Array): Response {
  return type === 'json' ? readJsonText(Response, Buffer.from(body).toString('utf8')) : decode(Response, body);
}

/** Whether a Content-Type header names `type` (parameters aside). */
export function isMediaType(header: string | undefined, type: ContentType): boolean {
  return header !== undefined && header.split(';')[0]!.trim().toLowerCase() === MEDIA_TYPES[type];
}
