// The Docker image provider against Debian's docker-registry on 127.0.0.1:
// images made by the test (busybox-static in layers, whiteouts, an opaque
// directory, an index), pushed with skopeo, pulled into a fresh store.
// Needs root (layers keep owners and make devices), docker-registry and skopeo.
import t from 'tap';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { DockerProvisioner } from '../src/agent/provisioner';
import { OPAQUE_XATTR } from '../src/agent/provisioner/extract';
import { buildImage, buildIndex, busyboxLayer, CREDENTIALS, freePort, getXattr, skopeoCopy, startProxy, startRegistry, writeLayout, type BuiltImage } from './helpers/oci';
import { testDir, type Teardown } from './helpers/process';
import { execFileSync } from 'node:child_process';


/** Three layers: busybox; /etc with files and a directory to be hidden; a whiteout, an opaque /etc/conf.d and a new file. */
function layeredImage(): BuiltImage {
  return buildImage({
    layers: [
      busyboxLayer(),
      [
        { name: 'etc/', type: '5' },
        { name: 'etc/motd', data: 'hello from layer 2\n' },
        { name: 'etc/gone', data: 'deleted above\n' },
        { name: 'etc/conf.d/', type: '5' },
        { name: 'etc/conf.d/old.conf', data: 'old\n' },
      ],
      [
        { name: 'etc/.wh.gone', data: '' },
        { name: 'etc/conf.d/', type: '5' },
        { name: 'etc/conf.d/.wh..wh..opq', data: '' },
        { name: 'etc/conf.d/new.conf', data: 'new\n', mode: 0o600, uid: 1000, gid: 1000 },
        { name: 'etc/motd', data: 'hello from layer 3\n' },
      ],
    ],
    config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['cat /etc/motd'], Env: ['PATH=/bin', 'GREETING=hi'], WorkingDir: '/etc' },
  });
}

