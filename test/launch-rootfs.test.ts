// launch with a root filesystem, mounts, masked paths and file operations,
// for real (as root), in a tiny busybox rootfs. Run `npm run build` first:
// these tests run bin/mesos-containerizer.
//
// Every launch runs inside a mount namespace that plays the host: made with
// `unshare -m --propagation shared`, so that all its mounts are shared, as on
// a systemd machine (this machine's real mounts are private, which would hide
// any leak). The helper gets its own namespace from `unshare -m
// --propagation unchanged` (a copy whose mounts are peers of the "host's",
// like the clone(CLONE_NEWNS) of the agent's launcher), or makes it itself
// with --unshare_namespace_mnt. After every launch, successful or not, the
// "host" namespace's mount table (mount points, options and propagation)
// must be exactly as before, and so must the test process's own.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  rmdirSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { hostBusybox, makeBusyboxRootfs, type BusyboxRootfs } from './helpers/busybox-rootfs';
import { testDir } from './helpers/process';
import { CONTAINERIZER, cleanEnv, isRoot, type Result } from './helpers/run';

const MS_RDONLY = 0x1;
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_NOEXEC = 0x8;
const MS_BIND = 0x1000;
const MS_REC = 0x4000;
const MS_SHARED = 0x100000;
const CLONE_NEWNS = 0x20000;

const haveUnshare = spawnSync('unshare', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = !isRoot
  ? 'needs root'
  : !haveUnshare
    ? 'needs unshare(1)'
    : hostBusybox() === undefined
      ? 'needs busybox-static'
      : false;

// ------------------------------------------------------------ mount tables

interface MountLine {
  mountPoint: string;
  /** The path inside its filesystem that is mounted (field 4). */
  root: string;
  /** Per-mount options (ro, nosuid, ...). */
  options: string[];
  /** Optional fields: shared:N, master:N, ... */
  propagation: string[];
  fstype: string;
  superOptions: string[];
}

function unescape(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

function parseMountinfo(text: string): MountLine[] {
  const mounts: MountLine[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 10) continue;
    const separator = fields.indexOf('-', 6);
    mounts.push({
      root: unescape(fields[3]!),
      mountPoint: unescape(fields[4]!),
      options: fields[5]!.split(','),
      propagation: fields.slice(6, separator),
      fstype: fields[separator + 1]!,
      superOptions: (fields[separator + 3] ?? '').split(','),
    });
  }
  return mounts;
}

/** The mount points that are on top (the last mount at each path). */
function topMounts(mounts: readonly MountLine[]): Map<string, MountLine> {
  const top = new Map<string, MountLine>();
  for (const mount of mounts) top.set(mount.mountPoint, mount);
  return top;
}

/**
 * The test process's own mount table. Colleagues' network tests may add and
 * remove `ip netns` mounts at the same time; those lines are left out.
 */
function realHostTable(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .filter((line) => !/ \/(var\/)?run\/netns(\/| )/.test(line));
}

// ------------------------------------------------------------------ launch

interface LaunchOptions {
  /** Shell commands run in the "host" namespace before its table is taken. */
  hostSetup?: string;
  /**
   * How the helper gets its mount namespace: `mnt` is `unshare -m`, `pid`
   * adds a pid namespace (so a proc mount shows the container's pids), and
   * `none` runs it in the "host" namespace itself.
   */
  namespace?: 'mnt' | 'pid' | 'none';
  cwd?: string;
}

interface LaunchResult extends Result {
  stderrLines: string[];
}

/** Runs `launch` as described at the top, and checks that the host's mounts are untouched. */
function launch(t: Test, args: readonly string[], options: LaunchOptions = {}): LaunchResult {
  const work = testDir(t, 'launch-host-');
  const script = [
    'set -e',
    options.hostSetup ?? '',
    'cat /proc/self/mountinfo > "$0/before"',
    'set +e',
    '"$@"',
    'status=$?',
    'cat /proc/self/mountinfo > "$0/after"',
    'exit $status',
  ].join('\n');
  const namespace = options.namespace ?? 'mnt';
  const inner =
    namespace === 'none'
      ? []
      : [...(namespace === 'pid' ? ['unshare', '-p', '-f', '--kill-child'] : []), 'unshare', '-m', '--propagation', 'unchanged', '--'];
  const realBefore = realHostTable();
  // -u: a task that manages to write /proc/sys/kernel/domainname changes only this namespace's.
  const result = spawnSync(
    'unshare',
    ['-m', '-u', '--propagation', 'shared', '--', 'sh', '-c', script, work, ...inner, CONTAINERIZER, 'launch', ...args],
    { encoding: 'utf8', timeout: 60_000, env: cleanEnv(), cwd: options.cwd ?? '/' },
  );
  const realAfter = realHostTable();
  if (result.error !== undefined) throw result.error;
  const before = existsSync(join(work, 'before')) ? readFileSync(join(work, 'before'), 'utf8') : undefined;
  const after = existsSync(join(work, 'after')) ? readFileSync(join(work, 'after'), 'utf8') : undefined;
  t.ok(before !== undefined && before !== '', 'the host namespace was set up', { stderr: result.stderr });
  t.equal(after, before, "the host namespace's mount table (mount points, options, propagation) is as before");
  t.same(realAfter, realBefore, "the test process's own mount table is as before");
  const stderr = String(result.stderr);
  return {
    code: result.status,
    signal: result.signal,
    stdout: String(result.stdout),
    stderr,
    stderrLines: stderr.split('\n').filter((line) => line !== ''),
  };
}

function launchInfo(info: Record<string, unknown>): string {
  return `--launch_info=${JSON.stringify(info)}`;
}

function shell(value: string): { shell: true; value: string } {
  return { shell: true, value };
}

/** `key=value` lines of the task's output, up to a line `---`. */
function report(stdout: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of stdout.split('---\n')[0]!.split('\n')) {
    const index = line.indexOf('=');
    if (index > 0) values.set(line.slice(0, index), line.slice(index + 1));
  }
  return values;
}

/** The task's mount table: what follows the `---` line. */
function taskMounts(stdout: string): MountLine[] {
  const index = stdout.indexOf('---\n');
  return index === -1 ? [] : parseMountinfo(stdout.slice(index + 4));
}

function hasAll(list: readonly string[] | undefined, items: readonly string[]): boolean {
  return list !== undefined && items.every((item) => list.includes(item));
}

function rootfsFor(t: Test): BusyboxRootfs {
  const rootfs = makeBusyboxRootfs();
  t.teardown(() => rootfs.cleanup());
  return rootfs;
}

