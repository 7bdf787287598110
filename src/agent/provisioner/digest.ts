// sha256 digests, `sha256:<hex>`, as registries and the store name blobs.
import { createHash } from 'node:crypto';

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The hex part of a `sha256:<hex>` digest (the store's file name). */
export function digestHex(digest: string): string {
  return digest.slice('sha256:'.length);
}

export class DigestError extends Error {}

/** Throws unless `bytes` hash to `digest`. */
export function checkDigest(bytes: Uint8Array, digest: string, what: string): void {
  const actual = sha256Digest(bytes);
  if (actual !== digest) throw new DigestError(`The ${what} has digest ${actual}, not the ${digest} expected`);
}