t.test('a multi-layer image from a registry', async (t) => {
  const dir = testDir(t, 'mc-pull-');
  const registry = await startRegistry(t, join(dir, 'registry'));
  const image = layeredImage();
  writeLayout(join(dir, 'layout'), [{ tag: 'v1', top: image.manifest, mediaType: image.mediaType }], [image]);
  await skopeoCopy(join(dir, 'layout'), 'v1', `docker://${registry.host}/demo/layered:v1`);

  const proxy = await startProxy(t, registry.host);
  const provisioner = new DockerProvisioner({ storeDir: join(dir, 'store'), registry: `http://${proxy.host}` });
  const pulled = await provisioner.provision('demo/layered:v1');
  t.equal(pulled.reference, `${proxy.host}/demo/layered:v1`);
  t.equal(pulled.manifestDigest, image.manifest.digest);
  t.equal(pulled.layers.length, 3);
  t.equal(pulled.cached, false);
  t.same(pulled.config.runtime.entrypoint, ['/bin/sh', '-c']);
  t.same(pulled.config.diffIds, image.diffIds);

  const [base, middle, top] = pulled.layers;
  t.same(readFileSync(join(base, 'bin/busybox')), readFileSync('/usr/bin/busybox'));
  t.equal(statSync(join(base, 'bin/busybox')).mode & 0o7777, 0o755);
  t.equal(readlinkSync(join(base, 'bin/sh')), 'busybox');
  t.equal(readFileSync(join(middle, 'etc/motd'), 'utf8'), 'hello from layer 2\n');
  t.equal(readFileSync(join(top, 'etc/motd'), 'utf8'), 'hello from layer 3\n');
  // The whiteout as overlayfs has it: a 0:0 character device.
  const whiteout = lstatSync(join(top, 'etc/gone'));
  t.ok(whiteout.isCharacterDevice(), 'a whiteout is a character device');
  t.equal(whiteout.rdev, 0);
  t.notOk(existsSync(join(top, 'etc/.wh.gone')));
  t.equal(getXattr(join(top, 'etc/conf.d'), OPAQUE_XATTR), 'y', 'the opaque directory has trusted.overlay.opaque=y');
  t.notOk(existsSync(join(top, 'etc/conf.d/.wh..wh..opq')));
  const conf = statSync(join(top, 'etc/conf.d/new.conf'));
  t.same([conf.uid, conf.gid, conf.mode & 0o7777], [1000, 1000, 0o600]);
  t.equal(statSync(join(top, 'etc/conf.d/new.conf')).mtimeMs, 1_600_000_000_000);

  // Stacked by overlayfs, the whiteout and the opaque directory take effect.
  const merged = join(dir, 'merged');
  mkdirSync(merged);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${[top, middle, base].join(':')}`, merged]);
  try {
    t.notOk(existsSync(join(merged, 'etc/gone')), 'the whiteout hides the lower file');
    t.same(readdirSync(join(merged, 'etc/conf.d')), ['new.conf'], 'the opaque directory hides what was below');
    t.equal(readFileSync(join(merged, 'etc/motd'), 'utf8'), 'hello from layer 3\n');
    t.ok(existsSync(join(merged, 'bin/busybox')));
  } finally {
    execFileSync('umount', [merged]);
  }

  // Every blob was fetched once; the same image again comes from the store.
  const blobGets = proxy.count(/\/blobs\//);
  t.equal(blobGets, 4, 'three layers and a config');
  const again = await new DockerProvisioner({ storeDir: join(dir, 'store'), registry: `http://${proxy.host}` }).provision('demo/layered:v1');
  t.equal(again.cached, true);
  t.same(again.layers, pulled.layers);
  t.equal(proxy.count(/\/blobs\//), blobGets);
  t.same(readdirSync(join(dir, 'store', 'staging')), [], 'nothing left in staging');
});

/** A registry with `image` pushed as `name:tag`, behind a counting proxy. */
async function registryWith(t: Teardown, dir: string, images: Array<{ name: string; tag: string; image: BuiltImage }>) {
  const registry = await startRegistry(t, join(dir, 'registry'));
  for (const { name, tag, image } of images) {
    const layout = join(dir, `layout-${tag}`);
    writeLayout(layout, [{ tag, top: image.manifest, mediaType: image.mediaType }], [image]);
    await skopeoCopy(layout, tag, `docker://${registry.host}/${name}:${tag}`);
  }
  return registry;
}

/** What the store holds, but for its empty skeleton. */
function storeContents(store: string): string[] {
  return ['blobs/sha256', 'layers/sha256', 'images/sha256', 'refs', 'staging'].flatMap((sub) =>
    readdirSync(join(store, sub)).map((name) => `${sub}/${name}`),
  );
}

t.test("Docker's manifest schema 2 (skopeo converts the image as it pushes)", async (t) => {
  const dir = testDir(t, 'mc-pull-');
  const registry = await startRegistry(t, join(dir, 'registry'));
  const image = layeredImage();
  writeLayout(join(dir, 'layout'), [{ tag: 'v1', top: image.manifest, mediaType: image.mediaType }], [image]);
  await skopeoCopy(join(dir, 'layout'), 'v1', `docker://${registry.host}/demo/docker:v1`, { format: 'v2s2' });
  const proxy = await startProxy(t, registry.host);
  const pulled = await new DockerProvisioner({ storeDir: join(dir, 'store'), registry: `http://${proxy.host}` }).provision('demo/docker:v1');
  t.not(pulled.manifestDigest, image.manifest.digest, 'a manifest of its own');
  const served = await new Promise<string>((resolve, reject) => {
    http
      .get(`http://${registry.host}/v2/demo/docker/manifests/v1`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } }, (response) => {
        response.resume();
        resolve(String(response.headers['content-type']));
      })
      .once('error', reject);
  });
  t.equal(served, 'application/vnd.docker.distribution.manifest.v2+json');
  t.same(pulled.config.runtime.cmd, ['cat /etc/motd']);
  t.equal(readFileSync(join(pulled.layers[2], 'etc/motd'), 'utf8'), 'hello from layer 3\n');
  t.ok(lstatSync(join(pulled.layers[2], 'etc/gone')).isCharacterDevice());
});

