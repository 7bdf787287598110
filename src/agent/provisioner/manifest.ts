// Image manifests, indexes and configs as registries and archives serve
// them: Docker's manifest schema 2 and manifest list, the OCI image manifest
// and image index. Parsing checks the shape we rely on and nothing more;
// choosing a platform follows Docker's (linux, this machine's architecture).
// Pure: no I/O.

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** What a registry is asked for, best first. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
].join(', ');

const LAYER_TYPES = new Set<string>([
  MEDIA_TYPES.dockerLayer,
  MEDIA_TYPES.ociLayer,
  MEDIA_TYPES.ociLayerGzip,
  MEDIA_TYPES.ociLayerZstd,
]);

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  urls?: string[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageManifest {
  kind: 'manifest';
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  kind: 'index';
  manifests: Descriptor[];
}

/** What a container runs, from an image config's `config`. */
export interface RuntimeConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
  user?: string;
}

export interface ImageConfig {
  os?: string;
  architecture?: string;
  runtime: RuntimeConfig;
  /** sha256 digests of the uncompressed layers, in order. */
  diffIds: string[];
}

export class ManifestError extends Error {}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** True for the only digest algorithm we verify, `sha256:<64 hex>`. */
export function isDigest(text: unknown): text is string {
  return typeof text === 'string' && DIGEST.test(text);
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ManifestError(`The ${what} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ManifestError(`The ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function descriptor(value: unknown, what: string): Descriptor {
  const object = value as Record<string, unknown> | null;
  if (typeof object !== 'object' || object === null) throw new ManifestError(`The ${what} is not a descriptor`);
  const { mediaType, digest, size } = object;
  if (typeof mediaType !== 'string') throw new ManifestError(`The ${what} has no mediaType`);
  if (!isDigest(digest)) throw new ManifestError(`The ${what} has digest '${String(digest)}', not sha256:<64 hex digits>`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new ManifestError(`The ${what} has no valid size`);
  const result: Descriptor = { mediaType, digest, size };
  const platform = object.platform as Record<string, unknown> | undefined;
  if (typeof platform === 'object' && platform !== null && typeof platform.os === 'string' && typeof platform.architecture === 'string') {
    result.platform = { os: platform.os, architecture: platform.architecture };
    if (typeof platform.variant === 'string') result.platform.variant = platform.variant;
  }
  if (Array.isArray(object.urls)) result.urls = object.urls.filter((url): url is string => typeof url === 'string');
  return result;
}

/**
 * A manifest or an index, by its `mediaType` (the body's, else the one the
 * response was served as). Schema 1 manifests are refused.
 */
export function parseManifest(bytes: Uint8Array, servedAs = ''): ImageManifest | ImageIndex {
  const json = parseJson(bytes, 'manifest');
  const declared = typeof json.mediaType === 'string' ? json.mediaType : servedAs.split(';')[0].trim();
  if (json.schemaVersion === 1 || declared === MEDIA_TYPES.dockerSchema1 || declared === MEDIA_TYPES.dockerSchema1Signed) {
    throw new ManifestError('Docker manifest schema 1 is not supported (push the image again with a current client)');
  }
  if (json.schemaVersion !== 2) throw new ManifestError(`Unsupported manifest schemaVersion ${String(json.schemaVersion)}`);
  // An OCI index or manifest may leave out mediaType: its fields tell.
  const isIndex = declared === MEDIA_TYPES.ociIndex || declared === MEDIA_TYPES.dockerList || (declared === '' && Array.isArray(json.manifests));
  if (isIndex) {
    if (!Array.isArray(json.manifests)) throw new ManifestError('The image index has no manifests');
    return { kind: 'index', manifests: json.manifests.map((entry, index) => descriptor(entry, `index entry ${index}`)) };
  }
  if (declared !== MEDIA_TYPES.ociManifest && declared !== MEDIA_TYPES.dockerManifest && declared !== '') {
    throw new ManifestError(`Unsupported manifest media type '${declared}'`);
  }
  if (!Array.isArray(json.layers)) throw new ManifestError('The manifest has no layers');
  const layers = json.layers.map((entry, index) => descriptor(entry, `layer ${index}`));
  for (const [index, layer] of layers.entries()) {
    if (layer.mediaType === MEDIA_TYPES.dockerForeignLayer) {
      throw new ManifestError(`Layer ${index} is a foreign layer (${layer.digest}), which is not pulled`);
    }
    if (!LAYER_TYPES.has(layer.mediaType)) throw new ManifestError(`Layer ${index} has unsupported media type '${layer.mediaType}'`);
  }
  return { kind: 'manifest', config: descriptor(json.config, 'config'), layers };
}

/** Docker's name of this machine's architecture (process.arch's `x64` is `amd64`). */
export function hostPlatform(arch: string = process.arch): Platform {
  const architectures: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };
  const platform: Platform = { os: 'linux', architecture: architectures[arch] ?? arch };
  if (arch === 'arm64') platform.variant = 'v8';
  return platform;
}

/**
 * The index entry for `platform`: same os and architecture, and a variant
 * that matches or is left out (arm64 with no variant is v8). Throws naming
 * the platforms offered when none fits.
 */
export function choosePlatform(index: ImageIndex, platform: Platform = hostPlatform()): Descriptor {
  const fits = (entry: Descriptor): boolean => {
    const offered = entry.platform;
    if (offered === undefined || offered.os !== platform.os || offered.architecture !== platform.architecture) return false;
    return offered.variant === undefined || platform.variant === undefined || offered.variant === platform.variant;
  };
  const manifests = index.manifests.filter(
    (entry) => entry.mediaType === MEDIA_TYPES.ociManifest || entry.mediaType === MEDIA_TYPES.dockerManifest,
  );
  const exact = manifests.find((entry) => fits(entry) && entry.platform?.variant === platform.variant);
  const chosen = exact ?? manifests.find(fits);
  if (chosen !== undefined) return chosen;
  const offered = index.manifests
    .map((entry) => (entry.platform === undefined ? 'unknown' : [entry.platform.os, entry.platform.architecture, entry.platform.variant].filter(Boolean).join('/')))
    .join(', ');
  const wanted = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
  throw new ManifestError(`The image index has no manifest for ${wanted} (it has: ${offered || 'none'})`);
}

function strings(value: unknown, what: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw new ManifestError(`The image config's ${what} is not a list of strings`);
  return value as string[];
}

/** An image config (Docker's or OCI's): what runs, and the layers' uncompressed digests. */
export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const json = parseJson(bytes, 'image config');
  const rootfs = json.rootfs as Record<string, unknown> | undefined;
  const diffIds = strings(rootfs?.diff_ids, 'rootfs.diff_ids') ?? [];
  for (const id of diffIds) if (!isDigest(id)) throw new ManifestError(`The image config has diff_id '${id}', not sha256:<64 hex digits>`);
  const config = (typeof json.config === 'object' && json.config !== null ? json.config : {}) as Record<string, unknown>;
  const runtime: RuntimeConfig = {};
  const entrypoint = strings(config.Entrypoint, 'Entrypoint');
  const cmd = strings(config.Cmd, 'Cmd');
  const env = strings(config.Env, 'Env');
  if (entrypoint !== undefined) runtime.entrypoint = entrypoint;
  if (cmd !== undefined) runtime.cmd = cmd;
  if (env !== undefined) runtime.env = env;
  if (typeof config.WorkingDir === 'string') runtime.workingDir = config.WorkingDir;
  if (typeof config.User === 'string') runtime.user = config.User;
  const result: ImageConfig = { runtime, diffIds };
  if (typeof json.os === 'string') result.os = json.os;
  if (typeof json.architecture === 'string') result.architecture = json.architecture;
  return result;
}

/** The config and layers of a manifest must agree: one diff_id per layer. */
export function checkConfigFits(manifest: ImageManifest, config: ImageConfig): void {
  if (config.diffIds.length !== manifest.layers.length) {
    throw new ManifestError(`The image config lists ${config.diffIds.length} layers, its manifest ${manifest.layers.length}`);
  }
}
