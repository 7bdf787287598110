// The content-addressed store under `--docker_store_dir`:
//
//   blobs/sha256/HEX          manifests and configs, as pulled
//   layers/sha256/HEX/rootfs  a layer extracted, named by its blob's digest
//   layers/sha256/HEX/layer.json  its digest, size and uncompressed digest
//   images/sha256/HEX.json    an image: its manifest's digest, config, layers
//   refs/HEX.json             a reference (by the sha256 of its text) → image
//   staging/PID-RANDOM        work in progress of process PID
//
// Everything is written in staging/ and renamed into place only once whole
// and verified against its digest, so neither this process nor another ever
// sees half of anything, and a failed pull leaves nothing behind. Layers are
// shared by every image that has them; concurrent pulls of one layer in this
// process download it once, and two processes racing for it keep the first
// rename (the other's copy is dropped).
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { checkDigest, digestHex, DigestError } from './digest';
import type { Descriptor } from './manifest';
import { markTopDirectory } from './top-directory';
import { unpackStream } from './unpack';

export interface LayerRecord {
  digest: string;
  size: number;
  /** The uncompressed digest its image config gives, when known. */
  diffId?: string;
}

export interface ImageRecord {
  /** The reference it was pulled as (the latest one, when several name it). */
  reference: string;
  manifestDigest: string;
  configDigest: string;
  /** Blob digests of its layers, the lowest first. */
  layers: string[];
}

export class StoreError extends Error {}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export class ImageStore {
  private readonly inflight = new Map<string, Promise<string>>();

  private constructor(
    readonly dir: string,
    /** staging/ marked as the top of unrelated trees (or the mark tried), before a layer is made there. */
    private readonly stagingMarked: Promise<void>,
  ) {}

  /** Opens (making it when missing) the store at `dir`; drops what dead processes left in staging/. */
  static open(dir: string): ImageStore {
    // Root's alone where we make it: an image's config (its Env) may hold what no other user is to read.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const sub of ['blobs/sha256', 'layers/sha256', 'images/sha256', 'refs', 'staging']) mkdirSync(join(dir, sub), { recursive: true });
    const staging = join(dir, 'staging');
    for (const name of readdirSync(staging)) {
      const pid = Number(name.split('-')[0]);
      if (!Number.isSafeInteger(pid) || pid <= 0 || !isAlive(pid)) rmSync(join(staging, name), { recursive: true, force: true });
    }
    return new ImageStore(dir, markTopDirectory(staging));
  }

  blobPath(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', digestHex(digest));
  }

  layerDir(digest: string): string {
    return join(this.dir, 'layers', 'sha256', digestHex(digest));
  }

  /** The directory a layer's files are in. */
  layerRootfs(digest: string): string {
    return join(this.layerDir(digest), 'rootfs');
  }

  hasLayer(digest: string): boolean {
    return existsSync(join(this.layerDir(digest), 'layer.json'));
  }

  layerRecord(digest: string): LayerRecord {
    return JSON.parse(readFileSync(join(this.layerDir(digest), 'layer.json'), 'utf8')) as LayerRecord;
  }

  /** A fresh directory in staging/, named for this process. */
  private stage(): string {
    const path = join(this.dir, 'staging', `${process.pid}-${randomBytes(6).toString('hex')}`);
    mkdirSync(path, { mode: 0o700 });
    return path;
  }

