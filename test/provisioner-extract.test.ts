// Layer extraction as root: what a layer holds lands in its directory with
// owners, modes, times, devices and xattrs; whiteouts become overlayfs's;
// and hostile layers (.., absolute names, symlinks and hard links leading
// out, a symlink replaced by a file) change nothing outside the layer.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { unpackLayer, unpackStream } from '../src/agent/provisioner/unpack';
import { getXattr, makeTar, type TarSpec } from './helpers/oci';
import { testDir } from './helpers/process';


/** Extracts `entries` (as a tar, gzip unless told) into a fresh layer directory of `dir`. */
async function extract(dir: string, entries: TarSpec[], options: { gzip?: boolean } = {}) {
  const tar = makeTar(entries);
  const blob = join(dir, `blob-${Math.random().toString(36).slice(2)}`);
  writeFileSync(blob, options.gzip === false ? tar : gzipSync(tar));
  const layer = join(dir, `layer-${Math.random().toString(36).slice(2)}`);
  mkdirSync(layer);
  const stats = await unpackLayer(blob, layer);
  return { layer, stats };
}

/** A directory outside the layers with a file in it, and a check that both are as they were. */
function outside(dir: string) {
  const path = join(dir, 'outside');
  mkdirSync(path);
  writeFileSync(join(path, 'secret'), 'untouched\n');
  const before = () => ({ names: readdirSync(path).sort(), secret: readFileSync(join(path, 'secret'), 'utf8'), links: statSync(join(path, 'secret')).nlink });
  const expected = before();
  return { path, unchanged: () => before(), expected, parentNames: () => readdirSync(dir).filter((name) => !name.startsWith('layer-') && !name.startsWith('blob-')).sort() };
}

t.test('what a layer holds, kept', async (t) => {
  const dir = testDir(t, 'mc-extract-');
  const longName = `deep/${'d'.repeat(120)}/file-with-a-long-name`;
  const { layer, stats } = await extract(dir, [
    { name: './', type: '5', mode: 0o755, mtime: 1_500_000_000 },
    { name: 'bin/', type: '5', mode: 0o750, uid: 2, gid: 3, mtime: 1_400_000_000 },
    { name: 'bin/tool', data: '#!/bin/sh\n', mode: 0o4755, uid: 0, gid: 0, mtime: 1_300_000_000 },
    { name: 'bin/alias', type: '1', linkname: 'bin/tool' },
    { name: 'bin/link', type: '2', linkname: '../etc/nowhere', uid: 7, gid: 8, mtime: 1_200_000_000 },
    { name: 'home/user/notes', data: 'mine\n', mode: 0o640, uid: 1000, gid: 100, pax: { 'SCHILY.xattr.user.note': 'kept', 'SCHILY.xattr.trusted.overlay.redirect': '/x' } },
    { name: 'dev/null', type: '3', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'dev/loop9', type: '4', devmajor: 7, devminor: 9, mode: 0o660, gid: 6 },
    { name: 'run/pipe', type: '6', mode: 0o600 },
    { name: longName, data: 'pax path\n' },
    { name: '././@LongLink', type: 'L', data: `gnu/${'g'.repeat(150)}\0` },
    { name: 'gnu/truncated', data: 'gnu long name\n' },
    { name: 'tmp/', type: '5', mode: 0o1777 },
  ]);
  t.equal(stats.entries, 12, 'a GNU long name is not an entry of its own');
  const tool = statSync(join(layer, 'bin/tool'));
  t.equal(tool.mode & 0o7777, 0o4755, 'set-uid survives the owner change');
  t.equal(tool.mtimeMs, 1_300_000_000_000);
  t.equal(statSync(join(layer, 'bin/alias')).ino, tool.ino, 'a hard link is the same file');
  const link = lstatSync(join(layer, 'bin/link'));
  t.equal(readlinkSync(join(layer, 'bin/link')), '../etc/nowhere');
  t.same([link.uid, link.gid, link.mtimeMs], [7, 8, 1_200_000_000_000], "a symlink's own owner and time");
  const bin = statSync(join(layer, 'bin'));
  t.same([bin.mode & 0o7777, bin.uid, bin.gid, bin.mtimeMs], [0o750, 2, 3, 1_400_000_000_000], "a directory's time is set after its entries");
  t.equal(statSync(layer).mtimeMs, 1_500_000_000_000, "the layer root takes './'");
  const notes = statSync(join(layer, 'home/user/notes'));
  t.same([notes.mode & 0o7777, notes.uid, notes.gid], [0o640, 1000, 100]);
  t.equal(statSync(join(layer, 'home')).mode & 0o7777, 0o755, 'missing parents are made 0755');
  t.equal(getXattr(join(layer, 'home/user/notes'), 'user.note'), 'kept');
  t.equal(getXattr(join(layer, 'home/user/notes'), 'trusted.overlay.redirect'), undefined, 'overlayfs xattrs from a layer are not applied');
  t.ok(stats.skipped.some((reason) => reason.includes('trusted.overlay.redirect')));
  const devNull = lstatSync(join(layer, 'dev/null'));
  t.ok(devNull.isCharacterDevice());
  t.equal(devNull.rdev, (1 << 8) | 3);
  t.equal(devNull.mode & 0o777, 0o666);
  const loop = lstatSync(join(layer, 'dev/loop9'));
  t.ok(loop.isBlockDevice());
  t.same([loop.rdev, loop.gid], [(7 << 8) | 9, 6]);
  t.ok(lstatSync(join(layer, 'run/pipe')).isFIFO());
  t.equal(readFileSync(join(layer, longName), 'utf8'), 'pax path\n');
  t.equal(readFileSync(join(layer, `gnu/${'g'.repeat(150)}`), 'utf8'), 'gnu long name\n');
  t.equal(statSync(join(layer, 'tmp')).mode & 0o7777, 0o1777);
});