t.test('an image index is resolved to this machine', async (t) => {
  const dir = testDir(t, 'mc-pull-');
  const registry = await startRegistry(t, join(dir, 'registry'));
  const mine = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const other = mine === 'amd64' ? 'arm64' : 'amd64';
  const ours = buildImage({ layers: [busyboxLayer(), [{ name: 'arch', data: `${mine}\n` }]], architecture: mine, config: { Cmd: ['/bin/cat', '/arch'] } });
  const theirs = buildImage({ layers: [[{ name: 'arch', data: `${other}\n` }]], architecture: other });
  const variant = other === 'arm64' ? 'v8' : undefined;
  const index = buildIndex([
    { image: theirs, architecture: other, variant },
    { image: ours, architecture: mine, variant: mine === 'arm64' ? 'v8' : undefined },
  ]);
  writeLayout(join(dir, 'layout'), [{ tag: 'multi', top: index, mediaType: 'application/vnd.oci.image.index.v1+json' }], [ours, theirs]);
  await skopeoCopy(join(dir, 'layout'), 'multi', `docker://${registry.host}/demo/multi:multi`, { all: true });
  const proxy = await startProxy(t, registry.host);

  const provisioner = new DockerProvisioner({ storeDir: join(dir, 'store'), registry: `http://${proxy.host}` });
  const pulled = await provisioner.provision('demo/multi:multi');
  t.equal(pulled.manifestDigest, ours.manifest.digest, "this machine's manifest");
  t.equal(readFileSync(join(pulled.layers[1], 'arch'), 'utf8'), `${mine}\n`);
  t.equal(proxy.count(new RegExp(theirs.layers[0].digest)), 0, "the other platform's layer is not fetched");
  t.equal(proxy.count(new RegExp(`manifests/${ours.manifest.digest}`)), 1, 'the chosen manifest fetched by digest');

  // By the index's digest, too.
  const byDigest = await provisioner.provision(`demo/multi@${index.digest}`);
  t.equal(byDigest.manifestDigest, ours.manifest.digest);

  // A platform the index lacks is named in the error.
  const s390 = new DockerProvisioner({ storeDir: join(dir, 'store2'), registry: `http://${proxy.host}`, platform: { os: 'linux', architecture: 's390x' } });
  await t.rejects(s390.provision('demo/multi:multi'), /has no manifest for linux\/s390x \(it has: linux\/(amd64|arm64\/v8), linux\/(amd64|arm64\/v8)\)/);
});

t.test('a registry with htpasswd (basic) auth', async (t) => {
  const dir = testDir(t, 'mc-pull-');
  const registry = await startRegistry(t, join(dir, 'registry'), { htpasswd: true });
  const image = buildImage({ layers: [busyboxLayer()], config: { Cmd: ['/bin/true'] } });
  writeLayout(join(dir, 'layout'), [{ tag: 'v1', top: image.manifest, mediaType: image.mediaType }], [image]);
  const creds = `${CREDENTIALS.user}:${CREDENTIALS.password}`;
  await skopeoCopy(join(dir, 'layout'), 'v1', `docker://${registry.host}/private/app:v1`, { creds });

  const anonymous = new DockerProvisioner({ storeDir: join(dir, 'store-a'), registry: `http://${registry.host}` });
  await t.rejects(anonymous.provision('private/app:v1'), {
    message: `Failed to pull image '${registry.host}/private/app:v1': GET http://${registry.host}/v2/private/app/manifests/v1: 401 Unauthorized (the registry wants credentials, and the docker config has none for ${registry.host})`,
  });
  t.same(storeContents(join(dir, 'store-a')), []);

  const auth = Buffer.from(creds).toString('base64');
  const wrong = new DockerProvisioner({
    storeDir: join(dir, 'store-w'),
    registry: `http://${registry.host}`,
    dockerConfig: JSON.stringify({ auths: { [`http://${registry.host}`]: { auth: Buffer.from('puller:nope').toString('base64') } } }),
  });
  await t.rejects(wrong.provision('private/app:v1'), /401 Unauthorized \(UNAUTHORIZED: authentication required\) \(the credentials were refused\)$/);

  // --docker_config as a path, in the old ~/.dockercfg form (no 'auths').
  writeFileSync(join(dir, 'dockercfg'), JSON.stringify({ [registry.host]: { auth, email: 'puller@example.com' } }));
  const provisioner = new DockerProvisioner({ storeDir: join(dir, 'store'), registry: `http://${registry.host}`, dockerConfig: join(dir, 'dockercfg') });
  const pulled = await provisioner.provision('private/app:v1');
  t.same(readFileSync(join(pulled.layers[0], 'bin/busybox')), readFileSync('/usr/bin/busybox'));
  // A reference naming the registry itself works the same.
  const named = await provisioner.provision(`${registry.host}/private/app:v1`);
  t.equal(named.manifestDigest, image.manifest.digest);
  t.equal(named.cached, true);
});