  /** Writes `bytes` to `target` through staging/ and a rename. */
  private putFile(target: string, bytes: Uint8Array): void {
    const stage = this.stage();
    try {
      const file = join(stage, 'file');
      writeFileSync(file, bytes, { mode: 0o644 });
      renameSync(file, target);
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  }

  /** A small blob, checked against its digest before it is stored. */
  putBlob(digest: string, bytes: Uint8Array): void {
    checkDigest(bytes, digest, `blob ${digest}`);
    if (!existsSync(this.blobPath(digest))) this.putFile(this.blobPath(digest), bytes);
  }

  /** A stored blob, checked again against its digest. */
  readBlob(digest: string): Buffer | undefined {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.blobPath(digest));
    } catch {
      return undefined;
    }
    checkDigest(bytes, digest, `stored blob ${digest}`);
    return bytes;
  }

  putImage(record: ImageRecord): void {
    this.putFile(join(this.dir, 'images', 'sha256', `${digestHex(record.manifestDigest)}.json`), Buffer.from(JSON.stringify(record)));
  }

  image(manifestDigest: string): ImageRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, 'images', 'sha256', `${digestHex(manifestDigest)}.json`), 'utf8')) as ImageRecord;
    } catch {
      return undefined;
    }
  }

  private refPath(reference: string): string {
    return join(this.dir, 'refs', `${createHash('sha256').update(reference).digest('hex')}.json`);
  }

  putRef(reference: string, manifestDigest: string): void {
    this.putFile(this.refPath(reference), Buffer.from(JSON.stringify({ reference, manifestDigest })));
  }

  /** The image a reference was last pulled as, when it and all its layers are here. */
  cached(reference: string): ImageRecord | undefined {
    let digest: string;
    try {
      const ref = JSON.parse(readFileSync(this.refPath(reference), 'utf8')) as { reference: string; manifestDigest: string };
      if (ref.reference !== reference) return undefined;
      digest = ref.manifestDigest;
    } catch {
      return undefined;
    }
    const record = this.image(digest);
    if (record === undefined || !record.layers.every((layer) => this.hasLayer(layer))) return undefined;
    return record;
  }

  /** Removes those of `digests` that no image record lists (what a failed pull had made), each with one rename away first. */
  removeUnreferenced(digests: string[]): void {
    const listed = new Set<string>();
    for (const name of readdirSync(join(this.dir, 'images', 'sha256'))) {
      try {
        const record = JSON.parse(readFileSync(join(this.dir, 'images', 'sha256', name), 'utf8')) as ImageRecord;
        for (const layer of record.layers) listed.add(layer);
      } catch {
        // A record being written is whole once renamed; one unreadable keeps nothing.
      }
    }
    for (const digest of digests) {
      if (listed.has(digest)) continue;
      const away = join(this.stage(), 'removed');
      try {
        renameSync(this.layerDir(digest), away);
      } catch {
        // Already gone.
      }
      rmSync(join(away, '..'), { recursive: true, force: true });
    }
  }

  /**
   * The layer `descriptor` names, extracted: downloaded once (by `open`)
   * however many ask at a time, checked against its digest and size; its
   * config's `diffId` is recorded beside it. Returns its rootfs.
   */
  layer(descriptor: Descriptor, diffId: string | undefined, open: () => Promise<Readable>): Promise<string> {
    if (this.hasLayer(descriptor.digest)) return Promise.resolve(this.layerRootfs(descriptor.digest));
    const running = this.inflight.get(descriptor.digest);
    if (running !== undefined) return running;
    const pulling = this.pullLayer(descriptor, diffId, open).finally(() => this.inflight.delete(descriptor.digest));
    this.inflight.set(descriptor.digest, pulling);
    return pulling;
  }

  private async pullLayer(descriptor: Descriptor, diffId: string | undefined, open: () => Promise<Readable>): Promise<string> {
    await this.stagingMarked;
    const stage = this.stage();
    try {
      const rootfs = join(stage, 'rootfs');
      mkdirSync(rootfs, { mode: 0o755 });
      // Extracted as it downloads; kept only once the bytes proved right.
      const source = await open();
      const verified = verifying(descriptor, source);
      verified.downloaded.catch(() => {});
      try {
        await unpackStream(source, rootfs);
      } catch (error) {
        // Damaged bytes break the tar or the gzip before the digest can be
        // known: the rest is read (to the size the manifest gives at most)
        // so that a refused download says so, rather than what it did to the tar.
        source.resume();
        await verified.downloaded;
        verified.check();
        throw error;
      }
      await verified.downloaded;
      verified.check();
      const record: LayerRecord = { digest: descriptor.digest, size: descriptor.size, ...(diffId === undefined ? {} : { diffId }) };
      writeFileSync(join(stage, 'layer.json'), JSON.stringify(record));
      try {
        renameSync(stage, this.layerDir(descriptor.digest));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // Another process put it there first: theirs is as good as ours.
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !this.hasLayer(descriptor.digest)) throw error;
        rmSync(stage, { recursive: true, force: true });
      }
      return this.layerRootfs(descriptor.digest);
    } catch (error) {
      rmSync(stage, { recursive: true, force: true });
      throw error;
    }
  }
}

function downloadError(descriptor: Descriptor, error: Error): Error {
  if (error instanceof DigestError) return error;
  return new StoreError(`Failed to download layer ${descriptor.digest}: ${(error as NodeJS.ErrnoException).code ?? error.message}`);
}

/**
 * Counts and hashes a blob's bytes as `source` gives them (with the first
 * 'data' listener, so before anyone else sees a chunk; the source is left
 * paused for its reader to resume), destroying it once they are more than
 * its descriptor says. `downloaded` settles when the source has ended or
 * failed; `check()` after that throws unless the length and digest are the
 * descriptor's.
 */
function verifying(descriptor: Descriptor, source: Readable): { downloaded: Promise<void>; check: () => void } {
  const hash = createHash('sha256');
  let length = 0;
  source.on('data', (chunk: Buffer) => {
    length += chunk.length;
    if (length > descriptor.size) source.destroy(new DigestError(`Layer ${descriptor.digest} is longer than the ${descriptor.size} bytes its manifest says`));
    else hash.update(chunk);
  });
  source.pause();
  const downloaded = finished(source).catch((error: Error) => {
    throw downloadError(descriptor, error);
  });
  const check = (): void => {
    if (length !== descriptor.size) throw new DigestError(`Layer ${descriptor.digest} is ${length} bytes, not the ${descriptor.size} its manifest says`);
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== descriptor.digest) throw new DigestError(`Layer ${descriptor.digest} has digest ${actual}: refused`);
  };
  return { downloaded, check };
}
