// A subscription's event stream: the body of SUBSCRIBE's 200, a RecordIO
// stream of Events in chunks cut anywhere. Records are decoded as they
// complete; a record that is not an Event is reported and skipped (as
// Mesos's client does, "Failed to de-serialize event"), while a broken
// framing, the end of the body or the loss of the connection ends the
// stream, reported once, with Mesos's client's words where it has them.
import type { IncomingMessage } from 'node:http';
import { oneLine } from '../proto/errors';
import { RecordDecoder } from '../proto/recordio';
import { decodeEvent, type ContentType } from './content-type';
import type { Event } from './types';

export interface StreamHandlers {
  event(event: Event): void;
  /** A record that did not decode as an Event; the stream goes on. */
  undecodable(message: string): void;
  /** The stream is over, and why. Called at most once, never after close(). */
  broken(reason: string): void;
}

export const END_OF_FILE = 'End-Of-File received from master. The master closed the event stream';

export class EventStream {
  private readonly decoder = new RecordDecoder();
  private closed = false;

  constructor(
    private readonly res: IncomingMessage,
    private readonly type: ContentType,
    private readonly handlers: StreamHandlers,
  ) {
    res.on('data', (chunk: Buffer) => this.push(chunk));
    res.on('end', () => this.end(END_OF_FILE));
    res.on('error', (error) => this.end(`Subscribe connection interrupted: ${oneLine(error)}`));
    res.on('close', () => this.end('Subscribe connection interrupted'));
  }

  /** Stops reading and reporting; the connection is destroyed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.res.destroy();
  }

  private push(chunk: Buffer): void {
    if (this.closed) return;
    let records: Buffer[];
    try {
      records = this.decoder.push(chunk);
    } catch (error) {
      this.end(`Failed to decode the stream of events: ${oneLine(error)}`);
      return;
    }
    for (const record of records) {
      if (this.closed) return;
      let event: Event;
      try {
        event = decodeEvent(this.type, record);
      } catch (error) {
        this.handlers.undecodable(`Failed to de-serialize event: ${oneLine(error)}`);
        continue;
      }
      this.handlers.event(event);
    }
  }

  private end(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    let why = reason;
    if (reason === END_OF_FILE && !this.decoder.idle) {
      try {
        this.decoder.end();
      } catch (error) {
        why = `Failed to decode the stream of events: ${oneLine(error)}`;
      }
    }
    this.res.destroy();
    this.handlers.broken(why);
  }
}
