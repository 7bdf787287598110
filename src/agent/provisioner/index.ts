// The Docker image provider: an image reference in, the image's layers (as
// extracted directories, lowest first) and its config out, through the
// content-addressed store. As Mesos's docker store does it: an image in the
// store is used as it is, without asking the registry; otherwise it is
// pulled from the agent's `--docker_registry` (a registry, or a directory
// of `docker save` archives), with credentials from `--docker_config`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDockerConfig, type DockerAuths } from './auth';
import { ArchiveSource } from './archive';
import { checkConfigFits, parseImageConfig, type ImageConfig, type Platform } from './manifest';
import { DEFAULT_REGISTRY, formatReference, parseReference, parseRegistryFlag, resolveReference, DEFAULT_TAG, type RegistrySource as RegistryFlag } from './reference';
import { RegistrySource } from './registry';
import { CONFIG_LIMIT, type ImageSource } from './source';
import { ImageStore, type ImageRecord } from './store';

export { imageLaunch, type ImageLaunch } from './runtime';
export type { ImageConfig, RuntimeConfig } from './manifest';

export interface ProvisionerOptions {
  /** `--docker_store_dir`. */
  storeDir: string;
  /** `--docker_registry`: a registry URL or an absolute directory of archives (default Docker Hub). */
  registry?: string;
  /** `--docker_config`: a Docker config as JSON text, or the absolute path of one. */
  dockerConfig?: string;
  /** How long a registry connection may stay silent (default 30 s). */
  timeoutMs?: number;
  /** The platform an image index is resolved to (default linux and this machine's architecture). */
  platform?: Platform;
  /** How many layers are downloaded at once (default 3). */
  parallelLayers?: number;
}

export interface ProvisionedImage {
  /** The reference as the store knows it (`host/repository:tag`, or the archive name's). */
  reference: string;
  manifestDigest: string;
  config: ImageConfig;
  /** The layers' directories, the lowest first. */
  layers: string[];
  /** Whether it came from the store without a pull. */
  cached: boolean;
}

export class ProvisionError extends Error {}

/** Mesos's agent flags for the provider, from the environment (`MESOS_DOCKER_REGISTRY`, ...); the store defaults to WORK_DIR/store/docker. */
export function provisionerOptionsFromEnv(env: NodeJS.ProcessEnv, workDir: string): ProvisionerOptions {
  const options: ProvisionerOptions = { storeDir: env.MESOS_DOCKER_STORE_DIR || join(workDir, 'store', 'docker') };
  if (env.MESOS_DOCKER_REGISTRY) options.registry = env.MESOS_DOCKER_REGISTRY;
  if (env.MESOS_DOCKER_CONFIG) options.dockerConfig = env.MESOS_DOCKER_CONFIG;
  return options;
}

