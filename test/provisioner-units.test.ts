// The provider's pure parts: references and their normalization, manifests
// and platforms, auth challenges and docker configs, the image config
// applied to a command, the tar reader.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { authKeyHost, credentialsFor, parseChallenges, parseDockerConfig, tokenOfResponse, tokenUrl } from '../src/agent/provisioner/auth';
import { actionOf, normalizePath } from '../src/agent/provisioner/layer-entry';
import { choosePlatform, hostPlatform, parseImageConfig, parseManifest, type ImageIndex } from '../src/agent/provisioner/manifest';
import { DEFAULT_REGISTRY, formatReference, parseReference, parseRegistryFlag, resolveReference, type RegistryEndpoint } from '../src/agent/provisioner/reference';
import { imageLaunch } from '../src/agent/provisioner/runtime';
import { TarParser, type TarEntry } from '../src/agent/provisioner/tar';
import { compressionOf } from '../src/agent/provisioner/unpack';
import { loadDockerConfig, provisionerOptionsFromEnv } from '../src/agent/provisioner';
import { ImageStore } from '../src/agent/provisioner/store';
import { markTopDirectory } from '../src/agent/provisioner/top-directory';
import { makeTar } from './helpers/oci';
import { testDir } from './helpers/process';

const hub = (parseRegistryFlag(DEFAULT_REGISTRY) as { endpoint: RegistryEndpoint }).endpoint;
const digest = `sha256:${'ab'.repeat(32)}`;

t.test('references', async (t) => {
  t.same(parseReference('busybox'), { repository: 'busybox' });
  t.same(parseReference('busybox:1.36'), { repository: 'busybox', tag: '1.36' });
  t.same(parseReference(`busybox@${digest}`), { repository: 'busybox', digest });
  t.same(parseReference(`busybox:1.36@${digest}`), { repository: 'busybox', tag: '1.36', digest });
  t.same(parseReference('localhost:5000/app'), { registry: 'localhost:5000', repository: 'app' });
  t.same(parseReference('localhost/app:v1'), { registry: 'localhost', repository: 'app', tag: 'v1' });
  t.same(parseReference('quay.io/org/app:v1'), { registry: 'quay.io', repository: 'org/app', tag: 'v1' });
  t.same(parseReference('org/app'), { repository: 'org/app' }, 'a first component without . or : is part of the repository');
  t.same(parseReference('127.0.0.1:5000/a/b/c:x'), { registry: '127.0.0.1:5000', repository: 'a/b/c', tag: 'x' });
  for (const [text, why] of [
    ['', 'it is empty'],
    ['a@b@c', "more than one '@'"],
    ['busybox@sha256:abc', "digest 'sha256:abc' is not sha256:<64 hex digits>"],
    ['busybox:', "tag '' is not valid"],
    ['busybox:-x', "tag '-x' is not valid"],
    ['Busybox', "repository component 'Busybox' is not lower-case letters, digits and separators"],
    ['a//b', "repository component '' is not lower-case letters, digits and separators"],
    ['quay.io/', 'it names no repository'],
    ['bad_host.io:x:y/app', "registry 'bad_host.io:x:y' is not a host[:port]"],
  ]) {
    t.throws(() => parseReference(text), { message: `Invalid image reference '${text}': ${why}` }, text);
  }
  t.equal(formatReference(parseReference(`quay.io/a:b@${digest}`)), `quay.io/a@${digest}`);

  const resolve = (text: string, registry: RegistryEndpoint = hub) => resolveReference(parseReference(text), registry);
  t.same(resolve('busybox'), { registry: hub, repository: 'library/busybox', tag: 'latest', canonical: 'registry-1.docker.io/library/busybox:latest' });
  t.equal(resolve('org/app:v2').canonical, 'registry-1.docker.io/org/app:v2');
  t.equal(resolve('docker.io/busybox').canonical, 'registry-1.docker.io/library/busybox:latest', "docker.io's API is registry-1.docker.io");
  t.equal(resolve(`busybox@${digest}`).canonical, `registry-1.docker.io/library/busybox@${digest}`);
  t.same(resolve('localhost:5000/app').registry, { url: 'http://localhost:5000', host: 'localhost:5000' });
  t.same(resolve('127.0.0.1:8443/app').registry, { url: 'http://127.0.0.1:8443', host: '127.0.0.1:8443' });
  t.same(resolve('example.com:80/app').registry, { url: 'http://example.com:80', host: 'example.com:80' });
  t.same(resolve('example.com:5000/app').registry, { url: 'https://example.com:5000', host: 'example.com:5000' });
  t.equal(resolve('quay.io/app').canonical, 'quay.io/app:latest', 'library/ only on Docker Hub');
  const local = (parseRegistryFlag('http://127.0.0.1:5000') as { endpoint: RegistryEndpoint }).endpoint;
  t.equal(resolve('busybox', local).canonical, '127.0.0.1:5000/busybox:latest');

  t.same(parseRegistryFlag('/srv/images'), { kind: 'directory', directory: '/srv/images' });
  t.same(parseRegistryFlag('https://registry-1.docker.io/'), { kind: 'registry', endpoint: { url: 'https://registry-1.docker.io', host: 'registry-1.docker.io' } });
  t.same(parseRegistryFlag('localhost:5000'), { kind: 'registry', endpoint: { url: 'http://localhost:5000', host: 'localhost:5000' } });
  t.throws(() => parseRegistryFlag('hdfs://nn:8020/images'), /HDFS archives are not supported/);
  t.throws(() => parseRegistryFlag('ftp://x'), /neither an absolute directory nor a registry URL/);

  t.same(provisionerOptionsFromEnv({}, '/var/lib/mesos'), { storeDir: '/var/lib/mesos/store/docker' });
  t.same(provisionerOptionsFromEnv({ MESOS_DOCKER_STORE_DIR: '/s', MESOS_DOCKER_REGISTRY: '/a', MESOS_DOCKER_CONFIG: '{}' }, '/w'), {
    storeDir: '/s',
    registry: '/a',
    dockerConfig: '{}',
  });
});

