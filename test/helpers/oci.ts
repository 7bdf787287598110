// Images for the provisioner's tests, made by hand: tar layers (hostile
// ones too, which no tar program would write), OCI image layouts with
// manifests, configs and indexes, pushed with skopeo; Debian's
// docker-registry on 127.0.0.1 and a free port, and a proxy in front of it
// that counts requests, can damage blobs and can ask for tokens.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Teardown } from './process';
import { spawn } from 'node:child_process';

const run = promisify(execFile);

/** An extended attribute of `path` itself (getfattr, Debian's package attr), or undefined. */
export function getXattr(path: string, name: string): string | undefined {
  try {
    return execFileSync('getfattr', ['--only-values', '-h', '-n', name, path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

export interface TarSpec {
  name: string;
  /** ustar typeflag: '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo. */
  type?: string;
  data?: Buffer | string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** pax records for this entry (a long name goes there by itself). */
  pax?: Record<string, string | Buffer>;
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

function header(spec: TarSpec, size: number, type: string, name: string, linkname: string): Buffer {
  const block = Buffer.alloc(512);
  block.write(name.slice(0, 100), 0, 'utf8');
  block.write(octal(spec.mode ?? (type === '5' ? 0o755 : 0o644), 8), 100, 'latin1');
  block.write(octal(spec.uid ?? 0, 8), 108, 'latin1');
  block.write(octal(spec.gid ?? 0, 8), 116, 'latin1');
  block.write(octal(size, 12), 124, 'latin1');
  block.write(octal(spec.mtime ?? 1_600_000_000, 12), 136, 'latin1');
  block.write('        ', 148, 'latin1');
  block.write(type, 156, 'latin1');
  block.write(linkname.slice(0, 100), 157, 'utf8');
  block.write('ustar\0', 257, 'latin1');
  block.write('00', 263, 'latin1');
  block.write(octal(spec.devmajor ?? 0, 8), 329, 'latin1');
  block.write(octal(spec.devminor ?? 0, 8), 337, 'latin1');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148, 'latin1');
  return block;
}

const pad = (length: number): Buffer => Buffer.alloc((512 - (length % 512)) % 512);

function paxData(records: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(records)) {
    const body = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
    let length = body.length + 1;
    while (String(length).length + body.length !== length) length = String(length).length + body.length;
    parts.push(Buffer.concat([Buffer.from(String(length)), body]));
  }
  return Buffer.concat(parts);
}

/** A tar archive of `entries`, as given (names are not cleaned). */
export function makeTar(entries: TarSpec[]): Buffer {
  const parts: Buffer[] = [];
  for (const spec of entries) {
    const type = spec.type ?? '0';
    // Files, and GNU long names and pax headers written by hand, carry data.
    const data = type === '0' || 'LKxg'.includes(type) ? Buffer.from(spec.data ?? '') : Buffer.alloc(0);
    const pax: Record<string, string | Buffer> = { ...(spec.pax ?? {}) };
    if (Buffer.byteLength(spec.name) > 100) pax.path = spec.name;
    if (Buffer.byteLength(spec.linkname ?? '') > 100) pax.linkpath = spec.linkname ?? '';
    if (Object.keys(pax).length > 0) {
      const records = paxData(pax);
      parts.push(header({ name: 'PaxHeader' }, records.length, 'x', 'PaxHeader', ''), records, pad(records.length));
    }
    parts.push(header(spec, data.length, type, spec.name, spec.linkname ?? ''), data, pad(data.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The files of a busybox root: /bin/busybox and a few of its names as symlinks. */
export function busyboxLayer(): TarSpec[] {
  const busybox = readFileSync('/usr/bin/busybox');
  const entries: TarSpec[] = [{ name: 'bin/', type: '5' }, { name: 'bin/busybox', data: busybox, mode: 0o755 }];
  for (const name of ['sh', 'ls', 'cat', 'echo', 'true']) entries.push({ name: `bin/${name}`, type: '2', linkname: 'busybox' });
  return entries;
}

export interface Blob {
  digest: string;
  bytes: Buffer;
}

export interface BuiltImage {
  manifest: Blob;
  config: Blob;
  layers: Blob[];
  /** The uncompressed layers' digests. */
  diffIds: string[];
  mediaType: string;
}

export interface ImageSpec {
  layers: TarSpec[][];
  config?: Record<string, unknown>;
  architecture?: string;
  /** Leave a layer uncompressed. */
  plain?: boolean;
}

/** An OCI image: gzip layers, a config, a manifest. */
export function buildImage(spec: ImageSpec): BuiltImage {
  const tars = spec.layers.map((layer) => makeTar(layer));
  const layers = tars.map((tar) => {
    const bytes = spec.plain === true ? tar : gzipSync(tar);
    return { digest: sha256(bytes), bytes };
  });
  const diffIds = tars.map(sha256);
  const configBytes = Buffer.from(
    JSON.stringify({
      architecture: spec.architecture ?? (process.arch === 'arm64' ? 'arm64' : 'amd64'),
      os: 'linux',
      config: spec.config ?? {},
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const config = { digest: sha256(configBytes), bytes: configBytes };
  const layerType = spec.plain === true ? 'application/vnd.oci.image.layer.v1.tar' : 'application/vnd.oci.image.layer.v1.tar+gzip';
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: configBytes.length },
      layers: layers.map((layer) => ({ mediaType: layerType, digest: layer.digest, size: layer.bytes.length })),
    }),
  );
  return { manifest: { digest: sha256(manifestBytes), bytes: manifestBytes }, config, layers, diffIds, mediaType: 'application/vnd.oci.image.manifest.v1+json' };
}

/** An OCI image index of `images`, each with its config's platform. */
export function buildIndex(images: Array<{ image: BuiltImage; architecture: string; variant?: string }>): Blob {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: images.map(({ image, architecture, variant }) => ({
        mediaType: image.mediaType,
        digest: image.manifest.digest,
        size: image.manifest.bytes.length,
        platform: { os: 'linux', architecture, ...(variant === undefined ? {} : { variant }) },
      })),
    }),
  );
  return { digest: sha256(bytes), bytes };
}

/**
 * Writes an OCI layout at `dir` with `tag` naming `top` (a manifest or an
 * index) and every blob of `images`.
 */
export function writeLayout(dir: string, tags: Array<{ tag: string; top: Blob; mediaType: string }>, images: BuiltImage[], extra: Blob[] = []): void {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const blobs = [...extra, ...images.flatMap((image) => [image.manifest, image.config, ...image.layers])];
  for (const blob of blobs) writeFileSync(join(dir, 'blobs', 'sha256', blob.digest.slice(7)), blob.bytes);
  for (const { top } of tags) writeFileSync(join(dir, 'blobs', 'sha256', top.digest.slice(7)), top.bytes);
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: tags.map(({ tag, top, mediaType }) => ({
        mediaType,
        digest: top.digest,
        size: top.bytes.length,
        annotations: { 'org.opencontainers.image.ref.name': tag },
      })),
    }),
  );
}