/** A listing of a directory tree, to compare before and after. */
function listing(directory: string): string[] {
  const entries: string[] = [];
  const walk = (path: string, prefix: string) => {
    for (const name of readdirSync(path).sort()) {
      const full = join(path, name);
      const stats = lstatSync(full);
      const kind = stats.isSymbolicLink() ? `-> ${readlinkSync(full)}` : stats.isDirectory() ? 'dir' : `file ${stats.size}`;
      entries.push(`${prefix}${name} ${kind} ${(stats.mode & 0o7777).toString(8)}`);
      if (stats.isDirectory() && !stats.isSymbolicLink()) walk(full, `${prefix}${name}/`);
    }
  };
  walk(directory, '');
  return entries;
}

const PREPARING = (rootfs: string) => `Preparing rootfs at '${rootfs}'`;
const CHANGING = (rootfs: string) => `Changing root to ${rootfs}`;
const RSLAVE = "Marked '/' as rslave";

// ------------------------------------------------------ 2. modern rootfs

t.test('a modern rootfs with proc, read-only sysfs and a volume is all the task sees', { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const r = rootfs.path;
  const volume = join(rootfs.base, 'volume');
  mkdirSync(volume);
  writeFileSync(join(volume, 'hello'), 'hello from the host\n');
  const marker = join(rootfs.base, 'host-only-marker');
  writeFileSync(marker, 'the host\n');

  const script = [
    'echo "busybox=$(test -x /bin/busybox && echo yes || echo no)"',
    `echo "marker=$(test -e ${marker} && echo visible || echo hidden)"`,
    'echo "passwd=$(wc -l < /etc/passwd)"',
    'echo "data=$(cat /data/hello)"',
    'echo "sys=$( (touch /sys/probe) 2>&1 )"',
    'echo "init=$(cat /proc/1/comm)"',
    'echo ---',
    'cat /proc/self/mountinfo',
  ].join('\n');
  const result = launch(
    t,
    [
      launchInfo({
        command: shell(script),
        rootfs: r,
        clone_namespaces: [CLONE_NEWNS],
        mounts: [
          { source: 'proc', target: `${r}/proc`, type: 'proc', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC },
          { source: 'sysfs', target: `${r}/sys`, type: 'sysfs', flags: MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC },
          { source: volume, target: `${r}/data`, flags: MS_BIND | MS_REC },
        ],
      }),
    ],
    { namespace: 'pid' },
  );
  t.equal(result.code, 0, 'the task succeeds');
  t.same(result.stderrLines, [PREPARING(r), RSLAVE, CHANGING(r)], 'the notes Mesos prints, and nothing else');
  const values = report(result.stdout);
  t.equal(values.get('busybox'), 'yes', "/bin/busybox is the rootfs's");
  t.equal(values.get('marker'), 'hidden', 'a file of the host is out of reach');
  t.equal(values.get('passwd'), '2', "/etc/passwd is the rootfs's (root and nobody)");
  t.equal(values.get('data'), 'hello from the host', 'the volume is mounted at /data');
  t.match(values.get('sys'), /Read-only file system/, 'sysfs is read-only');
  t.equal(values.get('init'), 'sh', 'proc is of the pid namespace the task is pid 1 of');

  const mounts = taskMounts(result.stdout);
  t.same(
    mounts.map((mount) => mount.mountPoint).sort(),
    ['/', '/data', '/proc', '/sys'],
    'exactly the rootfs and its mounts: no mount point of the host, no old root, no /tmp',
  );
  t.notOk(
    mounts.some((mount) => mount.mountPoint.startsWith(rootfs.base)),
    'no mount point names a host path',
  );
  const byPoint = topMounts(mounts);
  t.equal(byPoint.get('/')?.root, r, '/ is the rootfs');
  t.equal(byPoint.get('/data')?.root, volume, '/data is the volume');
  t.equal(byPoint.get('/proc')?.fstype, 'proc');
  t.ok(hasAll(byPoint.get('/proc')?.options, ['nosuid', 'nodev', 'noexec']), 'proc has the flags asked for');
  t.equal(byPoint.get('/sys')?.fstype, 'sysfs');
  t.equal(byPoint.get('/sys')?.options[0], 'ro', 'sysfs is mounted read-only');
  t.notOk(
    mounts.some((mount) => mount.propagation.some((field) => field.startsWith('shared:'))),
    'nothing in the container is shared with the host',
  );

  t.ok(statSync(join(r, 'data')).isDirectory(), 'the missing mount target was created as a directory');
  t.same(readdirSync(join(r, 'data')), [], 'and, on the host, it stays an empty mount point');
  t.equal(readFileSync(join(volume, 'hello'), 'utf8'), 'hello from the host\n', 'the volume is intact');
});

// ------------------------------------------------------ 2b. legacy --rootfs

function hostDevice(name: string): { mode: string; major: string; minor: string } {
  const stats = statSync(`/dev/${name}`);
  const rdev = stats.rdev;
  return {
    mode: (stats.mode & 0o7777).toString(8),
    major: ((rdev >> 8) & 0xfff).toString(16),
    minor: ((rdev & 0xff) | ((rdev >> 12) & 0xfff00)).toString(16),
  };
}

const LEGACY_SCRIPT = [
  'for d in full null random tty urandom zero; do stat -c "dev:%n=%F|%a|%t|%T" /dev/$d; done',
  'stat -c "mode:%n=%a" /dev /dev/shm',
  'for l in fd stdin stdout stderr ptmx; do echo "link:/dev/$l=$(readlink /dev/$l)"; done',
  'echo "procsys=$( (echo x > /proc/sys/kernel/domainname) 2>&1 )"',
  'echo "sys=$( (touch /sys/probe) 2>&1 )"',
  'echo "passwd=$(wc -l < /etc/passwd)"',
  'echo ---',
  'cat /proc/self/mountinfo',
].join('\n');