t.test('manifests, indexes and configs', async (t) => {
  const descriptor = (mediaType: string, extra: object = {}) => ({ mediaType, digest, size: 10, ...extra });
  const manifest = parseManifest(
    Buffer.from(JSON.stringify({ schemaVersion: 2, config: descriptor('application/vnd.oci.image.config.v1+json'), layers: [descriptor('application/vnd.oci.image.layer.v1.tar+gzip')] })),
  );
  t.equal(manifest.kind, 'manifest', 'an OCI manifest without mediaType');
  const docker = parseManifest(
    Buffer.from(JSON.stringify({ schemaVersion: 2, config: descriptor('application/vnd.docker.container.image.v1+json'), layers: [descriptor('application/vnd.docker.image.rootfs.diff.tar.gzip')] })),
    'application/vnd.docker.distribution.manifest.v2+json',
  );
  t.equal(docker.kind, 'manifest');
  t.throws(() => parseManifest(Buffer.from('{"schemaVersion":1,"fsLayers":[]}')), /schema 1 is not supported/);
  t.throws(() => parseManifest(Buffer.from('[1]')), /not a JSON object/);
  t.throws(() => parseManifest(Buffer.from('{')), /not JSON/);
  t.throws(
    () => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: descriptor('x'), layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: 'md5:00', size: 1 }] }))),
    /The layer 0 has digest 'md5:00', not sha256/,
  );
  t.throws(
    () => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: descriptor('x'), layers: [descriptor('application/vnd.docker.image.rootfs.foreign.diff.tar.gzip')] }))),
    /foreign layer/,
  );
  t.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: descriptor('x'), layers: [descriptor('text/plain')] }))), /unsupported media type 'text\/plain'/);

  const entry = (architecture: string, variant?: string, os = 'linux') =>
    descriptor('application/vnd.oci.image.manifest.v1+json', { platform: { os, architecture, ...(variant ? { variant } : {}) } });
  const index = parseManifest(
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [entry('arm', 'v7'), entry('arm64'), entry('amd64', undefined, 'windows'), entry('amd64')] })),
  ) as ImageIndex;
  t.equal(index.kind, 'index');
  t.equal(choosePlatform(index, hostPlatform('x64')), index.manifests[3], 'linux/amd64, not windows');
  t.equal(choosePlatform(index, hostPlatform('arm64')), index.manifests[1], 'arm64 with no variant is v8');
  t.same(hostPlatform('arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const withV8 = { kind: 'index' as const, manifests: [entry('arm64'), entry('arm64', 'v8')] };
  t.equal(choosePlatform(withV8, hostPlatform('arm64')), withV8.manifests[1], 'an exact variant wins');
  t.throws(() => choosePlatform(index, { os: 'linux', architecture: 'riscv64' }), {
    message: 'The image index has no manifest for linux/riscv64 (it has: linux/arm/v7, linux/arm64, windows/amd64, linux/amd64)',
  });

  const config = parseImageConfig(
    Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', config: { Entrypoint: null, Cmd: ['sh'], Env: ['A=1'], WorkingDir: '', User: 'nobody' }, rootfs: { diff_ids: [digest] } })),
  );
  t.same(config, { os: 'linux', architecture: 'amd64', runtime: { cmd: ['sh'], env: ['A=1'], workingDir: '', user: 'nobody' }, diffIds: [digest] });
  t.throws(() => parseImageConfig(Buffer.from(JSON.stringify({ config: { Cmd: 'sh' } }))), /Cmd is not a list of strings/);
});