/** `--docker_config`'s credentials: a path (`/...` or `file:///...`) is read, anything else is the JSON itself. */
export function loadDockerConfig(value: string): DockerAuths {
  let text = value;
  const path = value.startsWith('file://') ? value.slice('file://'.length) : value;
  if (path.startsWith('/')) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ProvisionError(`Failed to read docker config '${path}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return parseDockerConfig(text);
}

/** At most `limit` of `tasks` running at once; all settle before the first failure is thrown. */
async function inBatches<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: Array<PromiseSettledResult<T>> = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]().then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

export class DockerProvisioner {
  readonly store: ImageStore;
  private readonly source: RegistryFlag;
  private readonly auths: DockerAuths | undefined;
  private readonly pulls = new Map<string, Promise<ProvisionedImage>>();
  /** Layers each running pull needs, so that a failed pull removes only what no one else wants. */
  private readonly wanted = new Map<string, number>();

  constructor(private readonly options: ProvisionerOptions) {
    this.source = parseRegistryFlag(options.registry ?? DEFAULT_REGISTRY);
    this.auths = options.dockerConfig === undefined ? undefined : loadDockerConfig(options.dockerConfig);
    this.store = ImageStore.open(options.storeDir);
  }

  /** The image `name` (`NAME[:TAG|@DIGEST]`) in the store, pulled first when it is not there. */
  provision(name: string): Promise<ProvisionedImage> {
    let located: ReturnType<DockerProvisioner['locate']>;
    try {
      located = this.locate(parseReference(name));
    } catch (error) {
      return Promise.reject(error);
    }
    const { key, source } = located;
    const running = this.pulls.get(key);
    if (running !== undefined) return running;
    const pulling = this.pull(key, source).finally(() => this.pulls.delete(key));
    this.pulls.set(key, pulling);
    return pulling;
  }

  private locate(reference: ReturnType<typeof parseReference>): { key: string; source: () => ImageSource } {
    if (this.source.kind === 'directory') {
      const directory = this.source.directory;
      const key = `${formatReference({ ...reference, tag: reference.digest === undefined ? (reference.tag ?? DEFAULT_TAG) : undefined })} in ${directory}`;
      return { key, source: () => new ArchiveSource(directory, reference) };
    }
    const resolved = resolveReference(reference, this.source.endpoint);
    return {
      key: resolved.canonical,
      source: () => new RegistrySource(resolved, { auths: this.auths, timeoutMs: this.options.timeoutMs, platform: this.options.platform }),
    };
  }

  private image(key: string, record: ImageRecord, cached: boolean): ProvisionedImage {
    const configBytes = this.store.readBlob(record.configDigest);
    if (configBytes === undefined) throw new ProvisionError(`The store has no config ${record.configDigest} for '${key}'`);
    return {
      reference: key,
      manifestDigest: record.manifestDigest,
      config: parseImageConfig(configBytes),
      layers: record.layers.map((digest) => this.store.layerRootfs(digest)),
      cached,
    };
  }

  private async pull(key: string, makeSource: () => ImageSource): Promise<ProvisionedImage> {
    const cached = this.store.cached(key);
    if (cached !== undefined) return this.image(key, cached, true);
    const source = makeSource();
    try {
      const { digest, bytes, manifest } = await source.manifest();
      const known = this.store.image(digest);
      if (known !== undefined && known.layers.every((layer) => this.store.hasLayer(layer))) {
        this.store.putRef(key, digest);
        return this.image(key, known, true);
      }
      const configBytes = this.store.readBlob(manifest.config.digest) ?? (await source.blobBytes(manifest.config, CONFIG_LIMIT));
      // Checked here, stored only once the whole image is.
      const config = parseImageConfig(configBytes);
      checkConfigFits(manifest, config);
      if (config.os !== undefined && config.os !== 'linux') throw new ProvisionError(`The image is for ${config.os}, not linux`);
      const digests = manifest.layers.map((layer) => layer.digest);
      const fresh = digests.filter((layer) => !this.store.hasLayer(layer));
      for (const layer of digests) this.wanted.set(layer, (this.wanted.get(layer) ?? 0) + 1);
      try {
        await inBatches(
          manifest.layers.map((layer, index) => () => this.store.layer(layer, config.diffIds[index], () => source.openBlob(layer))),
          this.options.parallelLayers ?? 3,
        );
      } catch (error) {
        this.release(digests, fresh);
        throw error;
      }
      this.release(digests, []);
      this.store.putBlob(manifest.config.digest, configBytes);
      this.store.putBlob(digest, bytes);
      const record: ImageRecord = { reference: key, manifestDigest: digest, configDigest: manifest.config.digest, layers: digests };
      this.store.putImage(record);
      this.store.putRef(key, digest);
      return { reference: key, manifestDigest: digest, config, layers: digests.map((layer) => this.store.layerRootfs(layer)), cached: false };
    } catch (error) {
      throw new ProvisionError(`Failed to pull image '${key}': ${(error as Error).message}`);
    }
  }

  /** Ends this pull's interest in `digests`; of `fresh` (made by it), removes what no image and no other pull has. */
  private release(digests: string[], fresh: string[]): void {
    for (const layer of digests) {
      const count = (this.wanted.get(layer) ?? 1) - 1;
      if (count === 0) this.wanted.delete(layer);
      else this.wanted.set(layer, count);
    }
    const orphans = fresh.filter((layer) => !this.wanted.has(layer) && this.store.hasLayer(layer));
    if (orphans.length > 0) this.store.removeUnreferenced(orphans);
  }
}
