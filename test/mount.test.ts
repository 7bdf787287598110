import { spawnSync } from 'node:child_process';
import t from 'tap';
import { runMount } from '../src/mount/subcommand';
import { CONTAINERIZER, containerizer, isRoot } from './helpers/run';

t.test("mount's messages", async (t) => {
  const cases: Array<[string[], string]> = [
    [[], 'Flag --operation is not specified'],
    [['--operation=make-rslave'], 'Flag --path is required for make-rslave'],
    [['--operation=make-shared', '--path=/'], "Unsupported mount operation 'make-shared'"],
  ];
  for (const [args, message] of cases) {
    const result = containerizer(['mount', ...args]);
    t.equal(result.code, 1, args.join(' '));
    t.equal(result.stderr, message + '\n', args.join(' '));
  }
});

t.test('make-rslave calls mount once with the path, through a stand-in', async (t) => {
  const calls: string[] = [];
  t.equal(runMount({ operation: 'make-rslave', path: '/some/where' }, (path) => calls.push(path)), 0);
  t.same(calls, ['/some/where']);
  const refused: string[] = [];
  t.equal(runMount({ operation: 'make-rslave' }, (path) => refused.push(path)), 1);
  t.same(refused, [], 'no call is made without a path');
});

t.test('a failing mount is one line naming the path and the reason', async (t) => {
  const result = containerizer(['mount', '--operation=make-rslave', '--path=/no/such/path']);
  t.equal(result.code, 1);
  t.equal(
    result.stderr,
    "Failed to mark rslave with path '/no/such/path': mount(MS_SLAVE|MS_REC) at '/no/such/path': No such file or directory\n",
  );
});

// In a throwaway mount namespace: a tmpfs made shared and bound elsewhere
// forms a peer group; make-rslave must turn the bind into a slave of it.
t.test('make-rslave turns a shared mount into a slave of its peer group', { skip: !isRoot && 'needs root' }, async (t) => {
  const script = `
    set -e
    base=$(mktemp -d)
    mkdir "$base/a" "$base/b"
    mount -t tmpfs none "$base/a"
    mount --make-shared "$base/a"
    mount --bind "$base/a" "$base/b"
    echo "before $(grep " $base/b " /proc/self/mountinfo)"
    "$1" mount --operation=make-rslave --path="$base/b"
    echo "after $(grep " $base/b " /proc/self/mountinfo)"
  `;
  const result = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', CONTAINERIZER], {
    encoding: 'utf8',
  });
  t.equal(result.status, 0, result.stderr);
  const before = /^before .* shared:(\d+) /m.exec(result.stdout);
  const after = /^after (.*)$/m.exec(result.stdout);
  t.ok(before, `the bind starts shared: ${result.stdout}`);
  t.ok(after, 'the bind is still mounted');
  t.notMatch(after![1]!, / shared:\d+/, 'no longer shared');
  t.match(after![1]!, new RegExp(` master:${before![1]} `), 'a slave of the same peer group');
});