t.test('auth', async (t) => {
  t.same(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
  ]);
  t.same(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  t.same(parseChallenges('Negotiate, Basic realm=x'), [{ scheme: 'basic', params: { realm: 'x' } }]);
  t.same(parseChallenges('bearer realm="a\\"b"'), [{ scheme: 'bearer', params: { realm: 'a"b' } }]);
  const url = tokenUrl({ scheme: 'bearer', params: { realm: 'https://auth.example/token?x=1', service: 'reg' } }, 'org/app');
  t.equal(url.href, 'https://auth.example/token?x=1&service=reg&scope=repository%3Aorg%2Fapp%3Apull');
  t.throws(() => tokenUrl({ scheme: 'bearer', params: {} }, 'a'), /named no realm/);
  t.throws(() => tokenUrl({ scheme: 'bearer', params: { realm: 'file:///etc/passwd' } }, 'a'), /is not http\(s\)/);
  t.same(tokenOfResponse(Buffer.from('{"token":"t","expires_in":300}')), { token: 't', expiresInSeconds: 300 });
  t.same(tokenOfResponse(Buffer.from('{"access_token":"a"}')), { token: 'a', expiresInSeconds: 60 });
  t.throws(() => tokenOfResponse(Buffer.from('{}')), /without a token/);

  const auths = parseDockerConfig(
    JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: 'aHViOnB3' }, 'quay.io': { username: 'q', password: 'p' }, 'http://127.0.0.1:5000/v2/': { auth: 'bG9jYWw6cHc=' }, empty: {} } }),
  );
  t.equal(credentialsFor(auths, 'registry-1.docker.io'), 'aHViOnB3', 'any docker.io key serves Docker Hub');
  t.equal(credentialsFor(auths, 'quay.io'), Buffer.from('q:p').toString('base64'));
  t.equal(credentialsFor(auths, '127.0.0.1:5000'), 'bG9jYWw6cHc=');
  t.equal(credentialsFor(auths, '127.0.0.1:5001'), undefined);
  t.equal(credentialsFor(parseDockerConfig('{"quay.io":{"auth":"b2xkOmNmZw==","email":"x"}}'), 'quay.io'), 'b2xkOmNmZw==', 'the old .dockercfg form');
  t.equal(authKeyHost('https://host:1/v1/'), 'host:1');
  t.throws(() => parseDockerConfig('nope'), /Failed to parse docker config/);
  const dir = testDir(t, 'mc-auth-');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { 'quay.io': { auth: 'eDp5' } } }));
  t.equal(credentialsFor(loadDockerConfig(join(dir, 'config.json')), 'quay.io'), 'eDp5');
  t.equal(credentialsFor(loadDockerConfig(`file://${join(dir, 'config.json')}`), 'quay.io'), 'eDp5');
  t.throws(() => loadDockerConfig(join(dir, 'missing.json')), { message: `Failed to read docker config '${join(dir, 'missing.json')}': ENOENT` });
  t.throws(() => parseDockerConfig('{"auths":[]}'), /'auths' is not an object/);
});

