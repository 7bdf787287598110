// Where an image's manifest and blobs come from: a registry or a directory
// of `docker save` archives. The store verifies what a source gives against
// the digests, so a source need not be trusted.
import type { Readable } from 'node:stream';
import type { Descriptor, ImageManifest } from './manifest';

export interface ManifestAnswer {
  /** sha256 of `bytes`: the image's identity in the store. */
  digest: string;
  bytes: Buffer;
  manifest: ImageManifest;
}

export interface ImageSource {
  /** What the source is, for messages: a URL or an archive's path. */
  readonly where: string;
  /** The image's manifest (an index already resolved to this platform). */
  manifest(): Promise<ManifestAnswer>;
  /** A small blob (the config), whole, refused past `limit` bytes. */
  blobBytes(descriptor: Descriptor, limit: number): Promise<Buffer>;
  /** A blob as a stream (a layer), its bytes unverified. */
  openBlob(descriptor: Descriptor): Promise<Readable>;
}

/** Limits on what is read whole. */
export const MANIFEST_LIMIT = 4 * 1024 * 1024;
export const CONFIG_LIMIT = 8 * 1024 * 1024;
