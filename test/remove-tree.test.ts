// Removing a tree a task wrote: nothing a link leads to is touched, any
// depth goes (the addon's walk, then GNU rm past its 128 levels), and a
// filesystem mounted inside is left alone and said.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { removeTaskTree } from '../src/agent/remove-tree';
import { testDir } from './helpers/process';
import { isRoot } from './helpers/run';

t.test('links are removed, never followed; a missing tree is no error', async (t) => {
  const dir = testDir(t, 'remove-tree-');
  const victim = join(dir, 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'kept'), 'kept\n');
  mkdirSync(join(dir, 'tree', 'a'), { recursive: true });
  symlinkSync(victim, join(dir, 'tree', 'a', 'to-victim'));
  symlinkSync(join(victim, 'kept'), join(dir, 'tree', 'file-link'));
  removeTaskTree(join(dir, 'tree'));
  t.notOk(existsSync(join(dir, 'tree')));
  t.equal(readFileSync(join(victim, 'kept'), 'utf8'), 'kept\n');
  t.doesNotThrow(() => removeTaskTree(join(dir, 'tree')));
});

t.test('a tree deeper than the walk takes', async (t) => {
  const dir = testDir(t, 'remove-tree-');
  let path = join(dir, 'deep');
  for (let level = 0; level < 300; level++) path = join(path, 'd');
  mkdirSync(path, { recursive: true });
  removeTaskTree(join(dir, 'deep'));
  t.notOk(existsSync(join(dir, 'deep')));
});

t.test('a filesystem mounted inside is not emptied', { skip: !isRoot && 'needs root (a mount)' }, async (t) => {
  const dir = testDir(t, 'remove-tree-');
  const inner = join(dir, 'tree', 'mnt');
  mkdirSync(inner, { recursive: true });
  // In a mount namespace of its own: the tmpfs with its file, then the removal, by a child.
  const child = join(dir, 'child.ts');
  writeFileSync(child, [
    `import { removeTaskTree } from ${JSON.stringify(join(__dirname, '..', 'src', 'agent', 'remove-tree'))};`,
    'try { removeTaskTree(process.argv[2]!); console.log("removed"); } catch (error) { console.log((error as Error).message); }',
  ].join('\n'));
  const loader = pathToFileURL(join(__dirname, '..', 'node_modules', '@tapjs', 'typescript', 'dist', 'esm', 'import.mjs')).href;
  const script = [
    `mount -t tmpfs none ${inner}`,
    `echo precious > ${inner}/file`,
    `node --import=${loader} ${child} ${join(dir, 'tree')}`,
    `cat ${inner}/file`,
  ].join(' && ');
  const run = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  t.match(run.stdout, /^Failed to remove '.*\/tree': .*\nprecious\n$/);
});
