// A layer's bytes into a directory, in one pass as they arrive:
// decompressed (gzip with Node's zlib; zstd through the `zstd` program when
// it is installed; a plain tar as it is), read as tar and extracted by
// LayerExtractor. The caller verifies the bytes against the layer's digest
// (store.ts) and keeps the directory only if they were right; the
// uncompressed tar is not hashed again (its digest, the config's diff_id,
// adds nothing once the compressed one matched: gunzip is deterministic).
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LayerExtractor, type ExtractStats } from './extract';
import { TarParser } from './tar';

export type Compression = 'gzip' | 'zstd' | 'none';

export class UnpackError extends Error {}

/** The compression of a blob by its first bytes (what it is, whatever its media type says). */
export function compressionOf(head: Uint8Array): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

const CHUNK = 256 * 1024;

/** The first bytes `input` has (at least 4 unless it ends sooner), put back to be read again. */
async function peek(input: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  while (length < 4) {
    const chunk = input.read() as Buffer | null;
    if (chunk !== null) {
      chunks.push(chunk);
      length += chunk.length;
      continue;
    }
    if (input.readableEnded) break;
    const ended = once(input, 'end').then(() => 'end');
    const readable = once(input, 'readable').then(() => 'readable');
    if ((await Promise.race([ended, readable])) === 'end') break;
  }
  const head = Buffer.concat(chunks);
  if (head.length > 0) input.unshift(head);
  return head;
}

/**
 * `input` piped into `target`: an error of the input ends the target, but
 * an end of the target leaves the input to its owner (who may drain it).
 */
function feed<T extends NodeJS.WritableStream & { destroy(error?: Error): unknown }>(input: Readable, target: T): T {
  input.once('error', (error) => target.destroy(error));
  input.pipe(target);
  return target;
}

/** The uncompressed bytes of `input`, and a check to make once they have all been read. */
async function decompressed(input: Readable): Promise<{ stream: Readable; done: () => Promise<void> }> {
  const compression = compressionOf(await peek(input));
  if (compression === 'none') return { stream: feed(input, new PassThrough({ highWaterMark: CHUNK })), done: async () => {} };
  if (compression === 'gzip') return { stream: feed(input, createGunzip({ chunkSize: CHUNK })), done: async () => {} };
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  (child.stderr as Readable).setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<void>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UnpackError(error.code === 'ENOENT' ? 'zstd-compressed layers need the zstd program, which is not installed' : `zstd: ${error.message}`)),
    );
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new UnpackError(`zstd failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  });
  // A missing program ends the (empty) output; its exit says why.
  exited.catch(() => {});
  feed(input, child.stdin as NodeJS.WritableStream & { destroy(error?: Error): unknown });
  return {
    stream: child.stdout as Readable,
    done: () => exited,
  };
}

/**
 * Extracts the layer whose bytes `input` gives (compressed or not) into
 * the empty directory `dir`. On a failure `input` is left as it is (unpiped), for its owner to
 * drain or destroy.
 */
export async function unpackStream(input: Readable, dir: string): Promise<ExtractStats> {
  const extractor = new LayerExtractor(dir);
  let stream: Readable | undefined;
  let finished = false;
  try {
    const source = await decompressed(input);
    stream = source.stream;
    const parser = new TarParser(extractor);
    const output = stream;
    // 'data' events rather than for-await: the parser takes each chunk at
    // once (it writes synchronously), and this is measurably cheaper.
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      output.on('data', (chunk: Buffer) => {
        if (failed) return;
        try {
          parser.write(chunk);
        } catch (error) {
          failed = true;
          output.pause();
          reject(error);
        }
      });
      output.once('end', resolve);
      output.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code?.startsWith('Z_') ? new UnpackError(`The layer is not valid gzip: ${error.message}`) : error),
      );
    });
    await source.done();
    parser.finish();
    extractor.close();
    finished = true;
    return extractor.stats;
  } finally {
    if (!finished) {
      if (stream !== undefined) input.unpipe();
      stream?.destroy();
      extractor.dispose();
    }
  }
}

/** unpackStream of the file at `path`. */
export async function unpackLayer(path: string, dir: string): Promise<ExtractStats> {
  const input = createReadStream(path, { highWaterMark: CHUNK });
  try {
    return await unpackStream(input, dir);
  } finally {
    input.destroy();
  }
}
