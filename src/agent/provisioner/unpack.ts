// A verified layer blob into a directory: decompressed (gzip with Node's
// zlib; zstd through the `zstd` program when it is installed), hashed as it
// goes (the uncompressed digest is the image config's diff_id), read as tar
// and extracted by LayerExtractor.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
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

function headOf(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    return head.subarray(0, readSync(fd, head, 0, 4, 0));
  } finally {
    closeSync(fd);
  }
}

const CHUNK = 256 * 1024;

/** The blob's uncompressed bytes, and a check to make once they have all been read. */
function decompressed(path: string): { stream: Readable; done: () => Promise<void> } {
  const compression = compressionOf(headOf(path));
  if (compression === 'gzip') {
    const stream = createReadStream(path, { highWaterMark: CHUNK }).pipe(createGunzip({ chunkSize: CHUNK }));
    return { stream, done: async () => {} };
  }
  if (compression === 'none') return { stream: createReadStream(path, { highWaterMark: CHUNK }), done: async () => {} };
  const input = openSync(path, 'r');
  const child = spawn('zstd', ['-d', '-c', '-q'], { stdio: [input, 'pipe', 'pipe'] });
  closeSync(input);
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
  // A missing program ends the (empty) stream; the exit says why.
  exited.catch(() => {});
  return { stream: child.stdout as Readable, done: () => exited };
}

/**
 * Extracts the layer blob at `path` into the empty directory `dir`;
 * returns the sha256 digest of its uncompressed tar.
 */
export async function unpackLayer(path: string, dir: string): Promise<{ diffId: string; stats: ExtractStats }> {
  const { stream, done } = decompressed(path);
  const extractor = new LayerExtractor(dir);
  const parser = new TarParser(extractor);
  const hash = createHash('sha256');
  let finished = false;
  try {
    try {
      for await (const chunk of stream) {
        hash.update(chunk as Buffer);
        parser.write(chunk as Buffer);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new UnpackError(`The layer is not valid gzip: ${(error as Error).message}`);
      throw error;
    }
    await done();
    parser.finish();
    extractor.close();
    finished = true;
  } finally {
    if (!finished) {
      stream.destroy();
      extractor.dispose();
    }
  }
  return { diffId: `sha256:${hash.digest('hex')}`, stats: extractor.stats };
}
