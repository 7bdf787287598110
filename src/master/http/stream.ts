// A subscription's stream over HTTP: a 200 whose chunked body is a RecordIO
// stream of events, one record per HTTP chunk (one write per record:
// clients read them chunk by chunk). It ends when the master closes it, or
// when the client goes away, which the master is told about.
import type { ServerResponse } from 'node:http';
import { ProtoError } from '../../proto/errors';
import { encodeRecord } from '../../proto/recordio';
import { encodeEvent, type MediaType } from '../codec';
import type { FrameworkConnection } from '../records';
import type { Event } from '../types';

/** A client that lets this much of its stream pile up unread is cut off. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export class HttpFrameworkConnection implements FrameworkConnection {
  private ended = false;

  constructor(
    readonly streamId: string,
    private readonly res: ServerResponse,
    private readonly contentType: MediaType,
    onGone: (connection: HttpFrameworkConnection) => void,
  ) {
    res.writeHead(200, { 'Content-Type': contentType, 'Mesos-Stream-Id': streamId });
    res.flushHeaders();
    res.on('close', () => {
      const byUs = this.ended;
      this.ended = true;
      if (!byUs) onGone(this);
    });
  }

  get open(): boolean {
    return !this.ended;
  }

  send(event: Event): void {
    if (this.ended || this.res.destroyed) return;
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.res.destroy();
      return;
    }
    let record: Buffer;
    try {
      record = encodeEvent(event, this.contentType);
    } catch (error) {
      // An event that can't be written (an agent's malformed status) is
      // dropped rather than sent half-written.
      if (error instanceof ProtoError) return;
      throw error;
    }
    this.res.write(encodeRecord(record));
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.res.end();
  }
}
