// Docker image references, `NAME[:TAG|@DIGEST]`, and where they are pulled
// from: Docker's grammar, split as Mesos's docker::spec does it (a first
// component with '.', ':' or equal to 'localhost' names a registry), and
// normalized as its registry puller does (the agent's default registry when
// the reference names none, `library/` for a one-component repository on
// Docker Hub). Pure: no I/O.

export interface ImageReference {
  /** host[:port], when the reference names one. */
  registry?: string;
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>`. */
  digest?: string;
}

/** A registry's address: `http(s)://host[:port]` and the `host[:port]` credentials are looked up by. */
export interface RegistryEndpoint {
  url: string;
  host: string;
}

/** A reference made definite: its registry, its full repository, and a tag or a digest. */
export interface ResolvedReference {
  registry: RegistryEndpoint;
  repository: string;
  /** The tag, `latest` when none was named; undefined when a digest was. */
  tag?: string;
  digest?: string;
  /** `host[:port]/repository:tag` or `...@digest`: the key of the store's cache. */
  canonical: string;
}

/** Mesos's default for `--docker_registry`. */
export const DEFAULT_REGISTRY = 'https://registry-1.docker.io';
export const DEFAULT_TAG = 'latest';

// Docker's reference grammar (distribution/reference), lower-case path
// components separated by '/'.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const HOST = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;
/** The longest name Docker takes. */
const NAME_MAX = 255;

export class ImageReferenceError extends Error {}

/** Splits `NAME[:TAG][@DIGEST]`; throws a ImageReferenceError saying what is wrong. */
export function parseReference(text: string): ImageReference {
  const fail = (why: string): never => {
    throw new ImageReferenceError(`Invalid image reference '${text}': ${why}`);
  };
  if (text === '') fail('it is empty');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    if (rest.indexOf('@', at + 1) !== -1) fail("more than one '@'");
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`digest '${digest}' is not sha256:<64 hex digits>`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  // A ':' after the last '/' starts the tag; one before it is a registry's port.
  if (colon !== -1 && !rest.slice(colon).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`tag '${tag}' is not valid`);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
      if (!HOST.test(registry)) fail(`registry '${registry}' is not a host[:port]`);
    }
  }
  if (rest === '') fail('it names no repository');
  if (rest.length > NAME_MAX) fail(`the repository is longer than ${NAME_MAX} characters`);
  for (const component of rest.split('/')) {
    if (!COMPONENT.test(component)) fail(`repository component '${component}' is not lower-case letters, digits and separators`);
  }
  const reference: ImageReference = { repository: rest };
  if (registry !== undefined) reference.registry = registry;
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  return reference;
}

/** The reference as written: `[registry/]repository[:tag|@digest]` (a digest wins over a tag, as in Mesos). */
export function formatReference(reference: ImageReference): string {
  const name = reference.registry === undefined ? reference.repository : `${reference.registry}/${reference.repository}`;
  if (reference.digest !== undefined) return `${name}@${reference.digest}`;
  return reference.tag === undefined ? name : `${name}:${reference.tag}`;
}

/**
 * http or https for a registry named in a reference, as Mesos picks it: port
 * 443 https, port 80 http, localhost or 127.0.0.1 with a port http, else https.
 */
export function registryScheme(host: string): 'http' | 'https' {
  const match = /^(.*):([0-9]+)$/.exec(host);
  if (match === null) return 'https';
  const [, name, port] = match;
  if (port === '443') return 'https';
  if (port === '80') return 'http';
  return name === 'localhost' || name === '127.0.0.1' ? 'http' : 'https';
}

// Docker Hub's names for itself; its API is served by registry-1.docker.io.
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io']);
const DOCKER_HUB_API = 'registry-1.docker.io';

/** A registry named in a reference, as an endpoint. */
export function endpointOfHost(host: string): RegistryEndpoint {
  const api = DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB_API : host;
  return { url: `${registryScheme(api)}://${api}`, host: api };
}

/** What the agent's `--docker_registry` names: a directory of `docker save` archives, or a registry. */
export type RegistrySource = { kind: 'directory'; directory: string } | { kind: 'registry'; endpoint: RegistryEndpoint };

/**
 * The agent's `--docker_registry`: an absolute path is a directory of
 * archives (Mesos's local puller); otherwise a registry URL (a bare
 * host[:port] gets the scheme a reference's registry would). `hdfs://` is
 * refused.
 */
export function parseRegistryFlag(flag: string): RegistrySource {
  if (flag.startsWith('/')) return { kind: 'directory', directory: flag };
  if (flag.startsWith('hdfs://')) throw new ImageReferenceError(`--docker_registry '${flag}': HDFS archives are not supported`);
  const match = /^(?:(https?):\/\/)?([^/?#]+)\/?$/.exec(flag);
  if (match === null || !HOST.test(match[2])) {
    throw new ImageReferenceError(`--docker_registry '${flag}' is neither an absolute directory nor a registry URL (https://host[:port])`);
  }
  const host = DOCKER_HUB_ALIASES.has(match[2]) ? DOCKER_HUB_API : match[2];
  const scheme = match[1] ?? registryScheme(host);
  return { kind: 'registry', endpoint: { url: `${scheme}://${host}`, host } };
}

/**
 * Where and what to pull: the reference's own registry, else the default;
 * `library/` before a one-component repository on Docker Hub; `latest` when
 * neither tag nor digest is named.
 */
export function resolveReference(reference: ImageReference, defaultRegistry: RegistryEndpoint): ResolvedReference {
  const registry = reference.registry === undefined ? defaultRegistry : endpointOfHost(reference.registry);
  const repository =
    registry.host.includes('docker.io') && !reference.repository.includes('/') ? `library/${reference.repository}` : reference.repository;
  const resolved: ResolvedReference = { registry, repository, canonical: '' };
  if (reference.digest !== undefined) resolved.digest = reference.digest;
  else resolved.tag = reference.tag ?? DEFAULT_TAG;
  resolved.canonical = formatReference({ registry: registry.host, repository, tag: resolved.tag, digest: resolved.digest });
  return resolved;
}
