// A layer's bytes into a directory, in one pass as they arrive:
// decompressed (gzip with Node's zlib; zstd through the `zstd` program when
// it is installed; a plain tar as it is), read as tar and extracted by
// LayerExtractor. The caller verifies the bytes against the layer's digest
// (store.ts) and keeps the directory only if they were right; the
// uncompressed tar is not hashed again (its digest, the config's diff_id,
// adds nothing once the compressed one matched: gunzip is deterministic).
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { finished as eos, PassThrough, type Readable, type Writable } from 'node:stream';
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

/** What turns a layer's bytes into its tar: bytes are written to `input`, the tar read from `output`. */
interface Decompressor {
  input: Writable;
  output: Readable;
  /** Throws once the output has ended if the decompression failed. */
  done: () => Promise<void>;
}

function decompressor(compression: Compression): Decompressor {
  if (compression === 'none') {
    const through = new PassThrough({ highWaterMark: CHUNK });
    return { input: through, output: through, done: async () => {} };
  }
  if (compression === 'gzip') {
    const gunzip = createGunzip({ chunkSize: CHUNK });
    return { input: gunzip, output: gunzip, done: async () => {} };
  }
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
  // A program that stopped reading (EPIPE) has its exit to say why.
  (child.stdin as Writable).on('error', () => {});
  return { input: child.stdin as Writable, output: child.stdout as Readable, done: () => exited };
}

/**
 * Extracts the layer whose bytes `input` gives (compressed or not) into
 * the empty directory `dir`. The bytes are taken by a 'data' listener
 * (the input resumed), removed again when this ends: on a failure the
 * input is left to its owner, maybe paused, to drain or destroy. Each
 * chunk goes straight to the decompressor, with no stream between; the
 * first bytes tell which one.
 */
export async function unpackStream(input: Readable, dir: string): Promise<ExtractStats> {
  const extractor = new LayerExtractor(dir);
  const parser = new TarParser(extractor);
  let stage: Decompressor | undefined;
  let detach = (): void => {};
  let finished = false;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (error: Error): void => {
        if (failed) return;
        failed = true;
        reject(error);
      };
      const feed = (chunk: Buffer): void => {
        if (!(stage as Decompressor).input.write(chunk)) input.pause();
      };
      const begin = (head: Buffer[]): Decompressor => {
        const started = decompressor(compressionOf(Buffer.concat(head)));
        stage = started;
        // The parser takes each chunk at once (it writes synchronously).
        started.output.on('data', (chunk: Buffer) => {
          if (failed) return;
          try {
            parser.write(chunk);
          } catch (error) {
            started.output.pause();
            fail(error as Error);
          }
        });
        started.output.once('end', resolve);
        started.output.once('error', (error: NodeJS.ErrnoException) =>
          fail(error.code?.startsWith('Z_') ? new UnpackError(`The layer is not valid gzip: ${error.message}`) : error),
        );
        started.input.on('drain', () => input.resume());
        for (const chunk of head) feed(chunk);
        return started;
      };
      let head: Buffer[] = [];
      let headLength = 0;
      const onData = (chunk: Buffer): void => {
        if (stage !== undefined) return feed(chunk);
        head.push(chunk);
        headLength += chunk.length;
        if (headLength < 4) return;
        begin(head);
        head = [];
      };
      const onEnd = (): void => {
        (stage ?? begin(head)).input.end();
      };
      input.on('data', onData);
      input.once('end', onEnd);
      // An error of the input, or its close before the end.
      const stopWatching = eos(input, (error) => {
        if (error) fail(error);
      });
      detach = () => {
        input.off('data', onData);
        input.off('end', onEnd);
        stopWatching();
      };
      input.resume();
    });
    await (stage as Decompressor).done();
    parser.finish();
    extractor.close();
    finished = true;
    return extractor.stats;
  } finally {
    detach();
    if (!finished) {
      stage?.input.destroy();
      stage?.output.destroy();
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
