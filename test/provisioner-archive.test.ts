// Images from `docker save` archives in the directory `--docker_registry`
// names: the manifest.json layout (skopeo's docker-archive) and the older
// repositories layout, which the test writes itself. Needs root and skopeo.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerProvisioner } from '../src/agent/provisioner';
import { buildImage, busyboxLayer, makeTar, skopeoCopy, writeLayout } from './helpers/oci';
import { testDir } from './helpers/process';

/** skopeo's docker-archive of the layout's `tag` at `path` (a name skopeo can't parse, with its ':', by a rename). */
async function saveArchive(layout: string, tag: string, path: string, name: string): Promise<void> {
  const temporary = `${layout}.tar`;
  await skopeoCopy(layout, tag, `docker-archive:${temporary}:${name}`);
  renameSync(temporary, path);
}

const config = { Entrypoint: ['/bin/echo'], Cmd: ['hello'], Env: ['A=1'], WorkingDir: '/work' };
const layers = [busyboxLayer(), [{ name: 'etc/', type: '5' }, { name: 'etc/motd', data: 'from an archive\n' }]];

t.test('a docker save archive (manifest.json), from skopeo', async (t) => {
  const dir = testDir(t, 'mc-archive-');
  const image = buildImage({ layers, config });
  writeLayout(join(dir, 'layout'), [{ tag: 'v1', top: image.manifest, mediaType: image.mediaType }], [image]);
  const archives = join(dir, 'archives');
  mkdirSync(join(archives, 'demo'), { recursive: true });
  await saveArchive(join(dir, 'layout'), 'v1', join(archives, 'demo', 'app:v1.tar'), 'demo/app:v1');

  const provisioner = new DockerProvisioner({ storeDir: join(dir, 'store'), registry: archives });
  const pulled = await provisioner.provision('demo/app:v1');
  t.equal(pulled.reference, `demo/app:v1 in ${archives}`);
  t.equal(pulled.layers.length, 2);
  t.same(readFileSync(join(pulled.layers[0], 'bin/busybox')), readFileSync('/usr/bin/busybox'));
  t.equal(readlinkSync(join(pulled.layers[0], 'bin/sh')), 'busybox');
  t.equal(readFileSync(join(pulled.layers[1], 'etc/motd'), 'utf8'), 'from an archive\n');
  t.same(pulled.config.runtime, { entrypoint: ['/bin/echo'], cmd: ['hello'], env: ['A=1'], workingDir: '/work' });
  t.same(pulled.config.diffIds, image.diffIds, "the archive's layers are the image's, uncompressed");

  const again = await provisioner.provision('demo/app:v1');
  t.equal(again.cached, true);

  await t.rejects(provisioner.provision('demo/app:v2'), {
    message: `Failed to pull image 'demo/app:v2 in ${archives}': Failed to find archive for image 'demo/app:v2' at '${join(archives, 'demo', 'app:v2.tar')}'`,
  });
  // A file that is not an archive.
  writeFileSync(join(archives, 'junk:latest.tar'), 'not a tar at all'.repeat(64));
  await t.rejects(provisioner.provision('junk'), /junk:latest\.tar: A tar header with a bad checksum/);
});

t.test('the older repositories layout', async (t) => {
  const dir = testDir(t, 'mc-archive-');
  const ids = ['a'.repeat(64), 'b'.repeat(64)];
  const tars = layers.map((layer) => makeTar(layer));
  const entries = [
    { name: 'repositories', data: JSON.stringify({ busybox: { latest: ids[1] } }) },
    { name: `${ids[0]}/`, type: '5' },
    { name: `${ids[0]}/VERSION`, data: '1.0' },
    { name: `${ids[0]}/json`, data: JSON.stringify({ id: ids[0], os: 'linux' }) },
    { name: `${ids[0]}/layer.tar`, data: tars[0] },
    { name: `${ids[1]}/`, type: '5' },
    { name: `${ids[1]}/json`, data: JSON.stringify({ id: ids[1], parent: ids[0], os: 'linux', config: { Cmd: ['/bin/sh'], Env: ['OLD=yes'] } }) },
    { name: `${ids[1]}/layer.tar`, data: tars[1] },
  ];
  const archives = join(dir, 'archives');
  mkdirSync(archives);
  // Mesos's own name for an untagged reference, NAME.tar.
  writeFileSync(join(archives, 'busybox.tar'), makeTar(entries));
  const provisioner = new DockerProvisioner({ storeDir: join(dir, 'store'), registry: archives });
  const pulled = await provisioner.provision('busybox');
  t.equal(pulled.layers.length, 2);
  t.same(readFileSync(join(pulled.layers[0], 'bin/busybox')), readFileSync('/usr/bin/busybox'));
  t.equal(readFileSync(join(pulled.layers[1], 'etc/motd'), 'utf8'), 'from an archive\n');
  t.same(pulled.config.runtime, { cmd: ['/bin/sh'], env: ['OLD=yes'] });
  const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  t.same(pulled.config.diffIds, tars.map(sha));

  // The same layers from a manifest.json archive are the same store entries.
  const image = buildImage({ layers, config, plain: true });
  writeLayout(join(dir, 'layout'), [{ tag: 'latest', top: image.manifest, mediaType: image.mediaType }], [image]);
  await saveArchive(join(dir, 'layout'), 'latest', join(archives, 'other:latest.tar'), 'other:latest');
  const other = await provisioner.provision('other');
  t.same(other.layers, pulled.layers, 'layers are shared by digest');

  writeFileSync(join(archives, 'broken:latest.tar'), makeTar([{ name: 'repositories', data: JSON.stringify({ broken: { latest: ids[1] } }) }]));
  await t.rejects(provisioner.provision('broken'), new RegExp(`broken:latest\\.tar has no '${ids[1]}/json'$`));
  t.ok(execFileSync('ls', [join(dir, 'store', 'staging')], { encoding: 'utf8' }) === '');
});