t.test('token auth as Docker Hub does it', async (t) => {
  const dir = testDir(t, 'mc-pull-');
  const image = buildImage({ layers: [busyboxLayer(), [{ name: 'token', data: 'yes\n' }]] });
  const registry = await registryWith(t, dir, [{ name: 'hub/app', tag: 'v1', image }]);

  t.test('with credentials', async (t) => {
    const plain = await startProxy(t, registry.host);
    // Blobs are redirected to another origin, as Docker Hub sends them to its CDN.
    const hub = await startProxy(t, registry.host, { token: CREDENTIALS, redirectBlobsTo: plain.host });
    const anonymous = new DockerProvisioner({ storeDir: join(dir, 'store-anon'), registry: hub.host });
    await t.rejects(
      anonymous.provision('hub/app:v1'),
      new RegExp(`GET http://${hub.host}/token: token request failed: 401 Unauthorized \\(UNAUTHORIZED: bad credentials\\) \\(the docker config has no credentials for it\\)$`),
    );
    const config = JSON.stringify({ auths: { [hub.host]: { auth: Buffer.from(`${CREDENTIALS.user}:${CREDENTIALS.password}`).toString('base64') } } });
    const provisioner = new DockerProvisioner({ storeDir: join(dir, 'store'), registry: hub.host, dockerConfig: config });
    const pulled = await provisioner.provision('hub/app:v1');
    t.equal(readFileSync(join(pulled.layers[1], 'token'), 'utf8'), 'yes\n');
    t.equal(hub.count(/^\/token$/), 2, 'one token for the pull (and the refused one)');
    t.equal(plain.count(/\/blobs\//), 3, 'blobs came through the redirect');
    t.same([...plain.authorizations.keys()], [], 'no Authorization header followed the redirect to another origin');
    t.ok((hub.authorizations.get('/v2/hub/app/manifests/v1') ?? []).some((header) => header.startsWith('Bearer ')));
  });

  t.test('anonymous', async (t) => {
    const hub = await startProxy(t, registry.host, { token: 'anonymous' });
    const provisioner = new DockerProvisioner({ storeDir: join(dir, 'store-anonymous'), registry: `http://${hub.host}` });
    const pulled = await provisioner.provision('hub/app:v1');
    t.equal(pulled.layers.length, 2);
    t.equal(hub.count(/^\/token$/), 1, 'the token is reused for every request of the pull');
  });
});

t.test('a layer whose digest does not match is refused, and leaves nothing', async (t) => {
  const dir = testDir(t, 'mc-pull-');
  const image = buildImage({ layers: [busyboxLayer(), [{ name: 'etc/motd', data: 'the real one\n' }], [{ name: 'top', data: 'x\n' }]] });
  const registry = await registryWith(t, dir, [{ name: 'demo/tampered', tag: 'v1', image }]);
  const target = image.layers[1].digest;
  const proxy = await startProxy(t, registry.host, {
    tamper: (path, body) => {
      if (!path.endsWith(target)) return undefined;
      const changed = Buffer.from(body);
      changed[changed.length - 10] ^= 0xff;
      return changed;
    },
  });
  const store = join(dir, 'store');
  const provisioner = new DockerProvisioner({ storeDir: store, registry: `http://${proxy.host}` });
  await t.rejects(provisioner.provision('demo/tampered:v1'), {
    message: new RegExp(`^Failed to pull image '${proxy.host}/demo/tampered:v1': Layer ${target} has digest sha256:[0-9a-f]{64}: refused$`),
  });
  t.same(storeContents(store), [], 'no layer, blob, image, reference or staging left');

  // A size that differs from the descriptor's is refused the same way.
  const longer = await startProxy(t, registry.host, { tamper: (path, body) => (path.endsWith(target) ? Buffer.concat([body, Buffer.from('x')]) : undefined) });
  await t.rejects(new DockerProvisioner({ storeDir: store, registry: `http://${longer.host}` }).provision('demo/tampered:v1'), /is longer than the \d+ bytes its manifest says$/);
  t.same(storeContents(store), []);
});

t.test('concurrent pulls download each layer once', async (t) => {
  const dir = testDir(t, 'mc-pull-');
  const base = busyboxLayer();
  const one = buildImage({ layers: [base, [{ name: 'one', data: '1\n' }]] });
  const two = buildImage({ layers: [base, [{ name: 'two', data: '2\n' }]] });
  const registry = await registryWith(t, dir, [
    { name: 'demo/app', tag: 'one', image: one },
    { name: 'demo/app', tag: 'two', image: two },
  ]);
  const proxy = await startProxy(t, registry.host);
  const provisioner = new DockerProvisioner({ storeDir: join(dir, 'store'), registry: `http://${proxy.host}` });
  const pulls = await Promise.all([
    provisioner.provision('demo/app:one'),
    provisioner.provision('demo/app:one'),
    provisioner.provision('demo/app:two'),
    provisioner.provision(`demo/app@${one.manifest.digest}`),
    provisioner.provision('demo/app:two'),
  ]);
  for (const layer of [...one.layers, ...two.layers]) t.equal(proxy.count(new RegExp(`blobs/${layer.digest}$`)), 1, `${layer.digest} fetched once`);
  t.equal(pulls[0].layers[0], pulls[2].layers[0], 'the shared base layer is one directory');
  t.same(pulls[3].layers, pulls[0].layers);

  // A second store user (another process's view) racing this one: both end whole.
  const proxy2 = await startProxy(t, registry.host);
  const store = join(dir, 'shared');
  const [a, b] = await Promise.all([
    new DockerProvisioner({ storeDir: store, registry: `http://${proxy2.host}` }).provision('demo/app:one'),
    new DockerProvisioner({ storeDir: store, registry: `http://${proxy2.host}` }).provision('demo/app:one'),
  ]);
  t.same(a.layers, b.layers);
  t.same(readFileSync(join(a.layers[0], 'bin/busybox')), readFileSync('/usr/bin/busybox'));
  t.same(readdirSync(join(store, 'staging')), []);
});

t.test('a cached image starts without the registry', async (t) => {
  const dir = testDir(t, 'mc-pull-');
  const image = buildImage({ layers: [busyboxLayer()] });
  const registry = await registryWith(t, dir, [{ name: 'demo/cached', tag: 'latest', image }]);
  const proxy = await startProxy(t, registry.host);
  const storeDir = join(dir, 'store');
  const first = await new DockerProvisioner({ storeDir, registry: `http://${proxy.host}` }).provision('demo/cached');
  t.equal(first.reference, `${proxy.host}/demo/cached:latest`);
  // The registry's address now answers nothing.
  const gone = await startProxy(t, '127.0.0.1:1');
  const unreachable = `http://${gone.host}`;
  const again = await new DockerProvisioner({ storeDir: join(dir, 'store'), registry: unreachable }).provision(`${proxy.host}/demo/cached:latest`);
  t.equal(again.cached, true);
  t.same(again.layers, first.layers);
  t.equal(gone.count(/./), 0);
});

t.test('registry errors are one line', async (t) => {
  const dir = testDir(t, 'mc-pull-');
  const image = buildImage({ layers: [busyboxLayer()] });
  const registry = await registryWith(t, dir, [{ name: 'demo/errors', tag: 'v1', image }]);
  const provisioner = new DockerProvisioner({ storeDir: join(dir, 'store'), registry: `http://${registry.host}`, timeoutMs: 500 });
  await t.rejects(provisioner.provision('demo/errors:v2'), {
    message: `Failed to pull image '${registry.host}/demo/errors:v2': GET http://${registry.host}/v2/demo/errors/manifests/v2: 404 Not Found (MANIFEST_UNKNOWN: manifest unknown)`,
  });
  await t.rejects(provisioner.provision('demo/nothing:v1'), /demo\/nothing\/manifests\/v1: 404 Not Found \(MANIFEST_UNKNOWN: manifest unknown\)$/);
  await t.rejects(provisioner.provision('demo/errors@sha256:' + '0'.repeat(64)), /404 Not Found/);
  await t.rejects(provisioner.provision('Demo/Errors'), { message: "Invalid image reference 'Demo/Errors': repository component 'Demo' is not lower-case letters, digits and separators" });

  const closed = await freeClosedPort();
  await t.rejects(new DockerProvisioner({ storeDir: join(dir, 'store'), registry: `http://${closed}` }).provision('x/y'), {
    message: `Failed to pull image '${closed}/x/y:latest': GET http://${closed}/v2/x/y/manifests/latest: ECONNREFUSED`,
  });

  // A server that takes the connection and says nothing.
  const silent = net.createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const sockets: net.Socket[] = [];
  silent.on('connection', (socket) => sockets.push(socket));
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const silentHost = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  await t.rejects(provisioner.provision(`${silentHost}/x/y:1`), { message: `Failed to pull image '${silentHost}/x/y:1': GET http://${silentHost}/v2/x/y/manifests/1: no answer for 0.5 s` });

  // A manifest larger than the limit.
  const huge = http.createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
    response.end(Buffer.alloc(5 * 1024 * 1024, 0x20));
  });
  await new Promise<void>((resolve) => huge.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    huge.closeAllConnections();
    huge.close();
  });
  const hugeHost = `127.0.0.1:${(huge.address() as net.AddressInfo).port}`;
  await t.rejects(provisioner.provision(`${hugeHost}/x/y:1`), /the manifest is more than the 4194304 bytes allowed$/);
  t.same(storeContents(join(dir, 'store')), []);
});

async function freeClosedPort(): Promise<string> {
  return `127.0.0.1:${await freePort()}`;
}