for (const [how, namespace, extra] of [
  ['with --unshare_namespace_mnt', 'none', ['--unshare_namespace_mnt']],
  ['under unshare -m', 'mnt', []],
] as const) {
  t.test(`legacy --rootfs ${how} prepares proc, sys and dev as Mesos 1.0 did`, { skip }, async (t) => {
    const rootfs = rootfsFor(t);
    const r = rootfs.path;
    const result = launch(t, [...extra, `--rootfs=${r}`, `--command=${JSON.stringify(shell(LEGACY_SCRIPT))}`], {
      namespace,
    });
    t.equal(result.code, 0, 'the task succeeds');
    t.same(result.stderrLines, [PREPARING(r), CHANGING(r)], 'the notes, and nothing else');
    const values = report(result.stdout);
    t.equal(values.get('passwd'), '2', "/etc/passwd is the rootfs's");
    for (const name of ['full', 'null', 'random', 'tty', 'urandom', 'zero']) {
      const host = hostDevice(name);
      t.equal(
        values.get(`dev:/dev/${name}`),
        `character special file|${host.mode}|${host.major}|${host.minor}`,
        `/dev/${name} is a character device like the host's (mode ${host.mode})`,
      );
    }
    t.equal(hostDevice('null').mode, '666', "the host's device nodes are crw-rw-rw-");
    t.equal(values.get('mode:/dev'), '755', '/dev is mode 755');
    t.equal(values.get('mode:/dev/shm'), '1777', '/dev/shm is mode 1777');
    t.equal(values.get('link:/dev/fd'), '/proc/self/fd');
    t.equal(values.get('link:/dev/stdin'), '/proc/self/fd/0');
    t.equal(values.get('link:/dev/stdout'), '/proc/self/fd/1');
    t.equal(values.get('link:/dev/stderr'), '/proc/self/fd/2');
    t.equal(values.get('link:/dev/ptmx'), 'pts/ptmx');
    t.match(values.get('procsys'), /Read-only file system/, 'writing /proc/sys fails with EROFS');
    t.match(values.get('sys'), /Read-only file system/, 'sysfs is read-only');

    const mounts = taskMounts(result.stdout);
    t.same(
      mounts.map((mount) => mount.mountPoint),
      ['/', '/proc', '/proc/sys', '/sys', '/dev', '/dev/pts', '/dev/shm'],
      'exactly these mounts, in this order: nothing of the host, no old root',
    );
    const byPoint = topMounts(mounts);
    t.equal(byPoint.get('/')?.root, r, '/ is the rootfs');
    t.equal(byPoint.get('/proc')?.fstype, 'proc');
    t.ok(hasAll(byPoint.get('/proc')?.options, ['nosuid', 'nodev', 'noexec']), 'proc is nosuid, nodev, noexec');
    t.equal(byPoint.get('/proc/sys')?.options[0], 'ro', '/proc/sys is read-only');
    t.equal(byPoint.get('/proc/sys')?.root, '/sys', '/proc/sys is proc bound onto itself');
    t.equal(byPoint.get('/sys')?.fstype, 'sysfs');
    t.equal(byPoint.get('/sys')?.options[0], 'ro', 'sysfs is read-only');
    t.equal(byPoint.get('/dev')?.fstype, 'tmpfs', '/dev is a tmpfs');
    t.ok(byPoint.get('/dev')?.superOptions.includes('mode=755'), '/dev is mounted with mode=755');
    t.equal(byPoint.get('/dev/pts')?.fstype, 'devpts', '/dev/pts is devpts');
    t.ok(byPoint.get('/dev/pts')?.superOptions.includes('ptmxmode=666'), 'a new devpts instance, ptmxmode=666');
    t.equal(byPoint.get('/dev/shm')?.fstype, 'tmpfs', '/dev/shm is a tmpfs');
    t.notOk(
      mounts.some((mount) => mount.propagation.some((field) => field.startsWith('shared:'))),
      'nothing in the container is shared with the host',
    );
  });
}

// -------------------------------------------------- 3. rootfs path checks

// The waiter must still be reachable once the host's filesystem is gone.
t.test('with --runtime_directory, the waiter stays as the parent of a task in a rootfs', { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const runtime = testDir(t, 'launch-runtime-');
  const info = { rootfs: rootfs.path, clone_namespaces: [0x20000], command: shell('echo "parent=$(cat /proc/$PPID/comm 2>/dev/null || echo gone)"; exit 4') };
  const result = launch(t, [`--runtime_directory=${runtime}`, launchInfo(info)]);
  t.equal(result.code, 0, 'the waiter exits 0', { stderr: result.stderr });
  t.equal(readFileSync(join(runtime, 'status'), 'utf8'), '1024', 'the status of exit 4');
});

// The kernel ignores MS_RDONLY on a bind until it is remounted.
t.test('a read-only bind mount really is read-only', { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const volume = testDir(t, 'launch-volume-');
  writeFileSync(join(volume, 'marker'), 'in the volume\n');
  const info = {
    rootfs: rootfs.path,
    clone_namespaces: [0x20000],
    mounts: [{ source: volume, target: `${rootfs.path}/data`, flags: 0x1000 | 0x1 }],
    command: shell('touch /data/x 2>/dev/null && echo "write=yes" || echo "write=no"; cat /data/marker'),
  };
  const result = launch(t, [launchInfo(info)]);
  t.equal(result.code, 0, { stderr: result.stderr });
  t.equal(report(result.stdout).get('write'), 'no', 'writing fails');
  t.match(result.stdout, /^in the volume$/m, 'the volume is mounted');
  t.notOk(existsSync(join(volume, 'x')), 'nothing reached the volume');
});

// Node's recursive mkdir spins forever on procfs; the launch must not.
t.test("a working directory that can't be made fails the launch in one line", { skip }, async (t) => {
  const result = launch(t, ['--unshare_namespace_mnt', launchInfo({ command: shell('pwd'), working_directory: '/proc/no-such-dir' })]);
  t.equal(result.code, 1);
  t.equal(result.stderrLines.at(-1), "Failed to chdir into current working directory '/proc/no-such-dir': No such file or directory");
});

t.test('the rootfs must be an absolute, canonical path that exists', { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const r = rootfs.path;
  symlinkSync(r, join(rootfs.base, 'link'));
  const cases: Array<[string, string, string]> = [
    ['a relative path', 'rootfs', 'is not an absolute path'],
    ['a path with ..', `${r}/../rootfs`, 'is not an absolute path'],
    ['a path with .', `${rootfs.base}/./rootfs`, 'is not an absolute path'],
    ['a symlink to the rootfs', join(rootfs.base, 'link'), 'is not an absolute path'],
    ['a missing path', join(rootfs.base, 'missing'), 'does not exist'],
    ['a missing relative path', 'missing', 'does not exist'],
  ];
  for (const [what, path, complaint] of cases) {
    // From the rootfs's parent, so that the relative path exists.
    const result = launch(t, [launchInfo({ command: shell('echo ran'), rootfs: path })], { cwd: rootfs.base });
    t.equal(result.code, 1, `${what}: exit 1`);
    t.equal(result.stdout, '', `${what}: the task did not run`);
    t.same(result.stderrLines, [PREPARING(path), `Rootfs path '${path}' ${complaint}`], `${what}: ${complaint}`);
  }
});

