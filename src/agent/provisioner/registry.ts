// A Docker registry over the v2 API: manifests (an index resolved to this
// machine's platform), blobs, token auth as Docker Hub does it (a 401 with a
// Bearer challenge sends us to its realm, with the docker config's
// credentials for the registry when there are some), and Basic auth.
import type { Readable } from 'node:stream';
import { AuthError, credentialsFor, parseChallenges, tokenOfResponse, tokenUrl, type DockerAuths } from './auth';
import { checkDigest, sha256Digest } from './digest';
import { describeFailure, get, HttpError, readBody, type Response } from './http';
import { choosePlatform, hostPlatform, MANIFEST_ACCEPT, parseManifest, type Descriptor, type Platform } from './manifest';
import type { ResolvedReference } from './reference';
import { MANIFEST_LIMIT, type ImageSource, type ManifestAnswer } from './source';

export interface RegistryOptions {
  /** Credentials by registry, from the agent's `--docker_config`. */
  auths?: DockerAuths;
  /** How long a connection may stay silent (default 30 s). */
  timeoutMs?: number;
  platform?: Platform;
}

export class RegistryError extends Error {}

/** Tokens by registry and repository, while they last. */
const tokens = new Map<string, { header: string; until: number }>();

export class RegistrySource implements ImageSource {
  readonly where: string;
  private readonly timeoutMs: number;
  private readonly credentials: string | undefined;

  constructor(
    private readonly reference: ResolvedReference,
    private readonly options: RegistryOptions = {},
  ) {
    this.where = `${reference.registry.url}/v2/${reference.repository}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.credentials = options.auths === undefined ? undefined : credentialsFor(options.auths, reference.registry.host);
  }

  async manifest(): Promise<ManifestAnswer> {
    const wanted = this.reference.digest ?? this.reference.tag ?? 'latest';
    const first = await this.manifestAt(wanted, this.reference.digest);
    if (first.manifest.kind === 'manifest') return { digest: first.digest, bytes: first.bytes, manifest: first.manifest };
    const chosen = choosePlatform(first.manifest, this.options.platform ?? hostPlatform());
    const second = await this.manifestAt(chosen.digest, chosen.digest);
    if (second.manifest.kind !== 'manifest') throw new RegistryError(`${this.where}: the index's entry ${chosen.digest} is an index again`);
    return { digest: second.digest, bytes: second.bytes, manifest: second.manifest };
  }

  private async manifestAt(reference: string, digest: string | undefined) {
    const response = await this.fetch(`manifests/${reference}`, { accept: MANIFEST_ACCEPT });
    const bytes = await readBody(response, MANIFEST_LIMIT, 'manifest');
    if (digest !== undefined) checkDigest(bytes, digest, `manifest ${this.where}/manifests/${reference}`);
    const manifest = parseManifest(bytes, String(response.headers['content-type'] ?? ''));
    return { digest: digest ?? sha256Digest(bytes), bytes, manifest };
  }

  async blobBytes(descriptor: Descriptor, limit: number): Promise<Buffer> {
    if (descriptor.size > limit) throw new RegistryError(`${this.where}: blob ${descriptor.digest} is ${descriptor.size} bytes, more than the ${limit} allowed`);
    const response = await this.fetch(`blobs/${descriptor.digest}`, {});
    return readBody(response, limit, `blob ${descriptor.digest}`);
  }

  async openBlob(descriptor: Descriptor): Promise<Readable> {
    const response = await this.fetch(`blobs/${descriptor.digest}`, {});
    return response.body;
  }

  /** GET `<registry>/v2/<repository>/<path>`, authenticating when asked; a 200 or a throw. */
  private async fetch(path: string, headers: Record<string, string>): Promise<Response> {
    const url = new URL(`${this.where}/${path}`);
    // A token is for one registry, repository and set of credentials.
    const key = `${this.reference.registry.url} ${this.reference.repository} ${this.credentials ?? ''}`;
    const cached = tokens.get(key);
    let authorization = cached !== undefined && cached.until > Date.now() ? cached.header : undefined;
    for (let attempt = 0; ; attempt++) {
      const response = await this.send(url, authorization === undefined ? headers : { ...headers, authorization });
      if (response.status === 200) return response;
      const body = await readBody(response, 64 * 1024, 'error').catch(() => Buffer.alloc(0));
      if (response.status !== 401 || attempt > 0) {
        const refused = response.status === 401 ? ' (the credentials were refused)' : '';
        throw new RegistryError(`GET ${url.href}: ${describeFailure(response, body)}${refused}`);
      }
      const granted = await this.authorize(url, String(response.headers['www-authenticate'] ?? ''));
      authorization = granted.header;
      // A token is used for a little less than its lifetime.
      tokens.set(key, { header: granted.header, until: Date.now() + granted.seconds * 900 });
    }
  }

  private async send(url: URL, headers: Record<string, string>): Promise<Response> {
    try {
      return await get(url, { headers, timeoutMs: this.timeoutMs });
    } catch (error) {
      throw error instanceof HttpError ? new RegistryError(error.message) : error;
    }
  }

  /** The Authorization header a 401's challenge asks for. */
  private async authorize(url: URL, header: string): Promise<{ header: string; seconds: number }> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
    if (bearer !== undefined) {
      let where: URL;
      try {
        where = tokenUrl(bearer, this.reference.repository);
      } catch (error) {
        throw new RegistryError(`GET ${url.href}: ${(error as AuthError).message}`);
      }
      const headers: Record<string, string> = this.credentials === undefined ? {} : { authorization: `Basic ${this.credentials}` };
      const response = await this.send(where, headers);
      const body = await readBody(response, 1024 * 1024, 'token');
      if (response.status !== 200) {
        const hint = response.status === 401 ? (this.credentials === undefined ? ' (the docker config has no credentials for it)' : ' (the credentials were refused)') : '';
        throw new RegistryError(`GET ${where.origin}${where.pathname}: token request failed: ${describeFailure(response, body)}${hint}`);
      }
      try {
        const { token, expiresInSeconds } = tokenOfResponse(body);
        return { header: `Bearer ${token}`, seconds: expiresInSeconds };
      } catch (error) {
        throw new RegistryError(`GET ${where.origin}${where.pathname}: ${(error as Error).message}`);
      }
    }
    if (challenges.some((challenge) => challenge.scheme === 'basic')) {
      if (this.credentials === undefined) {
        throw new RegistryError(`GET ${url.href}: 401 Unauthorized (the registry wants credentials, and the docker config has none for ${this.reference.registry.host})`);
      }
      return { header: `Basic ${this.credentials}`, seconds: 3600 };
    }
    throw new RegistryError(`GET ${url.href}: 401 Unauthorized with no challenge we know ('${header}')`);
  }
}
