// Images from `docker save` archives in a directory, as Mesos's local
// puller finds them when `--docker_registry` is a path: `NAME:TAG.tar`
// (NAME as the reference writes it, `/` making subdirectories). Both
// layouts are read: `manifest.json` (Docker 1.10 and later, skopeo's
// docker-archive) and the older `repositories` with `ID/json` and
// `ID/layer.tar` per layer. The archive is indexed once, its entries read
// in place; the manifest it stands for is made up from what it holds (so
// its digest is ours, not a registry's), and every layer is hashed, so the
// store verifies an archive as it does a registry.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { sha256Digest } from './digest';
import { MEDIA_TYPES, parseManifest, type Descriptor, type ImageManifest } from './manifest';
import { DEFAULT_TAG, formatReference, type ImageReference } from './reference';
import type { ImageSource, ManifestAnswer } from './source';
import { TarParser, type TarEntry } from './tar';

export class ArchiveError extends Error {}

interface Member {
  offset: number;
  size: number;
}

/** The regular files of an uncompressed tar, by normalized name, read header by header. */
export function indexTar(path: string): Map<string, Member> {
  const members = new Map<string, Member>();
  const fd = openSync(path, 'r');
  try {
    let position = 0;
    let current: TarEntry | undefined;
    const parser = new TarParser({ entry: (entry) => (current = entry), data: () => {}, entryEnd: () => {} });
    const block = Buffer.alloc(512);
    for (;;) {
      const state = parser.awaiting;
      if (state === 'end') break;
      if (state === 'data' && current !== undefined) {
        const name = current.name.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
        if (current.type === 'file') members.set(name, { offset: position, size: current.size });
        current = undefined;
        position += parser.skipData();
        continue;
      }
      const read = readSync(fd, block, 0, 512, position);
      if (read === 0) break;
      position += read;
      parser.write(block.subarray(0, read));
      if (current !== undefined && parser.awaiting !== 'data') {
        // An empty file, or an entry without data.
        const name = current.name.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
        if (current.type === 'file') members.set(name, { offset: position, size: 0 });
        current = undefined;
      }
    }
    parser.finish();
  } finally {
    closeSync(fd);
  }
  return members;
}

