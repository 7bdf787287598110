// RecordIO: the framing, records split across chunks anywhere, and garbage
// refused with one line.
import t from 'tap';
import fc from 'fast-check';
import { ProtoError } from '../src/proto/errors';
import { encodeRecord, MAX_RECORD_BYTES, RecordDecoder } from '../src/proto/recordio';
import { caught } from './helpers/caught';

const text = (records: Buffer[]): string[] => records.map((record) => record.toString('utf8'));

const refusal = (fn: () => unknown): ProtoError => caught(ProtoError, fn);

const RECORDS = ['{"type":"HEARTBEAT"}', '', '{"type":"ERROR","error":{"message":"été \u{1F600}"}}', 'x'.repeat(300)];
const STREAM = Buffer.concat(RECORDS.map((record) => encodeRecord(record)));

t.test('encoding: decimal byte length, a newline, the bytes', async (t) => {
  t.equal(encodeRecord('{"type":"HEARTBEAT"}').toString(), '20\n{"type":"HEARTBEAT"}');
  t.equal(encodeRecord('é').toString('hex'), '320ac3a9', 'the length counts UTF-8 bytes');
  t.equal(encodeRecord(Uint8Array.from([0, 1])).toString('hex'), '320a0001');
  t.equal(encodeRecord('').toString(), '0\n');
});

t.test('a stream split at every byte boundary, and byte by byte', async (t) => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    const decoder = new RecordDecoder();
    const records = [...decoder.push(STREAM.subarray(0, cut)), ...decoder.push(STREAM.subarray(cut))];
    if (JSON.stringify(text(records)) !== JSON.stringify(RECORDS)) {
      t.fail(`cut at ${cut}: ${JSON.stringify(text(records))}`);
      return;
    }
    t.ok(decoder.idle);
  }
  t.pass(`all ${STREAM.length + 1} cuts give the records`);
  const decoder = new RecordDecoder();
  const records: Buffer[] = [];
  for (const byte of STREAM) records.push(...decoder.push(Uint8Array.of(byte)));
  t.strictSame(text(records), RECORDS, 'one byte at a time');
  decoder.end();
});

t.test('any chunking gives the same records', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.nat(STREAM.length), { maxLength: 12 }), (cuts) => {
      const points = [...new Set([0, ...cuts, STREAM.length])].sort((a, b) => a - b);
      const decoder = new RecordDecoder();
      const records: Buffer[] = [];
      for (let i = 1; i < points.length; i++) records.push(...decoder.push(STREAM.subarray(points[i - 1], points[i])));
      return JSON.stringify(text(records)) === JSON.stringify(RECORDS);
    }),
    { numRuns: 500 },
  );
  t.pass('500 random chunkings');
});

t.test('garbage: one clear line, and the decoder stays failed', async (t) => {
  const cases: [string, string][] = [
    ['x\n', "Failed to decode length 'x': not a decimal number"],
    ['12a\n', "Failed to decode length '12a': not a decimal number"],
    ['-1\n', "Failed to decode length '-': not a decimal number"],
    [' 5\n', "Failed to decode length ' ': not a decimal number"],
    ['\n', "Failed to decode length '': no digits before the newline"],
    ['2\nab{"a"', "Failed to decode length '{': not a decimal number"],
    ['1'.repeat(21), `Failed to decode length '${'1'.repeat(21)}...': more than 20 digits`],
    [`${MAX_RECORD_BYTES + 1}\n`, `Record length ${MAX_RECORD_BYTES + 1} is over the limit of ${MAX_RECORD_BYTES} bytes`],
    ['99999999999999999999\n', `Record length 99999999999999999999 is over the limit of ${MAX_RECORD_BYTES} bytes`],
    ['\u0000\n', "Failed to decode length '\\u0000': not a decimal number"],
  ];
  for (const [input, expected] of cases) {
    const decoder = new RecordDecoder();
    const error = refusal(() => decoder.push(Buffer.from(input)));
    t.equal(error.message, expected, JSON.stringify(input));
    t.equal(refusal(() => decoder.push(Buffer.from('2\n{}'))).message, expected, 'the same error after');
    t.notOk(decoder.idle);
  }
  const small = new RecordDecoder(10);
  t.strictSame(text(small.push(Buffer.from('10\n0123456789'))), ['0123456789'], 'a record of the limit is fine');
  t.equal(refusal(() => small.push(Buffer.from('11\n'))).message, 'Record length 11 is over the limit of 10 bytes');
  const before = new RecordDecoder();
  t.equal(
    refusal(() => before.push(Buffer.from('2\n{}3\n[1]x'))).message,
    "Failed to decode length 'x': not a decimal number",
    'records before the garbage are lost with the chunk: the stream is broken',
  );
});

t.test('the end of a stream: between records only', async (t) => {
  const inside = new RecordDecoder();
  inside.push(Buffer.from('5\nab'));
  t.notOk(inside.idle);
  t.equal(refusal(() => inside.end()).message, 'The stream ended inside a record: 2 of 5 bytes');
  const header = new RecordDecoder();
  header.push(Buffer.from('12'));
  t.equal(refusal(() => header.end()).message, "The stream ended inside a record's length '12'");
  const fine = new RecordDecoder();
  fine.push(Buffer.from('0\n'));
  t.doesNotThrow(() => fine.end());
});

t.test('random bytes: records or one ProtoError, nothing else', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), (chunks) => {
      const decoder = new RecordDecoder(1000);
      try {
        for (const chunk of chunks) decoder.push(chunk);
        decoder.end();
      } catch (error) {
        if (!(error instanceof ProtoError) || /[\r\n]/.test(error.message)) throw error;
      }
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 random streams');
});