// ----------------------------------------------------- 4. masked paths

t.test('masked paths: a file reads empty, a directory lists empty and is read-only', { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const r = rootfs.path;
  writeFileSync(join(r, 'secret-file'), 'the file secret\n');
  mkdirSync(join(r, 'secret-dir'));
  writeFileSync(join(r, 'secret-dir', 'inside'), 'the directory secret\n');
  const script = [
    'echo "file=[$(cat /secret-file)]"',
    'echo "dir=[$(ls -A /secret-dir)]"',
    'echo "write=$( (touch /secret-dir/new) 2>&1 )"',
    'echo "missing=$(test -e /not-there && echo exists || echo missing)"',
  ].join('\n');
  const result = launch(t, [
    launchInfo({
      command: shell(script),
      rootfs: r,
      clone_namespaces: [CLONE_NEWNS],
      masked_paths: [`${r}/secret-file`, `${r}/secret-dir`, `${r}/not-there`],
    }),
  ]);
  t.equal(result.code, 0, 'the task succeeds');
  t.same(result.stderrLines, [PREPARING(r), RSLAVE, CHANGING(r)], 'no mask failed (a missing path is left alone)');
  const values = report(result.stdout);
  t.equal(values.get('file'), '[]', 'the masked file reads empty');
  t.equal(values.get('dir'), '[]', 'the masked directory lists empty');
  t.match(values.get('write'), /Read-only file system/, 'the masked directory is read-only');
  t.equal(values.get('missing'), 'missing', 'a missing masked path is not created');
  t.equal(readFileSync(join(r, 'secret-file'), 'utf8'), 'the file secret\n', 'on the host the file is intact');
  t.same(readdirSync(join(r, 'secret-dir')), ['inside'], 'on the host the directory is intact');
});

t.test("masked paths work without a rootfs too, in the task's own mount namespace", { skip }, async (t) => {
  const base = testDir(t, 'launch-mask-');
  writeFileSync(join(base, 'secret-file'), 'the file secret\n');
  mkdirSync(join(base, 'secret-dir'));
  writeFileSync(join(base, 'secret-dir', 'inside'), 'x');
  const script = [
    `echo "file=[$(cat ${base}/secret-file)]"`,
    `echo "dir=[$(ls -A ${base}/secret-dir)]"`,
    `echo "write=$( (touch ${base}/secret-dir/new) 2>&1 )"`,
  ].join('\n');
  const result = launch(t, [
    launchInfo({
      command: shell(script),
      clone_namespaces: [CLONE_NEWNS],
      masked_paths: [`${base}/secret-file`, `${base}/secret-dir`],
    }),
  ]);
  t.equal(result.code, 0, 'the task succeeds');
  t.same(result.stderrLines, [RSLAVE], 'nothing else to note');
  const values = report(result.stdout);
  t.equal(values.get('file'), '[]', 'the masked file reads empty');
  t.equal(values.get('dir'), '[]', 'the masked directory lists empty');
  t.match(values.get('write'), /Read-only file system/, 'the masked directory is read-only');
  t.equal(readFileSync(join(base, 'secret-file'), 'utf8'), 'the file secret\n', 'the host sees its file');
  t.same(readdirSync(join(base, 'secret-dir')), ['inside'], 'the host sees its directory');
});

// ------------------------------------------------- 5. file operations

t.test('file operations land: SYMLINK, MKDIR, RENAME (also across filesystems), MOUNT', { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const r = rootfs.path;
  writeFileSync(join(r, 'old-name'), 'renamed on the same filesystem\n');
  const operations = [
    { operation: 'SYMLINK', symlink: { source: '/bin/busybox', target: `${r}/link` } },
    { operation: 'MKDIR', mkdir: { target: `${r}/a/b/c`, recursive: true } },
    { operation: 'MKDIR', mkdir: { target: `${r}/single`, recursive: false } },
    { operation: 'MKDIR', mkdir: { target: `${r}/default` } },
    { operation: 'RENAME', rename: { source: `${r}/old-name`, target: `${r}/new-name` } },
    // A tmpfs of the container's own, then things moved off it onto the
    // rootfs: rename(2) fails with EXDEV, `mv -f` does the move.
    { operation: 'MKDIR', mkdir: { target: `${r}/scratch` } },
    { operation: 'MOUNT', mount: { source: 'tmpfs', target: `${r}/scratch`, type: 'tmpfs', options: 'size=1m' } },
    { operation: 'SYMLINK', symlink: { source: 'bin/busybox', target: `${r}/scratch/made-on-tmpfs` } },
    { operation: 'MKDIR', mkdir: { target: `${r}/scratch/dir/sub`, recursive: true } },
    { operation: 'RENAME', rename: { source: `${r}/scratch/made-on-tmpfs`, target: `${r}/moved-link` } },
    { operation: 'RENAME', rename: { source: `${r}/scratch/dir`, target: `${r}/moved-dir` } },
  ];
  const script = [
    'echo "link=$(readlink /link)"',
    'echo "tree=$(test -d /a/b/c && echo yes || echo no)"',
    'echo "single=$(test -d /single && echo yes || echo no)"',
    'echo "default=$(test -d /default && echo yes || echo no)"',
    'echo "renamed=$(cat /new-name)"',
    'echo "old=$(test -e /old-name && echo exists || echo gone)"',
    'echo "moved-link=$(readlink /moved-link)"',
    'echo "moved-dir=$(test -d /moved-dir/sub && echo yes || echo no)"',
    'echo "scratch=[$(ls -A /scratch)]"',
    'echo ---',
    'cat /proc/self/mountinfo',
  ].join('\n');
  const result = launch(t, [
    launchInfo({
      command: shell(script),
      rootfs: r,
      clone_namespaces: [CLONE_NEWNS],
      mounts: [{ source: 'proc', target: `${r}/proc`, type: 'proc' }],
      file_operations: operations,
    }),
  ]);
  t.equal(result.code, 0, 'the task succeeds');
  t.same(result.stderrLines, [PREPARING(r), RSLAVE, CHANGING(r)], 'no complaints');
  const values = report(result.stdout);
  t.equal(values.get('link'), '/bin/busybox', 'SYMLINK made the link');
  t.equal(values.get('tree'), 'yes', 'MKDIR recursive made the whole path');
  t.equal(values.get('single'), 'yes', 'MKDIR made a directory');
  t.equal(values.get('default'), 'yes', 'MKDIR without "recursive" made a directory');
  t.equal(values.get('renamed'), 'renamed on the same filesystem', 'RENAME on one filesystem');
  t.equal(values.get('old'), 'gone', 'the old name is gone');
  t.equal(values.get('moved-link'), 'bin/busybox', 'RENAME across filesystems moved the link (mv -f)');
  t.equal(values.get('moved-dir'), 'yes', 'RENAME across filesystems moved the directory tree (mv -f)');
  t.equal(values.get('scratch'), '[]', 'and took them off the tmpfs');
  const scratch = topMounts(taskMounts(result.stdout)).get('/scratch');
  t.equal(scratch?.fstype, 'tmpfs', 'MOUNT mounted the tmpfs');
  t.ok(scratch?.superOptions.includes('size=1024k'), 'with its options');

  // The rootfs on the host keeps what landed on it (the tmpfs is gone).
  t.equal(readlinkSync(join(r, 'link')), '/bin/busybox');
  t.ok(statSync(join(r, 'a', 'b', 'c')).isDirectory());
  t.equal(readFileSync(join(r, 'new-name'), 'utf8'), 'renamed on the same filesystem\n');
  t.equal(readlinkSync(join(r, 'moved-link')), 'bin/busybox');
  t.ok(statSync(join(r, 'moved-dir', 'sub')).isDirectory());
  t.same(readdirSync(join(r, 'scratch')), [], 'under the tmpfs the mount point stayed empty');
});

