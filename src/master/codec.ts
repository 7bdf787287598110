// The seam between the master and the wire: Calls in, Events out, in the
// JSON form of ./types whatever the media type. Only this module knows
// encodings; the rest of the master sees Call and Event objects.
//
// application/json follows stout's rules (./codec/json-message).
// application/x-protobuf is accepted as a media type, but its binary codec
// is not here yet: a protobuf body is answered as one that does not parse.
import { ConversionError, type Fields, fromJson, toJson } from './codec/json-message';
import { JsonSyntaxError, parseJson } from './codec/json-text';
import { Call as CallSpec, Event as EventSpec } from './codec/schema-scheduler';
import type { Call, Event } from './types';

export const APPLICATION_JSON = 'application/json';
export const APPLICATION_PROTOBUF = 'application/x-protobuf';

export type MediaType = typeof APPLICATION_JSON | typeof APPLICATION_PROTOBUF;

/** A body that is not a Call; `message` is Mesos's whole sentence, for a 400. */
export class CallDecodeError extends Error {}

function decodeJsonCall(body: Buffer): Call {
  let value;
  try {
    value = parseJson(body.toString('utf8'));
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new CallDecodeError(`Failed to parse body into JSON: ${error.message}`);
    throw error;
  }
  try {
    return fromJson(CallSpec, value) as Call;
  } catch (error) {
    if (error instanceof ConversionError) {
      throw new CallDecodeError(`Failed to convert JSON into Call protobuf: ${error.message}`);
    }
    throw error;
  }
}

function decodeProtobufCall(_body: Buffer): Call {
  throw new CallDecodeError('Failed to parse body into Call protobuf');
}

/** Decodes a request body of `contentType` (one of the two media types); throws CallDecodeError. */
export function decodeCall(body: Buffer, contentType: MediaType): Call {
  return contentType === APPLICATION_JSON ? decodeJsonCall(body) : decodeProtobufCall(body);
}

/**
 * Encodes an event for a stream of `contentType`. Streams are only opened
 * in JSON until the binary codec lands (see the scheduler endpoint).
 */
export function encodeEvent(event: Event, contentType: MediaType): Buffer {
  if (contentType !== APPLICATION_JSON) throw new Error(`No encoder for ${contentType}`);
  return Buffer.from(toJson(EventSpec, event as unknown as Fields), 'utf8');
}

/** Which media types this build can write events in. */
export function canEncode(contentType: MediaType): boolean {
  return contentType === APPLICATION_JSON;
}

/** Decodes an event written by encodeEvent (for clients and tests). */
export function decodeEvent(record: Buffer, contentType: MediaType): Event {
  if (contentType !== APPLICATION_JSON) throw new Error(`No decoder for ${contentType}`);
  return fromJson(EventSpec, parseJson(record.toString('utf8'))) as unknown as Event;
}
