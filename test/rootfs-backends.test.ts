// The two backends give the same root filesystem: layers with a whiteout,
// an opaque directory, a directory over a file and a file over a
// directory, a symlink a later layer puts a directory where (which the
// copy must not follow out of the root) are stacked once by overlayfs, in
// a throwaway mount namespace, and once by the copy backend, and the trees
// compared; the layers themselves stay as they were.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyLayer } from '../native/libc';
import { testDir } from './helpers/process';
import { isRoot } from './helpers/run';

const rootOnly = { skip: !isRoot && 'needs root (device nodes, trusted xattrs, mounts)' };

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Each entry: its path, type, mode, owner, a file's size and a link's target, sorted. */
function listing(root: string): string {
  return run('find', [root, '-mindepth', '1', '-printf', '%P %y %m %U:%G %s %l\\n'])
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (line.split(' ')[1] === 'd' ? line.split(' ').slice(0, 4).join(' ') : line))
    .sort()
    .join('\n');
}

function write(path: string, content = 'x\n'): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
}

t.test('copy and overlay stack layers alike, whiteouts and opaque directories honoured', rootOnly, async (t) => {
  const base = testDir(t, 'layers-');
  const outside = join(base, 'outside');
  mkdirSync(outside);
  const [l0, l1, l2] = ['l0', 'l1', 'l2'].map((name) => join(base, name)) as [string, string, string];
  // The bottom layer.
  write(join(l0, 'etc/passwd'), 'root:x:0:0::/:/bin/sh\n');
  write(join(l0, 'gone/file'));
  write(join(l0, 'opaque/old'));
  write(join(l0, 'opaque/sub/older'));
  write(join(l0, 'merged/low'));
  write(join(l0, 'was-file'));
  write(join(l0, 'was-dir/inner'));
  symlinkSync(outside, join(l0, 'bad'));
  symlinkSync('/etc/passwd', join(l0, 'link'));
  // The middle layer: whiteouts, an opaque directory, replacements.
  mkdirSync(join(l1, 'opaque'), { recursive: true });
  run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', join(l1, 'opaque')]);
  write(join(l1, 'opaque/new'));
  run('mknod', [join(l1, 'gone'), 'c', '0', '0']);
  write(join(l1, 'merged/mid'), 'mid\n');
  mkdirSync(join(l1, 'was-file'));
  write(join(l1, 'was-file/now-inside'));
  write(join(l1, 'was-dir'), 'a file now\n');
  // A directory where the bottom layer has a symlink out of the root.
  write(join(l1, 'bad/bin/evil'), 'evil\n');
  write(join(l1, 'link'), 'a file, not the link\n');
  // The top layer: a whiteout of a file in a merged directory, a whiteout of what does not exist.
  mkdirSync(join(l2, 'merged'), { recursive: true });
  run('mknod', [join(l2, 'merged/low'), 'c', '0', '0']);
  run('mknod', [join(l2, 'never'), 'c', '0', '0']);
  run('chmod', ['0750', join(l2, 'merged')]);
  run('setfattr', ['-n', 'user.kept', '-v', 'file', join(l1, 'merged/mid')]);
  run('setfattr', ['-n', 'user.kept', '-v', 'directory', join(l1, 'opaque')]);
  const layersBefore = [l0, l1, l2].map(listing);

  const copy = join(base, 'copy');
  mkdirSync(copy);
  for (const layer of [l0, l1, l2]) applyLayer(layer, copy);

  const merged = join(base, 'merged');
  const upper = join(base, 'upper');
  const work = join(base, 'work');
  for (const dir of [merged, upper, work]) mkdirSync(dir);
  const overlay = run('unshare', [
    '-m',
    '--propagation',
    'private',
    'sh',
    '-c',
    `mount -t overlay overlay -o lowerdir=${l2}:${l1}:${l0},upperdir=${upper},workdir=${work} ${merged} && find ${merged} -mindepth 1 -printf '%P %y %m %U:%G %s %l\\n'`,
  ])
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (line.split(' ')[1] === 'd' ? line.split(' ').slice(0, 4).join(' ') : line))
    .sort()
    .join('\n');
  t.equal(listing(copy), overlay, 'the copy is what overlay shows');
  t.match(listing(copy), /^bad\/bin\/evil f/m);
  t.notMatch(listing(copy), /^(gone|never|merged\/low|opaque\/old|opaque\/sub)/m);
  t.equal(listing(outside), '', "nothing went through the bottom layer's symlink");
  t.same([l0, l1, l2].map(listing), layersBefore, 'the layers are unchanged');
  t.equal(run('cat', [join(copy, 'link')]), 'a file, not the link\n');
  const xattrs = (path: string) => run('getfattr', ['-d', '-m', '-', '--absolute-names', path]).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  t.same(xattrs(join(copy, 'merged/mid')), ['user.kept="file"'], "a file's extended attributes are kept");
  t.same(xattrs(join(copy, 'opaque')), ['user.kept="directory"'], "a directory's too, but overlay's opaque mark");
});

t.test('a layer path with a symlink in it is refused', rootOnly, async (t) => {
  const base = testDir(t, 'layers-');
  mkdirSync(join(base, 'real'));
  symlinkSync(join(base, 'real'), join(base, 'via'));
  mkdirSync(join(base, 'copy'));
  t.throws(() => applyLayer(join(base, 'via'), join(base, 'copy')), { message: /ELOOP|symbolic links/i });
  t.throws(() => applyLayer(join(base, 'real'), join(base, 'via')), { message: /ELOOP|symbolic links/i });
});