function readMember(path: string, member: Member): Buffer {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(member.size);
    for (let done = 0; done < member.size; ) {
      const read = readSync(fd, bytes, done, member.size - done, member.offset + done);
      if (read === 0) throw new ArchiveError(`${path}: truncated`);
      done += read;
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}

function hashMember(path: string, member: Member): Promise<string> {
  const hash = createHash('sha256');
  return new Promise((resolve, reject) => {
    createReadStream(path, memberRange(member))
      .on('data', (chunk) => hash.update(chunk))
      .once('error', reject)
      .once('end', () => resolve(`sha256:${hash.digest('hex')}`));
  });
}

const memberRange = (member: Member) => ({ start: member.offset, end: member.offset + member.size - 1, highWaterMark: 256 * 1024 });

/** The archive files that may hold `reference`: `NAME:TAG.tar` (TAG `latest` when none), then Mesos's own `NAME.tar` for an untagged one. */
export function archiveCandidates(directory: string, reference: ImageReference): string[] {
  const tagged = formatReference({ ...reference, tag: reference.digest === undefined ? (reference.tag ?? DEFAULT_TAG) : undefined });
  const names = [`${tagged}.tar`];
  if (reference.tag === undefined && reference.digest === undefined) names.push(`${formatReference(reference)}.tar`);
  return names.map((name) => join(directory, name));
}

interface Parsed {
  manifest: ImageManifest;
  config: Buffer;
  layers: Map<string, Member>;
}

export class ArchiveSource implements ImageSource {
  readonly where: string;
  private parsed: Promise<Parsed> | undefined;
  private answer: ManifestAnswer | undefined;

  constructor(
    directory: string,
    private readonly reference: ImageReference,
  ) {
    const candidates = archiveCandidates(directory, reference);
    this.where = candidates.find((path) => existsSync(path)) ?? candidates[0];
  }

  async manifest(): Promise<ManifestAnswer> {
    const parsed = await this.parse();
    if (this.answer === undefined) {
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA_TYPES.ociManifest,
          config: parsed.manifest.config,
          layers: parsed.manifest.layers,
        }),
      );
      this.answer = { digest: sha256Digest(bytes), bytes, manifest: parseManifest(bytes) as ImageManifest };
    }
    return this.answer;
  }

  async blobBytes(descriptor: Descriptor): Promise<Buffer> {
    const parsed = await this.parse();
    if (descriptor.digest !== parsed.manifest.config.digest) throw new ArchiveError(`${this.where} has no blob ${descriptor.digest}`);
    return parsed.config;
  }

  async openBlob(descriptor: Descriptor): Promise<Readable> {
    const member = (await this.parse()).layers.get(descriptor.digest);
    if (member === undefined) throw new ArchiveError(`${this.where} has no layer ${descriptor.digest}`);
    return createReadStream(this.where, memberRange(member));
  }

  private parse(): Promise<Parsed> {
    this.parsed ??= this.read();
    return this.parsed;
  }

  private async read(): Promise<Parsed> {
    const path = this.where;
    if (!existsSync(path)) throw new ArchiveError(`Failed to find archive for image '${formatReference(this.reference)}' at '${path}'`);
    let members: Map<string, Member>;
    try {
      members = indexTar(path);
    } catch (error) {
      throw new ArchiveError(`${path}: ${(error as Error).message}`);
    }
    const file = (name: string): Buffer => {
      const member = members.get(name);
      if (member === undefined) throw new ArchiveError(`${path} has no '${name}'`);
      return readMember(path, member);
    };
    const json = (name: string): unknown => {
      try {
        return JSON.parse(file(name).toString('utf8'));
      } catch (error) {
        if (error instanceof ArchiveError) throw error;
        throw new ArchiveError(`${path}: '${name}' is not JSON`);
      }
    };
    let config: (diffIds: string[]) => Buffer;
    let layerNames: string[];
    if (members.has('manifest.json')) {
      const found = this.fromManifestJson(json('manifest.json'), file, path);
      config = () => found.config;
      layerNames = found.layerNames;
    } else if (members.has('repositories')) {
      ({ config, layerNames } = this.fromRepositories(json('repositories'), json, path));
    } else {
      throw new ArchiveError(`${path} has neither manifest.json nor repositories: not a docker save archive`);
    }
    const layers = new Map<string, Member>();
    const descriptors: Descriptor[] = [];
    for (const name of layerNames) {
      const member = members.get(name.replace(/^(\.\/)+/, ''));
      if (member === undefined) throw new ArchiveError(`${path} has no layer '${name}'`);
      const digest = await hashMember(path, member);
      layers.set(digest, member);
      descriptors.push({ mediaType: MEDIA_TYPES.ociLayer, digest, size: member.size });
    }
    const configBytes = config(descriptors.map((layer) => layer.digest));
    const manifest: ImageManifest = {
      kind: 'manifest',
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: sha256Digest(configBytes), size: configBytes.length },
      layers: descriptors,
    };
    return { manifest, config: configBytes, layers };
  }

  /** Names the reference may have in an archive's RepoTags or repositories. */
  private names(): string[] {
    const { registry, repository } = this.reference;
    const repositories = [repository];
    if (registry !== undefined) repositories.push(`${registry}/${repository}`);
    return repositories;
  }

  private fromManifestJson(value: unknown, file: (name: string) => Buffer, path: string): { config: Buffer; layerNames: string[] } {
    if (!Array.isArray(value) || value.length === 0) throw new ArchiveError(`${path}: manifest.json lists no image`);
    const images = value as Array<{ Config?: unknown; RepoTags?: unknown; Layers?: unknown }>;
    const tag = this.reference.tag ?? DEFAULT_TAG;
    const wanted = this.names().map((name) => `${name}:${tag}`);
    const tagsOf = (image: { RepoTags?: unknown }): string[] =>
      Array.isArray(image.RepoTags) ? image.RepoTags.filter((item): item is string => typeof item === 'string') : [];
    const image =
      images.find((candidate) => tagsOf(candidate).some((repoTag) => wanted.includes(repoTag))) ??
      // One image in the archive is the one it was saved for (by ID, or under another name).
      (images.length === 1 ? images[0] : undefined);
    if (image === undefined) {
      throw new ArchiveError(`${path}: manifest.json has no image tagged ${wanted.join(' or ')} (it has ${images.flatMap(tagsOf).join(', ') || 'untagged ones'})`);
    }
    if (typeof image.Config !== 'string' || !Array.isArray(image.Layers) || !image.Layers.every((layer) => typeof layer === 'string')) {
      throw new ArchiveError(`${path}: manifest.json's image has no Config or Layers`);
    }
    return { config: file(image.Config), layerNames: image.Layers as string[] };
  }

  private fromRepositories(value: unknown, json: (name: string) => unknown, path: string): { config: (diffIds: string[]) => Buffer; layerNames: string[] } {
    const repositories = (typeof value === 'object' && value !== null ? value : {}) as Record<string, Record<string, unknown>>;
    const name = this.names().find((candidate) => typeof repositories[candidate] === 'object');
    if (name === undefined) throw new ArchiveError(`${path}: repository '${this.reference.repository}' does not exist in 'repositories'`);
    const tag = this.reference.tag ?? DEFAULT_TAG;
    const top = repositories[name][tag];
    if (typeof top !== 'string') throw new ArchiveError(`${path}: tag '${tag}' of '${name}' is not in 'repositories'`);
    // The chain of parents, from the top layer down; then reversed.
    const ids: string[] = [];
    const seen = new Set<string>();
    let topJson: Record<string, unknown> | undefined;
    for (let id: string | undefined = top; id !== undefined; ) {
      if (!/^[a-f0-9]{64}$/.test(id) || seen.has(id)) throw new ArchiveError(`${path}: bad layer id '${id}' in the parent chain`);
      seen.add(id);
      ids.push(id);
      const layer = json(`${id}/json`) as Record<string, unknown>;
      topJson ??= layer;
      id = typeof layer.parent === 'string' && layer.parent !== '' ? layer.parent : undefined;
    }
    ids.reverse();
    const runtime = (topJson?.config ?? topJson?.container_config ?? {}) as Record<string, unknown>;
    // An image config standing for the v1 layers: the top one's runtime, os
    // and architecture, and the layers' digests (uncompressed, as they are here).
    const config = (diffIds: string[]): Buffer =>
      Buffer.from(
        JSON.stringify({
          architecture: topJson?.architecture,
          os: topJson?.os ?? 'linux',
          config: runtime,
          rootfs: { type: 'layers', diff_ids: diffIds },
        }),
      );
    return { config, layerNames: ids.map((id) => `${id}/layer.tar`) };
  }
}
