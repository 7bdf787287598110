// RecordIO, the framing of the v1 APIs' event streams: each record is its
// length in bytes as decimal digits, a newline, then the record itself
// ("20\n{"type":"HEARTBEAT"}"). Chunks of a stream (HTTP chunks, socket
// reads) need not line up with records; the decoder takes them as they
// come.
//
// Unlike stout's decoder, which buffers a header until it finds a newline
// and takes any length numify accepts, ours refuses a header that is not
// digits as soon as it sees one, a header longer than 20 digits, and a
// length over its bound (MAX_RECORD_BYTES unless told otherwise), so a
// peer sending garbage costs us at most a few bytes of buffer. Once it has
// failed, the decoder stays failed, as stout's does.
import { ProtoError, quote } from './errors';

/**
 * The largest record the decoder takes by default: 64 MiB. An OFFERS event
 * for a large cluster runs to a few MiB; anything near this is a broken or
 * hostile stream.
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Enough digits for any length a 64-bit size could hold. */
const MAX_HEADER_DIGITS = 20;

const NEWLINE = 0x0a;

/** One record, framed: its length, a newline, its bytes (a string is taken as UTF-8). */
export function encodeRecord(record: Uint8Array | string): Buffer {
  const body = typeof record === 'string' ? Buffer.from(record, 'utf8') : record;
  return Buffer.concat([Buffer.from(`${body.length}\n`, 'ascii'), body]);
}

/** Splits a RecordIO stream into records, from chunks cut anywhere. */
export class RecordDecoder {
  private header = '';
  /** The record being filled, once its header is read. */
  private record: Buffer | undefined;
  private filled = 0;
  private failure: ProtoError | undefined;

  constructor(private readonly maxRecordBytes = MAX_RECORD_BYTES) {}

  /** The records that `chunk` completes, in order. Throws a ProtoError on garbage, then on every call. */
  push(chunk: Uint8Array): Buffer[] {
    if (this.failure !== undefined) throw this.failure;
    const records: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.record === undefined) {
        const c = chunk[at++]!;
        if (c === NEWLINE) {
          this.startRecord(records);
          continue;
        }
        if (c < 0x30 || c > 0x39) {
          this.fail(`Failed to decode length '${quote(this.header + String.fromCharCode(c))}': not a decimal number`);
        }
        this.header += String.fromCharCode(c);
        if (this.header.length > MAX_HEADER_DIGITS) {
          this.fail(`Failed to decode length '${quote(this.header)}...': more than ${MAX_HEADER_DIGITS} digits`);
        }
        continue;
      }
      const take = Math.min(chunk.length - at, this.record.length - this.filled);
      this.record.set(chunk.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === this.record.length) {
        records.push(this.record);
        this.record = undefined;
      }
    }
    return records;
  }

  /** Whether the stream may end here: between records. */
  get idle(): boolean {
    return this.failure === undefined && this.record === undefined && this.header === '';
  }

  /** Ends the stream: a record or header cut short is an error. */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.record !== undefined) {
      this.fail(`The stream ended inside a record: ${this.filled} of ${this.record.length} bytes`);
    }
    if (this.header !== '') this.fail(`The stream ended inside a record's length '${quote(this.header)}'`);
  }

  private startRecord(records: Buffer[]): void {
    if (this.header === '') this.fail("Failed to decode length '': no digits before the newline");
    const length = Number(this.header);
    if (length > this.maxRecordBytes) {
      this.fail(`Record length ${this.header} is over the limit of ${this.maxRecordBytes} bytes`);
    }
    this.header = '';
    if (length === 0) {
      records.push(Buffer.alloc(0));
      return;
    }
    this.record = Buffer.allocUnsafe(length);
    this.filled = 0;
  }

  private fail(message: string): never {
    this.failure = new ProtoError(message);
    this.record = undefined;
    throw this.failure;
  }
}