t.test('RENAME across filesystems from a tmpfs made by a mounts entry', { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const r = rootfs.path;
  const result = launch(t, [
    launchInfo({
      command: shell('echo "moved=$(test -d /from-volume/inner && echo yes || echo no)"; echo "left=[$(ls -A /tmp-volume)]"'),
      rootfs: r,
      clone_namespaces: [CLONE_NEWNS],
      mounts: [{ source: 'tmpfs', target: `${r}/tmp-volume`, type: 'tmpfs' }],
      file_operations: [
        { operation: 'MKDIR', mkdir: { target: `${r}/tmp-volume/dir/inner`, recursive: true } },
        { operation: 'RENAME', rename: { source: `${r}/tmp-volume/dir`, target: `${r}/from-volume` } },
      ],
    }),
  ]);
  t.equal(result.code, 0, 'the task succeeds');
  t.same(result.stderrLines, [PREPARING(r), RSLAVE, CHANGING(r)]);
  const values = report(result.stdout);
  t.equal(values.get('moved'), 'yes', 'the directory made on the tmpfs is on the rootfs now');
  t.equal(values.get('left'), '[]', 'and no longer on the tmpfs');
  t.ok(statSync(join(r, 'from-volume', 'inner')).isDirectory(), 'on the host too');
});

t.test('RENAME moves a symlink itself, wherever its value points', { skip }, async (t) => {
  // rename(2) and `mv` act on the link, not on what it names: an image's
  // absolute link (etc/localtime -> /usr/share/zoneinfo/UTC, here ->
  // /bin/busybox, which on the host is outside the rootfs) can be renamed
  // without anything outside being touched.
  const rootfs = rootfsFor(t);
  const r = rootfs.path;
  symlinkSync('/bin/busybox', join(r, 'absolute-link'));
  const result = launch(t, [
    launchInfo({
      command: shell('echo "link=$(readlink /renamed-link)"'),
      rootfs: r,
      file_operations: [{ operation: 'RENAME', rename: { source: `${r}/absolute-link`, target: `${r}/renamed-link` } }],
    }),
  ]);
  t.equal(result.code, 0, 'the rename is not refused', { stderr: result.stderr });
  t.equal(report(result.stdout).get('link'), '/bin/busybox', 'the link moved with its value');
  t.ok(lstatSync(join(r, 'renamed-link'), { throwIfNoEntry: false })?.isSymbolicLink(), 'on the host, the link is renamed');
  t.equal(lstatSync(join(r, 'absolute-link'), { throwIfNoEntry: false }), undefined, 'and the old name is gone');
});

t.test('a failing file operation is one line, exit 1', { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const r = rootfs.path;
  const cases: Array<[string, unknown, RegExp]> = [
    [
      'MKDIR without recursive under a missing parent',
      { operation: 'MKDIR', mkdir: { target: `${r}/no/such` } },
      new RegExp(`^Failed to create directory '${r}/no/such': .*no such file or directory`, 'i'),
    ],
    [
      'SYMLINK over an existing file',
      { operation: 'SYMLINK', symlink: { source: 'x', target: `${r}/bin/busybox` } },
      new RegExp(`^Failed to link 'x' as '${r}/bin/busybox': .*exists`, 'i'),
    ],
  ];
  for (const [what, operation, message] of cases) {
    const result = launch(t, [launchInfo({ command: shell('echo ran'), rootfs: r, file_operations: [operation] })]);
    t.equal(result.code, 1, `${what}: exit 1`);
    t.equal(result.stdout, '', `${what}: the task did not run`);
    t.equal(result.stderrLines.length, 2, `${what}: one line after the note`, { stderr: result.stderr });
    t.match(result.stderrLines[1], message, what);
  }
  t.notOk(existsSync(join(r, 'no')), 'nothing was made');
});

// ------------------------------------------------ 6. mount propagation

t.test("without shared mounts, '/' becomes rslave", { skip }, async (t) => {
  const base = testDir(t, 'launch-propagation-');
  mkdirSync(join(base, 'volume'));
  const result = launch(t, [
    launchInfo({
      command: shell('echo ---; cat /proc/self/mountinfo'),
      clone_namespaces: [CLONE_NEWNS],
      mounts: [{ source: join(base, 'volume'), target: join(base, 'target'), flags: MS_BIND }],
    }),
  ]);
  t.equal(result.code, 0);
  t.same(result.stderrLines, [RSLAVE], "the note Mesos prints: Marked '/' as rslave");
  const top = topMounts(taskMounts(result.stdout));
  const root = top.get('/');
  t.ok(root?.propagation.some((field) => field.startsWith('master:')), "'/' receives the host's mounts");
  t.notOk(root?.propagation.some((field) => field.startsWith('shared:')), "'/' no longer sends mounts back");
  const target = top.get(join(base, 'target'));
  t.equal(target?.root, join(base, 'volume'), 'the volume is mounted in the container');
  t.notOk(target?.propagation.some((field) => field.startsWith('shared:')), 'and not shared');
});