t.test("the image config applied to a task's command (Mesos's table)", async (t) => {
  const both = { entrypoint: ['/ep', 'e1'], cmd: ['c0', 'c1'] };
  const run = (runtime: object, command: object) => imageLaunch(runtime, command).command;
  // shell=false, no value.
  t.same(run(both, { shell: false }), { shell: false, value: '/ep', arguments: ['/ep', 'e1', 'c0', 'c1'] });
  t.same(run(both, { shell: false, arguments: ['a1'] }), { shell: false, value: '/ep', arguments: ['/ep', 'e1', 'a1'] }, "the task's arguments replace Cmd");
  t.same(run({ cmd: ['c0', 'c1'] }, { shell: false }), { shell: false, value: 'c0', arguments: ['c0', 'c1'] });
  t.same(run({ cmd: ['c0', 'c1'] }, { shell: false, arguments: ['a1'] }), { shell: false, value: 'c0', arguments: ['c0', 'a1'] });
  t.same(run({ entrypoint: ['/ep'] }, { shell: false }), { shell: false, value: '/ep', arguments: ['/ep'] });
  t.throws(() => run({}, { shell: false }), /No executable is found/);
  // A value, or a shell command, runs as given.
  t.same(run(both, { shell: false, value: '/bin/x', arguments: ['x'] }), { shell: false, value: '/bin/x', arguments: ['x'] });
  t.same(run(both, { value: 'echo hi' }), { shell: true, value: 'echo hi' });
  t.throws(() => run(both, { shell: true }), /Shell specified but no command value provided/);

  const launch = imageLaunch(
    { cmd: ['sh'], env: ['PATH=/usr/bin', 'A=image', 'BROKEN', 'B=x=y'], workingDir: '/app', user: 'nobody' },
    { value: 'env', environment: { variables: [{ name: 'A', type: 'VALUE', value: 'task' }] } },
  );
  t.same(launch.command.environment?.variables, [
    { name: 'PATH', type: 'VALUE', value: '/usr/bin' },
    { name: 'B', type: 'VALUE', value: 'x=y' },
    { name: 'A', type: 'VALUE', value: 'task' },
  ]);
  t.equal(launch.workingDirectory, '/app');
  t.equal(launch.imageUser, 'nobody');
  t.same(imageLaunch({ workingDir: '', cmd: ['x'] }, { value: 'y' }), { command: { shell: true, value: 'y' } });
  t.same(imageLaunch(both, { shell: false, arguments: ['q'] }, { ignoreRuntime: true }), { command: { shell: false, arguments: ['q'] } });
});