t.test('a later entry replaces an earlier one; whiteouts and opaque directories', async (t) => {
  const dir = testDir(t, 'mc-extract-');
  const { layer, stats } = await extract(
    dir,
    [
      { name: 'a', data: 'file first\n' },
      { name: 'a/', type: '5' },
      { name: 'a/inside', data: 'then a directory\n' },
      { name: 'b/', type: '5' },
      { name: 'b/child', data: 'x' },
      { name: 'b', data: 'a file replaces the directory\n' },
      { name: 'c', data: 'one\n' },
      { name: 'c', data: 'two\n' },
      { name: '.wh..wh..opq', data: '' },
      { name: 'etc/.wh.passwd', data: '' },
      { name: 'etc/.wh..wh..opq', data: '' },
      { name: '.wh..wh.plnk/123', data: '' },
    ],
    { gzip: false },
  );
  t.equal(readFileSync(join(layer, 'a/inside'), 'utf8'), 'then a directory\n');
  t.equal(readFileSync(join(layer, 'b'), 'utf8'), 'a file replaces the directory\n');
  t.equal(readFileSync(join(layer, 'c'), 'utf8'), 'two\n');
  t.equal(getXattr(layer, 'trusted.overlay.opaque'), 'y', 'an opaque root');
  t.equal(getXattr(join(layer, 'etc'), 'trusted.overlay.opaque'), 'y');
  const whiteout = lstatSync(join(layer, 'etc/passwd'));
  t.ok(whiteout.isCharacterDevice());
  t.equal(whiteout.rdev, 0);
  t.same([stats.whiteouts, stats.opaques], [1, 2]);
  t.notOk(existsSync(join(layer, '.wh..wh.plnk')), "aufs's metadata is skipped");
});