t.test('mounts are refused unless the mount namespace is cloned', { skip }, async (t) => {
  const base = testDir(t, 'launch-propagation-');
  mkdirSync(join(base, 'volume'));
  for (const cloneNamespaces of [[], [0x20000000 /* CLONE_NEWPID */]]) {
    const result = launch(t, [
      launchInfo({
        command: shell('echo ran'),
        clone_namespaces: cloneNamespaces,
        mounts: [{ source: join(base, 'volume'), target: join(base, 'target'), flags: MS_BIND }],
      }),
    ]);
    t.equal(result.code, 1, `clone_namespaces ${JSON.stringify(cloneNamespaces)}: exit 1`);
    t.equal(result.stdout, '');
    t.same(result.stderrLines, ['Failed to prepare mounts: Mounts are not supported if the mount namespace is not cloned']);
  }
  t.notOk(existsSync(join(base, 'target')), 'no mount target was made');
});

t.test('a MS_SHARED mounts entry: the rest turns slave, and mounts under it are refused', { skip }, async (t) => {
  const base = testDir(t, 'launch-shared-');
  const shared = join(base, 'shared');
  mkdirSync(shared);
  mkdirSync(join(base, 'volume'));
  mkdirSync(join(base, 'private'));
  // The agent makes a bidirectional volume a shared mount in the host.
  const hostSetup = `mount -t tmpfs shared-volume '${shared}' && mount --make-shared '${shared}'`;

  const ok = launch(
    t,
    [
      launchInfo({
        command: shell('echo ---; cat /proc/self/mountinfo'),
        clone_namespaces: [CLONE_NEWNS],
        mounts: [
          { target: shared, flags: MS_SHARED },
          { source: join(base, 'volume'), target: join(base, 'private', 'x'), flags: MS_BIND },
        ],
      }),
    ],
    { hostSetup },
  );
  t.equal(ok.code, 0, 'a mount outside the shared one is made');
  t.same(ok.stderrLines, [], "no rslave of '/' (it would cut the shared volume off)");
  const top = topMounts(taskMounts(ok.stdout));
  t.ok(top.get(shared)?.propagation.some((field) => field.startsWith('shared:')), 'the shared volume stays shared');
  t.equal(top.get(join(base, 'private', 'x'))?.root, join(base, 'volume'), 'the bind is there');
  // Marking goes by path, as in Mesos: a mount hidden under another at the
  // same path can't be named, so only the visible (top) mounts are checked.
  const stillShared = [...top.values()]
    .filter((mount) => mount.mountPoint !== shared)
    .filter((mount) => mount.propagation.some((field) => field.startsWith('shared:')))
    .map((mount) => mount.mountPoint);
  t.same(stillShared, [], 'every other mount is a slave now');
  t.ok(top.get('/')?.propagation.some((field) => field.startsWith('master:')), "'/' is a slave of the host's");

  const refused = launch(
    t,
    [
      launchInfo({
        command: shell('echo ran'),
        clone_namespaces: [CLONE_NEWNS],
        mounts: [
          { target: shared, flags: MS_SHARED },
          { source: join(base, 'volume'), target: join(shared, 'x'), flags: MS_BIND },
        ],
      }),
    ],
    { hostSetup },
  );
  t.equal(refused.code, 1, 'a mount under the shared one is refused');
  t.equal(refused.stdout, '');
  t.same(refused.stderrLines, [
    `Failed to prepare mounts: Cannot perform mount '${JSON.stringify({ source: join(base, 'volume'), target: join(shared, 'x'), flags: MS_BIND })}' because the target is under a shared mount '${shared}'`,
  ]);
});

// ------------------------------- 7. the host's mounts after failed launches

t.test("failed launches leave the host's mount table as it was", { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const r = rootfs.path;
  const volume = join(rootfs.base, 'volume');
  mkdirSync(volume);
  const proc = { source: 'proc', target: `${r}/proc`, type: 'proc', flags: MS_NOSUID | MS_NODEV | MS_NOEXEC };
  const bind = { source: volume, target: `${r}/data`, flags: MS_BIND };
  const base = { rootfs: r, clone_namespaces: [CLONE_NEWNS] };

  // Every `launch` call checks the tables; here we check how each failed.
  const badRootfs = launch(t, [
    launchInfo({ ...base, rootfs: join(rootfs.base, 'missing'), command: shell('true'), mounts: [proc] }),
  ]);
  t.equal(badRootfs.code, 1, 'a missing rootfs');
  t.equal(badRootfs.stderrLines.at(-1), `Rootfs path '${join(rootfs.base, 'missing')}' does not exist`);

  const badMount = launch(t, [
    launchInfo({
      ...base,
      command: shell('true'),
      mounts: [proc, bind, { source: 'none', target: `${r}/tmp`, type: 'no-such-filesystem' }],
    }),
  ]);
  t.equal(badMount.code, 1, 'a mount that fails after two were made');
  t.match(
    badMount.stderrLines.at(-1),
    `Failed to prepare mounts: Failed to mount '{"source":"none","target":"${r}/tmp","type":"no-such-filesystem"}': `,
  );

  const badPreExec = launch(t, [
    launchInfo({ ...base, command: shell('true'), mounts: [proc, bind], pre_exec_commands: [{ value: 'exit 3' }] }),
  ]);
  t.equal(badPreExec.code, 1, 'a pre-exec command that fails after the mounts');
  t.equal(badPreExec.stderrLines.at(-1), `Failed to execute pre-exec command '{"value":"exit 3"}': exited with status 3`);

  const taskFails = launch(t, [launchInfo({ ...base, command: shell('exit 1'), mounts: [proc, bind] })], {
    namespace: 'pid',
  });
  t.equal(taskFails.code, 1, 'a task that exits 1');
  t.same(taskFails.stderrLines, [PREPARING(r), RSLAVE, CHANGING(r)]);

  const legacyFails = launch(t, ['--unshare_namespace_mnt', `--rootfs=${r}`, `--command=${JSON.stringify(shell('exit 1'))}`], {
    namespace: 'none',
  });
  t.equal(legacyFails.code, 1, 'a legacy --rootfs task that exits 1');
});

