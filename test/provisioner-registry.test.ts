// The Docker image provider against Debian's docker-registry on 127.0.0.1:
// images made by the test (busybox-static in layers, whiteouts, an opaque
// directory, an index), pushed with skopeo, pulled into a fresh store.
// Needs root (layers keep owners and make devices), docker-registry and skopeo.
import t from 'tap';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DockerProvisioner } from '../src/agent/provisioner';
import { OPAQUE_XATTR } from '../src/agent/provisioner/extract';
import { buildImage, buildIndex, busyboxLayer, CREDENTIALS, skopeoCopy, startProxy, startRegistry, writeLayout, type BuiltImage } from './helpers/oci';
import { testDir } from './helpers/process';
import { execFileSync } from 'node:child_process';

const getXattr = (path: string, name: string): string | undefined => {
  try {
    return execFileSync('getfattr', ['--only-values', '-n', name, path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
};

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
