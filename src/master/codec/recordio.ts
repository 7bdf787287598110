// RecordIO, as the scheduler API frames its event stream: the record's
// length in bytes as a decimal number, a newline, then the record.

export function frameRecord(record: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${record.length}\n`, 'ascii'), record]);
}

/** Splits a stream of RecordIO bytes into records, across chunks however they fall. */
export class RecordReader {
  private pending: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns the records they complete. Throws on a malformed length. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const records: Buffer[] = [];
    for (;;) {
      const newline = this.pending.indexOf(0x0a);
      if (newline === -1) {
        if (this.pending.length > 20) throw new Error('RecordIO length is not a number');
        return records;
      }
      const header = this.pending.subarray(0, newline).toString('ascii');
      if (!/^\d{1,20}$/.test(header)) throw new Error(`RecordIO length '${header.slice(0, 20)}' is not a number`);
      const length = Number(header);
      if (this.pending.length < newline + 1 + length) return records;
      records.push(this.pending.subarray(newline + 1, newline + 1 + length));
      this.pending = this.pending.subarray(newline + 1 + length);
    }
  }
}