t.test("the helper refuses to change the mounts of the namespace it was started in", { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const r = rootfs.path;
  const volume = join(rootfs.base, 'volume');
  mkdirSync(volume);
  const refusal =
    'Refusing to change mounts in the mount namespace of the process that started us: clone a new one or pass --unshare_namespace_mnt';
  const cases: Array<[string, string[]]> = [
    ['a rootfs', [launchInfo({ command: shell('echo ran'), rootfs: r })]],
    [
      'mounts',
      [
        launchInfo({
          command: shell('echo ran'),
          clone_namespaces: [CLONE_NEWNS],
          mounts: [{ source: volume, target: `${rootfs.base}/target`, flags: MS_BIND }],
        }),
      ],
    ],
    ['masked paths', [launchInfo({ command: shell('echo ran'), masked_paths: [volume] })]],
    ['legacy --rootfs', [`--rootfs=${r}`, `--command=${JSON.stringify(shell('echo ran'))}`]],
    // Nothing to mount, but CLONE_NEWNS still has '/' marked rslave: in the
    // namespace we were started in, that would change the host's propagation.
    ['clone_namespaces with CLONE_NEWNS', [launchInfo({ command: shell('echo ran'), clone_namespaces: [CLONE_NEWNS] })]],
  ];
  for (const [what, args] of cases) {
    const result = launch(t, args, { namespace: 'none' });
    t.equal(result.code, 1, `${what}: exit 1`);
    t.equal(result.stdout, '', `${what}: the task did not run`);
    t.equal(result.stderrLines.at(-1), refusal, `${what}: refused`);
  }
  t.notOk(existsSync(`${rootfs.base}/target`), 'no mount target was made');
});

// unshare(CLONE_NEWNS) copies the propagation of the namespace it leaves:
// on a host whose mounts are shared, the new namespace's mounts are peers of
// the host's, and a mount made in it shows up in the host too, to stay after
// the container is gone. Mesos marks '/' rslave in prepareMounts only, that
// is only when clone_namespaces has CLONE_NEWNS; masks and MOUNT operations
// run without that. --unshare_namespace_mnt is what the refusal above
// recommends, so with it the helper itself must keep the host clean.
function maskAndMount(r: string): Record<string, unknown> {
  return {
    command: shell('echo "file=[$(cat /secret-file)]"; echo "scratch=$(grep -c " /scratch " /proc/self/mountinfo)"'),
    rootfs: r,
    masked_paths: [`${r}/secret-file`],
    file_operations: [
      { operation: 'MKDIR', mkdir: { target: `${r}/scratch` } },
      { operation: 'MKDIR', mkdir: { target: `${r}/proc` , recursive: true } },
      { operation: 'MOUNT', mount: { source: 'tmpfs', target: `${r}/scratch`, type: 'tmpfs' } },
      { operation: 'MOUNT', mount: { source: 'proc', target: `${r}/proc`, type: 'proc' } },
    ],
  };
}

t.test('with --unshare_namespace_mnt, masks and MOUNT operations stay out of the host', { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const r = rootfs.path;
  writeFileSync(join(r, 'secret-file'), 'secret\n');
  // `launch` checks the host's table.
  const result = launch(t, ['--unshare_namespace_mnt', launchInfo(maskAndMount(r))], { namespace: 'none' });
  t.equal(result.code, 0, 'the task succeeds', { stderr: result.stderr });
  const values = report(result.stdout);
  t.equal(values.get('file'), '[]', 'the mask is there');
  t.equal(values.get('scratch'), '1', 'the tmpfs is there');
});

// Mesos marks '/' rslave only with CLONE_NEWNS; we do it before any mount
// of ours wherever we own the namespace.
t.test(
  'without CLONE_NEWNS in clone_namespaces, masks and MOUNT operations stay out of the host',
  { skip },
  async (t) => {
    const rootfs = rootfsFor(t);
    const r = rootfs.path;
    writeFileSync(join(r, 'secret-file'), 'secret\n');
    const result = launch(t, [launchInfo(maskAndMount(r))]);
    t.equal(result.code, 0, 'the task succeeds', { stderr: result.stderr });
  },
);

// ------------------------------------------------- 8. a hostile rootfs

