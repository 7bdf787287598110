// A tar reader, fed as bytes arrive: ustar and the old v7 headers, pax
// extended headers (per entry and global: path, linkpath, size, uid, gid,
// mtime, SCHILY.xattr.*), GNU long names and link names, base-256 numbers.
// Entry data goes to the handler in pieces, as views into the input, to be
// consumed before `write` returns. Pure: no I/O.

export type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'directory' | 'fifo';

export interface TarEntry {
  /** The name as archived (normalizing it is the extractor's business). */
  name: string;
  type: EntryType;
  /** Permission bits with set-id and sticky (07777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch; pax may give a fraction. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from pax `SCHILY.xattr.NAME` records. */
  xattrs: Map<string, Buffer>;
}

export interface TarHandler {
  entry(entry: TarEntry): void;
  data(chunk: Buffer): void;
  /** The end of the current entry's data. */
  entryEnd(): void;
}

export class TarError extends Error {}

const BLOCK = 512;
/** The most a pax header or GNU long name may hold. */
const META_MAX = 1024 * 1024;

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

/** A numeric field: octal text, or base-256 when its first byte has the high bit. */
function numberAt(block: Buffer, offset: number, length: number, what: string): number {
  const field = block.subarray(offset, offset + length);
  if ((field[0] & 0x80) !== 0) {
    if ((field[0] & 0x40) !== 0) throw new TarError(`A negative ${what} in a tar header`);
    let value = field[0] & 0x3f;
    for (let index = 1; index < field.length; index++) value = value * 256 + field[index];
    if (!Number.isSafeInteger(value)) throw new TarError(`The ${what} in a tar header is too large`);
    return value;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError(`The ${what} in a tar header is not octal ('${text}')`);
  return parseInt(text, 8);
}

function textAt(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}

function checksumFits(block: Buffer): boolean {
  let stored: number;
  try {
    stored = numberAt(block, 148, 8, 'checksum');
  } catch {
    return false;
  }
  let unsigned = 0;
  let signed = 0;
  for (let index = 0; index < BLOCK; index++) {
    const byte = index >= 148 && index < 156 ? 0x20 : block[index];
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** Records of a pax extended header: `LEN KEY=VALUE\n` each. */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let offset = 0;
  while (offset < data.length) {
    if (data[offset] === 0) break;
    const space = data.indexOf(0x20, offset);
    const length = space === -1 ? NaN : Number(data.subarray(offset, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= 0 || offset + length > data.length || data[offset + length - 1] !== 0x0a) {
      throw new TarError('A malformed pax extended header');
    }
    const record = data.subarray(space + 1, offset + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals === -1) throw new TarError('A pax record without =');
    records.set(record.subarray(0, equals).toString('utf8'), Buffer.from(record.subarray(equals + 1)));
    offset += length;
  }
  return records;
}

interface Overrides {
  pax: Map<string, Buffer>;
  longName?: string;
  longLink?: string;
}

/** The header of an entry with what pax records and GNU long names said before it. */
function entryOf(block: Buffer, overrides: Overrides, global: Map<string, Buffer>): TarEntry {
  const typeflag = String.fromCharCode(block[156]);
  const type = TYPES[typeflag];
  if (type === undefined) throw new TarError(`Unsupported tar entry type '${typeflag === '\0' ? '\\0' : typeflag}'`);
  const magic = block.subarray(257, 263).toString('latin1');
  let name = textAt(block, 0, 100);
  // POSIX ustar's prefix (GNU's headers keep other fields there).
  if (magic === 'ustar\0') {
    const prefix = textAt(block, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const entry: TarEntry = {
    name,
    type,
    mode: numberAt(block, 100, 8, 'mode') & 0o7777,
    uid: numberAt(block, 108, 8, 'uid'),
    gid: numberAt(block, 116, 8, 'gid'),
    size: numberAt(block, 124, 12, 'size'),
    mtime: numberAt(block, 136, 12, 'mtime'),
    linkname: textAt(block, 157, 100),
    devmajor: magic.startsWith('ustar') ? numberAt(block, 329, 8, 'devmajor') : 0,
    devminor: magic.startsWith('ustar') ? numberAt(block, 337, 8, 'devminor') : 0,
    xattrs: new Map(),
  };
  if (overrides.longName !== undefined) entry.name = overrides.longName;
  if (overrides.longLink !== undefined) entry.linkname = overrides.longLink;
  const records = new Map([...global, ...overrides.pax]);
  const numeric = (key: string, integer: boolean): number | undefined => {
    const value = records.get(key);
    if (value === undefined) return undefined;
    const parsed = Number(value.toString('latin1'));
    if (!Number.isFinite(parsed) || parsed < 0 || (integer && !Number.isSafeInteger(parsed))) throw new TarError(`A pax ${key} of '${value.toString('latin1')}'`);
    return parsed;
  };
  const path = records.get('path');
  if (path !== undefined) entry.name = path.toString('utf8');
  const linkpath = records.get('linkpath');
  if (linkpath !== undefined) entry.linkname = linkpath.toString('utf8');
  entry.size = numeric('size', true) ?? entry.size;
  entry.uid = numeric('uid', true) ?? entry.uid;
  entry.gid = numeric('gid', true) ?? entry.gid;
  entry.mtime = numeric('mtime', false) ?? entry.mtime;
  for (const [key, value] of records) {
    if (key.startsWith('SCHILY.xattr.')) entry.xattrs.set(key.slice('SCHILY.xattr.'.length), value);
  }
  // Only files carry data; a size on anything else is skipped as data of no one.
  return entry;
}

export type State = 'header' | 'data' | 'meta' | 'padding' | 'end';

export class TarParser {
  private state: State = 'header';
  /** Bytes of a header block not yet complete. */
  private pending = Buffer.alloc(0);
  private remaining = 0;
  private padding = 0;
  private metaKind = '';
  private meta: Buffer[] = [];
  private overrides: Overrides = { pax: new Map() };
  private global = new Map<string, Buffer>();
  private delivering = false;
  private entries = 0;

  constructor(private readonly handler: TarHandler) {}

  /** What the parser waits for: a header, an entry's data, an extended header's, padding, or nothing (the end). */
  get awaiting(): State {
    return this.state;
  }

  /**
   * Skips the current entry's data (and its padding) without reading it:
   * returns how many input bytes the caller must skip. Only while `awaiting`
   * is 'data', as right after `entry()`.
   */
  skipData(): number {
    if (this.state !== 'data') throw new TarError('No entry data to skip');
    const skipped = this.remaining + this.padding;
    this.remaining = 0;
    this.padding = 0;
    this.finishPayload();
    return skipped;
  }

  /** How many entries have been handed over. */
  get count(): number {
    return this.entries;
  }

  write(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length && this.state !== 'end') {
      if (this.state === 'header') {
        let block: Buffer;
        if (this.pending.length === 0 && chunk.length - offset >= BLOCK) {
          block = chunk.subarray(offset, offset + BLOCK);
          offset += BLOCK;
        } else {
          const take = Math.min(BLOCK - this.pending.length, chunk.length - offset);
          this.pending = Buffer.concat([this.pending, chunk.subarray(offset, offset + take)]);
          offset += take;
          if (this.pending.length < BLOCK) continue;
          block = this.pending;
          this.pending = Buffer.alloc(0);
        }
        this.header(block);
        continue;
      }
      if (this.state === 'padding') {
        const skip = Math.min(this.padding, chunk.length - offset);
        this.padding -= skip;
        offset += skip;
        if (this.padding === 0) this.state = 'header';
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - offset);
      const piece = chunk.subarray(offset, offset + take);
      offset += take;
      this.remaining -= take;
      if (this.state === 'data') {
        if (this.delivering && piece.length > 0) this.handler.data(piece);
      } else {
        this.meta.push(Buffer.from(piece));
      }
      if (this.remaining === 0) this.finishPayload();
    }
  }

  /** The input has ended: throws unless the archive was whole. */
  finish(): void {
    if (this.state === 'end') return;
    if (this.state === 'header' && this.pending.length === 0) return; // no end-of-archive blocks: tolerated, as tar does
    throw new TarError('The tar archive ends in the middle of an entry');
  }

  private header(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      this.state = 'end';
      return;
    }
    if (!checksumFits(block)) throw new TarError('A tar header with a bad checksum (not a tar archive, or a damaged one)');
    const typeflag = String.fromCharCode(block[156]);
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      const size = numberAt(block, 124, 12, 'size');
      if (size > META_MAX) throw new TarError(`A tar extended header of ${size} bytes`);
      this.metaKind = typeflag;
      this.meta = [];
      this.beginPayload(size, 'meta');
      return;
    }
    const entry = entryOf(block, this.overrides, this.global);
    this.overrides = { pax: new Map() };
    this.entries++;
    this.handler.entry(entry);
    // Hard links, symlinks, devices, directories: any size they claim is skipped.
    this.delivering = entry.type === 'file';
    this.beginPayload(entry.type === 'file' || entry.size > 0 ? entry.size : 0, 'data');
  }

  private beginPayload(size: number, state: 'data' | 'meta'): void {
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    this.state = state;
    if (size === 0) this.finishPayload();
  }

  private finishPayload(): void {
    if (this.state === 'data') {
      if (this.delivering) this.handler.entryEnd();
      this.delivering = false;
    } else {
      const data = Buffer.concat(this.meta);
      this.meta = [];
      if (this.metaKind === 'x') this.overrides.pax = parsePax(data);
      else if (this.metaKind === 'g') this.global = new Map([...this.global, ...parsePax(data)]);
      else {
        const end = data.indexOf(0);
        const text = data.subarray(0, end === -1 ? data.length : end).toString('utf8');
        if (this.metaKind === 'L') this.overrides.longName = text;
        else this.overrides.longLink = text;
      }
    }
    this.state = this.padding > 0 ? 'padding' : 'header';
  }
}