t.test('the tar reader', async (t) => {
  const read = (bytes: Buffer, pieces = 1) => {
    const entries: Array<TarEntry & { content: string }> = [];
    const parser = new TarParser({
      entry: (entry) => entries.push({ ...entry, content: '' }),
      data: (chunk) => (entries[entries.length - 1].content += chunk.toString()),
      entryEnd: () => {},
    });
    const size = Math.ceil(bytes.length / pieces);
    for (let offset = 0; offset < bytes.length; offset += size) parser.write(bytes.subarray(offset, offset + size));
    parser.finish();
    return entries;
  };
  const tar = makeTar([
    { name: 'a', data: 'hello', mode: 0o4755, uid: 1, gid: 2, mtime: 42 },
    { name: 'dir/', type: '5' },
    { name: 'long/'.repeat(30) + 'x', data: 'long' },
    { name: 'attrs', data: '', pax: { 'SCHILY.xattr.user.k': 'v', mtime: '1.5', uid: '4000000' } },
    { name: '././@LongLink', type: 'L', data: 'gnu-long-name\0' },
    { name: 'short', data: 'gnu' },
    { name: 'dev', type: '3', devmajor: 4, devminor: 5 },
  ]);
  for (const pieces of [1, 7, 333, tar.length]) {
    const entries = read(tar, pieces);
    t.same(
      entries.map((entry) => [entry.name, entry.type, entry.content]),
      [
        ['a', 'file', 'hello'],
        ['dir/', 'directory', ''],
        ['long/'.repeat(30) + 'x', 'file', 'long'],
        ['attrs', 'file', ''],
        ['gnu-long-name', 'file', 'gnu'],
        ['dev', 'char', ''],
      ],
      `in ${pieces} pieces`,
    );
    t.same([entries[0].mode, entries[0].uid, entries[0].gid, entries[0].mtime], [0o4755, 1, 2, 42]);
    t.same([entries[3].mtime, entries[3].uid, entries[3].xattrs.get('user.k')?.toString()], [1.5, 4000000, 'v']);
    t.same([entries[5].devmajor, entries[5].devminor], [4, 5]);
  }
  // A base-256 size (GNU's, past 8 GiB in octal) and a global pax header.
  const big = makeTar([{ name: 'g', type: 'g', data: '16 uname=global\n' }, { name: 'f', data: 'abc' }]);
  const header = Buffer.from(big.subarray(512 + 512, 512 + 1024));
  header.fill(0, 124, 136);
  header[124] = 0x80;
  header[135] = 3;
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  const patched = Buffer.concat([big.subarray(0, 1024), header, big.subarray(1536)]);
  t.same(read(patched).map((entry) => [entry.name, entry.size, entry.content]), [['f', 3, 'abc']]);

  t.throws(() => read(Buffer.alloc(512, 1)), /bad checksum/);
  t.throws(() => read(tar.subarray(0, 700)), /ends in the middle of an entry/);
  const sparse = Buffer.from(makeTar([{ name: 's', data: '' }]).subarray(0, 512));
  sparse.write('S', 156, 'latin1');
  sparse.fill(0x20, 148, 156);
  let s2 = 0;
  for (const byte of sparse) s2 += byte;
  sparse.write(s2.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  t.throws(() => read(Buffer.concat([sparse, Buffer.alloc(1024)])), /Unsupported tar entry type 'S'/);
  t.throws(() => read(makeTar([{ name: 'x', type: 'x', data: '99 path=x\n' }])), /malformed pax/);

  t.equal(compressionOf(gzipSync('x')), 'gzip');
  t.equal(compressionOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
  t.equal(compressionOf(tar), 'none');
});

t.test('layer entry names', async (t) => {
  t.same(normalizePath('./a//b/./c/'), ['a', 'b', 'c']);
  t.same(normalizePath('/../../etc/passwd'), ['etc', 'passwd']);
  t.same(normalizePath('a/../../b'), ['b']);
  t.same(actionOf('./'), { kind: 'root' });
  t.same(actionOf('usr/bin/env'), { kind: 'entry', parent: ['usr', 'bin'], name: 'env' });
  t.same(actionOf('etc/.wh.hosts'), { kind: 'whiteout', parent: ['etc'], name: 'hosts' });
  t.same(actionOf('var/.wh..wh..opq'), { kind: 'opaque', parent: ['var'] });
  t.same(actionOf('.wh..wh..opq'), { kind: 'opaque', parent: [] });
  t.equal(actionOf('.wh..wh.plnk/12').kind, 'skip');
  t.equal(actionOf('a/.wh.').kind, 'skip');
  t.equal(actionOf('a/.wh...').kind, 'skip');
});

t.test("a store the agent makes is root's alone: image configs may hold secrets", async (t) => {
  const dir = join(testDir(t, 'mc-store-'), 'store', 'docker');
  ImageStore.open(dir);
  t.equal(statSync(dir).mode & 0o777, 0o700);
  t.equal(statSync(join(dir, '..')).mode & 0o777, 0o700, 'and so is what it made above it');
});

t.test("the store drops what dead processes left in staging, and keeps a live one's", async (t) => {
  const dir = testDir(t, 'mc-store-');
  ImageStore.open(dir);
  // A pid past pid_max is never alive.
  mkdirSync(join(dir, 'staging', '4194305-dead'));
  writeFileSync(join(dir, 'staging', '4194305-dead', 'blob'), 'half');
  mkdirSync(join(dir, 'staging', `${process.pid}-mine`));
  mkdirSync(join(dir, 'staging', 'junk'));
  ImageStore.open(dir);
  t.same(readdirSync(join(dir, 'staging')), [`${process.pid}-mine`]);
});

t.test('a directory is marked as the top of unrelated trees where its filesystem has the flag; a mark that fails is no error', async (t) => {
  const dir = testDir(t, 'mc-store-');
  await markTopDirectory(dir);
  const listed = spawnSync('lsattr', ['-d', dir], { encoding: 'utf8' });
  if (listed.status !== 0) t.comment(`no flags here (${listed.stderr.trim() || 'no lsattr'}): only the failure is checked`);
  else t.match(listed.stdout.split(' ')[0], /T/);
  await markTopDirectory(join(dir, 'missing'));
});

t.test('a chattr that hangs holds the mark up no longer than its timeout', async (t) => {
  const dir = testDir(t, 'mc-store-');
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'chattr'), `#!/bin/sh\nexec ${execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim()} 30\n`, { mode: 0o755 });
  const path = process.env.PATH;
  process.env.PATH = join(dir, 'bin');
  t.teardown(() => {
    process.env.PATH = path;
  });
  const started = Date.now();
  await markTopDirectory(dir, 200);
  const waited = Date.now() - started;
  t.ok(waited >= 200 && waited < 5000, `resolved once the timeout passed (${waited} ms)`);
});