t.test("a rootfs's symlinks can't take mounts, masks or file operations outside it", { skip }, async (t) => {
  const rootfs = rootfsFor(t);
  const r = rootfs.path;
  const outside = join(rootfs.base, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret'), 'outside secret\n');
  mkdirSync(join(outside, 'dir'));
  const volume = join(rootfs.base, 'volume');
  mkdirSync(volume);
  writeFileSync(join(rootfs.base, 'host-file'), 'a file to bind\n');
  writeFileSync(join(r, 'victim'), 'a file of the rootfs\n');

  // The image's symlinks: absolute ones that lead out on the host, a
  // relative one that climbs out, and dangling ones into the outside.
  rmSync(join(r, 'etc'), { recursive: true });
  symlinkSync('/etc', join(r, 'etc'));
  symlinkSync(outside, join(r, 'data'));
  symlinkSync('../outside', join(r, 'up'));
  symlinkSync(join(outside, 'created-file'), join(r, 'dangling-file'));
  symlinkSync(join(outside, 'created-dir'), join(r, 'dangling-dir'));
  // A link that stays inside is fine.
  symlinkSync('usr', join(r, 'inside'));

  const unique = randomBytes(4).toString('hex');
  const etcNames = [`mesos-launch-test-evil-${unique}`, `mesos-launch-test-link-${unique}`];
  t.teardown(() => {
    // Only if a bug put them there: they did not exist before.
    for (const name of etcNames) {
      const path = join('/etc', name);
      const stats = lstatSync(path, { throwIfNoEntry: false });
      if (stats?.isDirectory()) rmdirSync(path);
      else if (stats !== undefined) unlinkSync(path);
    }
  });
  for (const name of etcNames) t.notOk(existsSync(join('/etc', name)), `/etc/${name} does not exist yet`);
  const etcBefore = readdirSync('/etc').sort();

  // The kernel resolves each path inside the rootfs, as the task would see
  // it: there etc -> /etc is a loop, and the links to `outside` lead to
  // paths the image does not have. Only a path that itself climbs out of
  // the rootfs is refused as such.
  const leads = (path: string) => `'${path}' leads outside the container's root filesystem '${r}'`;
  const missing = 'No such file or directory';
  const loop = 'Too many levels of symbolic links';
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      'a mount target under a link to a directory outside',
      { clone_namespaces: [CLONE_NEWNS], mounts: [{ source: volume, target: `${r}/data/x`, flags: MS_BIND }] },
      `Failed to prepare mounts: Failed to create mount target directory '${r}/data': ${missing}`,
    ],
    [
      'a mount target that is a link to a directory outside',
      { clone_namespaces: [CLONE_NEWNS], mounts: [{ source: 'tmpfs', target: `${r}/data`, type: 'tmpfs' }] },
      `Failed to prepare mounts: Failed to create mount target '${r}/data': File exists`,
    ],
    [
      'a mount target that is a dangling link to a file outside',
      {
        clone_namespaces: [CLONE_NEWNS],
        mounts: [{ source: join(rootfs.base, 'host-file'), target: `${r}/dangling-file`, flags: MS_BIND }],
      },
      `Failed to prepare mounts: Failed to create mount target '${r}/dangling-file': File exists`,
    ],
    [
      'a mount target under a dangling link to a directory outside',
      { clone_namespaces: [CLONE_NEWNS], mounts: [{ source: volume, target: `${r}/dangling-dir/x`, flags: MS_BIND }] },
      `Failed to prepare mounts: Failed to create mount target directory '${r}/dangling-dir': ${missing}`,
    ],
    [
      'MKDIR under etc -> /etc',
      { file_operations: [{ operation: 'MKDIR', mkdir: { target: `${r}/etc/${etcNames[0]}` } }] },
      `Failed to create directory '${r}/etc/${etcNames[0]}': ${loop}`,
    ],
    [
      'SYMLINK under etc -> /etc',
      { file_operations: [{ operation: 'SYMLINK', symlink: { source: '/bin/busybox', target: `${r}/etc/${etcNames[1]}` } }] },
      `Failed to link '/bin/busybox' as '${r}/etc/${etcNames[1]}': ${loop}`,
    ],
    [
      'MKDIR recursive under data -> outside',
      { file_operations: [{ operation: 'MKDIR', mkdir: { target: `${r}/data/evil/deeper`, recursive: true } }] },
      `Failed to create directory '${r}/data/evil/deeper': ${missing}`,
    ],
    [
      'MKDIR under a relative link that climbs out',
      { file_operations: [{ operation: 'MKDIR', mkdir: { target: `${r}/up/evil` } }] },
      `Failed to create directory '${r}/up/evil': ${missing}`,
    ],
    [
      'MKDIR with .. in the path',
      { file_operations: [{ operation: 'MKDIR', mkdir: { target: `${r}/../outside/evil` } }] },
      `Failed to create directory '${r}/../outside/evil': ${leads(`${r}/../outside/evil`)}`,
    ],
    [
      'RENAME into data -> outside',
      { file_operations: [{ operation: 'RENAME', rename: { source: `${r}/victim`, target: `${r}/data/stolen` } }] },
      `Failed to rename '${r}/victim' to '${r}/data/stolen': ${missing}`,
    ],
    [
      'RENAME out of data -> outside',
      { file_operations: [{ operation: 'RENAME', rename: { source: `${r}/data/secret`, target: `${r}/taken` } }] },
      `Failed to rename '${r}/data/secret' to '${r}/taken': ${missing}`,
    ],
    [
      'MOUNT over data -> outside',
      { file_operations: [{ operation: 'MOUNT', mount: { source: 'tmpfs', target: `${r}/data/dir`, type: 'tmpfs' } }] },
      `Failed to mount '{"source":"tmpfs","target":"${r}/data/dir","type":"tmpfs"}': ${missing}`,
    ],
  ];
  for (const [what, info, message] of cases) {
    const before = listing(outside);
    const result = launch(t, [launchInfo({ command: shell('echo ran'), rootfs: r, ...info })]);
    t.equal(result.code, 1, `${what}: exit 1`);
    t.equal(result.stdout, '', `${what}: the task did not run`);
    const complaints = result.stderrLines.filter((line) => line !== PREPARING(r) && line !== RSLAVE);
    t.same(complaints, [message], `${what}: refused in one line`);
    t.same(listing(outside), before, `${what}: the outside directory is unchanged`);
  }

  // Mesos only notes a mask that fails and goes on; the mask must still not
  // reach outside. A pre-exec command runs in the helper's namespace after
  // the masks, before the root changes: it sees what a mask would have hidden.
  const check = `grep -c ' ${outside}' /proc/self/mountinfo || true; cat '${outside}/secret'`;
  const beforeMasks = listing(outside);
  const masked = launch(t, [
    launchInfo({
      command: shell('echo ran'),
      rootfs: r,
      masked_paths: [`${r}/data/secret`, `${r}/data/dir`, `${r}/etc`],
      pre_exec_commands: [{ value: check }],
    }),
  ]);
  t.equal(masked.code, 0, 'masks that lead outside are skipped, the launch goes on');
  t.equal(masked.stdout, '0\noutside secret\nran\n', 'nothing outside was masked');
  t.same(
    masked.stderrLines.filter((line) => line.startsWith('Failed to mask')),
    [`Failed to mask container paths: Failed to mask '${r}/etc': ${loop}`],
    'the image has no data/secret or data/dir: those are left alone; the loop is one line',
  );
  t.same(listing(outside), beforeMasks, 'masks: the outside directory is unchanged');

  // A link that stays inside the rootfs is followed as usual; an absolute
  // one means the image's own path, as it does for the task.
  const beforeInside = listing(outside);
  symlinkSync('/usr', join(r, 'absolute-inside'));
  mkdirSync(join(r, outside), { recursive: true });
  const inside = launch(t, [
    launchInfo({
      command: shell(
        `echo "made=$(test -d /usr/made && echo yes || echo no)"; echo "absolute=$(test -d /usr/made-absolute && echo yes || echo no)"; echo "mirror=$(test -d '${outside}/made-here' && echo yes || echo no)"`,
      ),
      rootfs: r,
      file_operations: [
        { operation: 'MKDIR', mkdir: { target: `${r}/inside/made` } },
        { operation: 'MKDIR', mkdir: { target: `${r}/absolute-inside/made-absolute` } },
        { operation: 'MKDIR', mkdir: { target: `${r}/data/made-here` } },
      ],
    }),
  ]);
  t.equal(inside.code, 0, 'links leading inside the rootfs are fine', { stderr: inside.stderr });
  const made = report(inside.stdout);
  t.equal(made.get('made'), 'yes', 'the directory was made through a relative link');
  t.equal(made.get('absolute'), 'yes', 'and through an absolute one');
  t.equal(made.get('mirror'), 'yes', "data -> outside took the MKDIR to the image's own copy of that path");
  t.ok(statSync(join(r, outside, 'made-here')).isDirectory(), 'which is in the rootfs on the host too');

  t.same(listing(outside), beforeInside, 'the outside directory is unchanged');
  t.same(readdirSync('/etc').sort(), etcBefore, "the host's /etc is unchanged");
});
