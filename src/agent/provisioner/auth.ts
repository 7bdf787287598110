// Registry authentication, the pure parts: the challenge in a 401's
// WWW-Authenticate header (Bearer as Docker Hub's token servers use it, or
// Basic), the token request it asks for, and credentials from a Docker
// config as Mesos's `--docker_config` takes it (`~/.docker/config.json`'s
// `auths`, or the older `~/.dockercfg` map; each entry's `auth` is base64 of
// `user:password`).

export interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

export class AuthError extends Error {}

/**
 * The challenges of a WWW-Authenticate header (RFC 7235: a scheme, then
 * comma-separated `key=value` or `key="quoted value"`), those we know.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let current: Challenge | undefined;
  let rest = header.trim();
  while (rest !== '') {
    const param = /^([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,\s*|$)/.exec(rest);
    if (param !== null && current !== undefined) {
      current.params[param[1].toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3];
      rest = rest.slice(param[0].length);
      continue;
    }
    const scheme = /^([A-Za-z0-9_-]+)(?:\s+|\s*,\s*|$)/.exec(rest);
    if (scheme === null) break;
    const name = scheme[1].toLowerCase();
    current = name === 'bearer' || name === 'basic' ? { scheme: name, params: {} } : { scheme: 'basic', params: { unknown: name } };
    if (current.params.unknown === undefined) challenges.push(current);
    rest = rest.slice(scheme[0].length);
  }
  return challenges;
}

/**
 * The token server's URL for a Bearer challenge: its realm with service and
 * scope (the challenge's, else pull access to `repository`).
 */
export function tokenUrl(challenge: Challenge, repository: string): URL {
  const realm = challenge.params.realm;
  if (realm === undefined || realm === '') throw new AuthError('The registry asked for a token but named no realm');
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new AuthError(`The registry's token realm '${realm}' is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AuthError(`The registry's token realm '${realm}' is not http(s)`);
  if (challenge.params.service !== undefined) url.searchParams.set('service', challenge.params.service);
  url.searchParams.set('scope', challenge.params.scope ?? `repository:${repository}:pull`);
  return url;
}

/** The token in a token server's answer: `token`, or OAuth's `access_token`. */
export function tokenOfResponse(body: Uint8Array): { token: string; expiresInSeconds: number } {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(Buffer.from(body).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new AuthError('The token server answered with something other than JSON');
  }
  const token = typeof json.token === 'string' && json.token !== '' ? json.token : json.access_token;
  if (typeof token !== 'string' || token === '') throw new AuthError('The token server answered without a token');
  // The specification's default lifetime is 60 s.
  const expires = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 60;
  return { token, expiresInSeconds: expires };
}

/** Credentials per registry key, as written in the config (`https://index.docker.io/v1/`, `quay.io`, `host:5000`). */
export type DockerAuths = Map<string, string>;

/**
 * The `auths` of a Docker config (the JSON text): each entry with an `auth`
 * (base64 of `user:password`), or `username` and `password`.
 */
export function parseDockerConfig(text: string): DockerAuths {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AuthError(`Failed to parse docker config: ${(error as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new AuthError('Failed to parse docker config: not a JSON object');
  const root = json as Record<string, unknown>;
  const auths = root.auths === undefined ? root : root.auths;
  if (typeof auths !== 'object' || auths === null || Array.isArray(auths)) throw new AuthError("Failed to parse docker config: 'auths' is not an object");
  const result: DockerAuths = new Map();
  for (const [key, value] of Object.entries(auths as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null) continue;
    const entry = value as Record<string, unknown>;
    if (typeof entry.auth === 'string' && entry.auth !== '') result.set(key, entry.auth);
    else if (typeof entry.username === 'string' && typeof entry.password === 'string') {
      result.set(key, Buffer.from(`${entry.username}:${entry.password}`).toString('base64'));
    }
  }
  return result;
}

/** `host[:port]` of a config key: the scheme and any path dropped (Mesos's parseAuthUrl). */
export function authKeyHost(key: string): string {
  return key.replace(/^https?:\/\//, '').split('/')[0];
}

/**
 * The base64 `user:password` for a registry `host[:port]`: the entry whose
 * key names that host, or for Docker Hub any key naming docker.io (its
 * several addresses are one registry).
 */
export function credentialsFor(auths: DockerAuths, host: string): string | undefined {
  for (const [key, auth] of auths) {
    if ((host.includes('docker.io') && key.includes('docker.io')) || authKeyHost(key) === host) return auth;
  }
  return undefined;
}