t.test('hostile layers change nothing outside', async (t) => {
  const dir = testDir(t, 'mc-extract-');
  const out = outside(dir);
  const check = (t: Test) => {
    t.same(out.unchanged(), out.expected, 'the outside directory is as it was');
    t.same(out.parentNames(), ['outside'], 'nothing new beside the layers');
  };

  t.test('.. and absolute names stay in the layer', async (t) => {
    const { layer } = await extract(dir, [
      { name: '../../../../escaped', data: 'no\n' },
      { name: `${out.path}/secret`, data: 'overwritten?\n' },
      { name: '../outside/secret', data: 'overwritten?\n' },
      { name: 'x', type: '5' },
      { name: 'x/../../up', data: 'up\n' },
      { name: 'name', pax: { path: '../../pax-escaped' }, data: 'pax\n' },
    ]);
    t.equal(readFileSync(join(layer, 'escaped'), 'utf8'), 'no\n');
    t.equal(readFileSync(join(layer, out.path.slice(1), 'secret'), 'utf8'), 'overwritten?\n');
    t.equal(readFileSync(join(layer, 'outside/secret'), 'utf8'), 'overwritten?\n');
    t.equal(readFileSync(join(layer, 'up'), 'utf8'), 'up\n');
    t.equal(readFileSync(join(layer, 'pax-escaped'), 'utf8'), 'pax\n');
    check(t);
  });

  t.test('a symlink out, then a file through it', async (t) => {
    await t.rejects(
      extract(dir, [
        { name: 'escape', type: '2', linkname: out.path },
        { name: 'escape/planted', data: 'no\n' },
      ]),
      /Layer entry 'escape\/planted': mkdirat 'escape': File exists/,
    );
    check(t);
    // A relative one climbing out resolves at the layer's root.
    const { layer } = await extract(dir, [
      { name: 'sub/', type: '5' },
      { name: 'sub/up', type: '2', linkname: '../../../../..' },
      { name: 'sub/up/planted', data: 'in the layer\n' },
      { name: 'sub/up/outside/secret', data: 'in the layer too\n' },
      { name: 'abs', type: '2', linkname: '/' },
      { name: 'abs/outside/secret', data: 'and here\n' },
    ]).catch((error: Error) => {
      throw error;
    });
    t.equal(readFileSync(join(layer, 'planted'), 'utf8'), 'in the layer\n');
    t.equal(readFileSync(join(layer, 'outside/secret'), 'utf8'), 'and here\n');
    check(t);
  });

  t.test('a symlink replaced by a file or a directory', async (t) => {
    const { layer } = await extract(dir, [
      { name: 'link', type: '2', linkname: join(out.path, 'secret') },
      { name: 'link', data: 'replaces the link, not its target\n' },
      { name: 'dirlink', type: '2', linkname: out.path },
      { name: 'dirlink/', type: '5' },
      { name: 'dirlink/file', data: 'in a real directory\n' },
    ]);
    t.ok(lstatSync(join(layer, 'link')).isFile());
    t.ok(lstatSync(join(layer, 'dirlink')).isDirectory());
    t.equal(readFileSync(join(layer, 'dirlink/file'), 'utf8'), 'in a real directory\n');
    check(t);
  });

  t.test('hard links out', async (t) => {
    for (const entries of [
      [{ name: 'hl', type: '1', linkname: join(out.path, 'secret') }],
      [{ name: 'hl', type: '1', linkname: '../outside/secret' }],
      [
        { name: 'via', type: '2', linkname: out.path },
        { name: 'hl', type: '1', linkname: 'via/secret' },
      ],
      [
        { name: 'rel', type: '2', linkname: '../outside' },
        { name: 'hl', type: '1', linkname: 'rel/secret' },
      ],
    ] as TarSpec[][]) {
      await t.rejects(extract(dir, entries), /Layer entry 'hl': linkat 'hl' to '.*': No such file or directory/);
      check(t);
    }
    // A hard link to a symlink that points out is a link to the symlink.
    const { layer } = await extract(dir, [
      { name: 'sym', type: '2', linkname: join(out.path, 'secret') },
      { name: 'hl', type: '1', linkname: 'sym' },
    ]);
    t.ok(lstatSync(join(layer, 'hl')).isSymbolicLink());
    check(t);
  });

  t.test('malformed archives are refused', async (t) => {
    const truncated = makeTar([{ name: 'big', data: Buffer.alloc(4096, 1) }]).subarray(0, 1024);
    const blob = join(dir, 'blob-truncated');
    writeFileSync(blob, gzipSync(truncated));
    mkdirSync(join(dir, 'layer-truncated'));
    await t.rejects(unpackLayer(blob, join(dir, 'layer-truncated')), /ends in the middle of an entry/);
    writeFileSync(join(dir, 'blob-badgzip'), Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(64, 7)]));
    mkdirSync(join(dir, 'layer-badgzip'));
    await t.rejects(unpackLayer(join(dir, 'blob-badgzip'), join(dir, 'layer-badgzip')), /not valid gzip/);
    await t.rejects(extract(dir, [{ name: '..', data: 'x' }]), /the layer root is not a directory/);
    check(t);
  });
});

t.test('zstd layers', async (t) => {
  const dir = testDir(t, 'mc-extract-');
  const tar = makeTar([{ name: 'z', data: 'zstd\n' }]);
  writeFileSync(join(dir, 'tar'), tar);
  try {
    execFileSync('zstd', ['-q', '-o', join(dir, 'blob'), join(dir, 'tar')]);
  } catch {
    t.comment('no zstd program: skipped');
    return;
  }
  mkdirSync(join(dir, 'layer'));
  await unpackLayer(join(dir, 'blob'), join(dir, 'layer'));
  t.equal(readFileSync(join(dir, 'layer', 'z'), 'utf8'), 'zstd\n');
});

t.test('zstd without the zstd program is refused in one line', async (t) => {
  const dir = testDir(t, 'mc-extract-');
  writeFileSync(join(dir, 'blob'), Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64)]));
  mkdirSync(join(dir, 'layer'));
  const path = process.env.PATH;
  process.env.PATH = join(dir, 'no-programs-here');
  t.teardown(() => {
    process.env.PATH = path;
  });
  await t.rejects(unpackLayer(join(dir, 'blob'), join(dir, 'layer')), { message: 'zstd-compressed layers need the zstd program, which is not installed' });
});

t.test('bytes that stop before their end, with no error, are refused rather than waited for', async (t) => {
  const dir = testDir(t, 'mc-extract-');
  const blob = gzipSync(makeTar([{ name: 'big', data: Buffer.alloc(300_000, 1) }]));
  for (const cut of [2, 200, blob.length - 8]) {
    const input = new Readable({ read() {} });
    input.push(blob.subarray(0, cut));
    setImmediate(() => input.destroy());
    const layer = join(dir, `layer-${cut}`);
    mkdirSync(layer);
    await t.rejects(unpackStream(input, layer), { message: 'Premature close' }, `cut after ${cut} bytes`);
  }
});