/** skopeo copy from an OCI layout to anywhere skopeo writes (`docker://...`, `docker-archive:...`). */
export async function skopeoCopy(
  layout: string,
  tag: string,
  destination: string,
  options: { all?: boolean; creds?: string; format?: 'v2s2' | 'oci' } = {},
): Promise<void> {
  const args = ['--insecure-policy', 'copy', '--quiet', '--dest-tls-verify=false'];
  if (options.all === true) args.push('--all');
  if (options.format !== undefined) args.push(`--format=${options.format}`);
  if (options.creds !== undefined) args.push(`--dest-creds=${options.creds}`);
  if (!destination.startsWith('docker://')) args.splice(args.indexOf('--dest-tls-verify=false'), 1);
  await run('skopeo', [...args, `oci:${layout}:${tag}`, destination], { timeout: 120_000 });
}

export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** htpasswd's bcrypt of 'pull-secret' for the user 'puller' (the registry takes bcrypt only). */
export const HTPASSWD = 'puller:$2b$05$Qa5JUABxY5K/OzTb1VUEXuEGv.O6kzI7KisKBUj2XbvtMjIl9rgFS\n';
export const CREDENTIALS = { user: 'puller', password: 'pull-secret' };

export interface Registry {
  /** host:port. */
  host: string;
  storage: string;
}

/** Debian's docker-registry on 127.0.0.1 and a free port, storing in `dir`; stopped in teardown. */
export async function startRegistry(t: Teardown, dir: string, options: { htpasswd?: boolean } = {}): Promise<Registry> {
  const storage = join(dir, 'storage');
  mkdirSync(storage, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const lines = [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
    ];
    if (options.htpasswd === true) {
      writeFileSync(join(dir, 'htpasswd'), HTPASSWD);
      lines.push('auth:', '  htpasswd:', '    realm: test-registry', `    path: ${join(dir, 'htpasswd')}`);
    }
    writeFileSync(join(dir, 'config.yml'), lines.join('\n') + '\n');
    const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    t.teardown(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    });
    const host = `127.0.0.1:${port}`;
    for (let wait = 0; wait < 100; wait++) {
      if (child.exitCode !== null) break;
      const status = await new Promise<number>((resolve) => {
        http.get(`http://${host}/v2/`, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        }).once('error', () => resolve(0));
      });
      if (status === 200 || status === 401) return { host, storage };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    await exited;
    if (attempt >= 2) throw new Error(`docker-registry did not start: ${stderr.trim()}`);
  }
}

export interface ProxyOptions {
  /** Changes a blob's bytes on the way (for digests that don't match). */
  tamper?: (path: string, body: Buffer) => Buffer | undefined;
  /** Asks for a Bearer token from its own /token, which wants these credentials (or none). */
  token?: { user: string; password: string } | 'anonymous';
  /** Answers blob GETs with a 307 to this host:port (another origin). */
  redirectBlobsTo?: string;
  /** Holds each blob's answer back this long, half of it sent (a slow pull, to be interrupted). */
  stallBlobsMs?: number;
}

export interface Proxy {
  host: string;
  /** GETs by path, the token requests included. */
  requests: Map<string, number>;
  /** Authorization headers the proxy was sent, by path. */
  authorizations: Map<string, string[]>;
  count(pattern: RegExp): number;
}

/** A proxy on 127.0.0.1 in front of `upstream` (host:port), counting what it is asked. */
export async function startProxy(t: Teardown, upstream: string, options: ProxyOptions = {}): Promise<Proxy> {
  const requests = new Map<string, number>();
  const authorizations = new Map<string, string[]>();
  const tokens = new Set<string>();
  let host = '';
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${host}`);
    requests.set(url.pathname, (requests.get(url.pathname) ?? 0) + 1);
    if (request.headers.authorization !== undefined) authorizations.set(url.pathname, [...(authorizations.get(url.pathname) ?? []), request.headers.authorization]);
    if (options.token !== undefined) {
      if (url.pathname === '/token') {
        const expected = options.token === 'anonymous' ? undefined : `Basic ${Buffer.from(`${options.token.user}:${options.token.password}`).toString('base64')}`;
        if (expected !== undefined && request.headers.authorization !== expected) {
          response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
          return;
        }
        if (url.searchParams.get('service') !== 'test-service' || !/^repository:[a-z0-9/_.-]+:pull$/.test(url.searchParams.get('scope') ?? '')) {
          response.writeHead(400).end();
          return;
        }
        const token = createHash('sha256').update(String(Math.random())).digest('hex');
        tokens.add(token);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, expires_in: 300 }));
        return;
      }
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
      if (bearer === null || !tokens.has(bearer[1])) {
        const repository = /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(url.pathname)?.[1] ?? 'none';
        response
          .writeHead(401, {
            'www-authenticate': `Bearer realm="http://${host}/token",service="test-service",scope="repository:${repository}:pull"`,
            'content-type': 'application/json',
          })
          .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
    }
    if (options.redirectBlobsTo !== undefined && url.pathname.includes('/blobs/')) {
      response.writeHead(307, { location: `http://${options.redirectBlobsTo}${request.url}` }).end();
      return;
    }
    const headers = { ...request.headers, host: upstream };
    if (options.token !== undefined) delete headers.authorization;
    const forward = http.request({ host: upstream.split(':')[0], port: Number(upstream.split(':')[1]), path: request.url, method: request.method, headers }, (answer) => {
      const tamper = options.tamper;
      const stall = options.stallBlobsMs;
      if (stall !== undefined && answer.statusCode === 200 && url.pathname.includes('/blobs/')) {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          response.writeHead(200, answer.headers);
          response.write(body.subarray(0, body.length >> 1));
          setTimeout(() => response.end(body.subarray(body.length >> 1)), stall).unref();
        });
        return;
      }
      if (tamper === undefined || answer.statusCode !== 200) {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        const changed = tamper(url.pathname, body) ?? body;
        response.writeHead(200, { ...answer.headers, 'content-length': String(changed.length) }).end(changed);
      });
    });
    forward.once('error', () => response.writeHead(502).end());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets would hold close() up.
        server.closeAllConnections();
      }),
  );
  const count = (pattern: RegExp): number => [...requests].filter(([path]) => pattern.test(path)).reduce((sum, [, n]) => sum + n, 0);
  return { host, requests, authorizations, count };
}
