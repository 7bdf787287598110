// Hostile tasks and images, after runc's published vulnerabilities, as root.
// Each test says what the attack tries and what is meant to stop it.
//
// 1. CVE-2024-21626 class: a host file descriptor or the host working
//    directory reaching the task (runc leaked an fd to the host's cgroupfs;
//    an image's WORKDIR=/proc/self/fd/7 put the task's cwd on the host).
// 2. CVE-2019-5736 class: a root task overwriting, through /proc/<pid>/exe,
//    the binary of the runtime process that is its parent (or that it
//    makes itself run, with `#!/proc/self/exe`).
// 3. Symlinks in the image leading mounts, masks, file operations and
//    network-cni-setup's binds out of the root filesystem.
//
// Everything runs in private mount namespaces (`unshare -m`) so that no
// mount made here reaches the host's table. Run `npm run build` first.
import t, { type Test } from 'tap';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { waiterPath } from '../native/libc';
import { makeBusyboxRootfs, type BusyboxRootfs } from './helpers/busybox-rootfs';
import { describe, exited, type Exited, helperEnv, WITHOUT_TAP } from './helpers/fuzz';
import { Cleanup, inContainer, startContainer } from './helpers/netns';
import { childrenOf, killQuietly, openFds, sleep, tempDir, waitFor } from './helpers/process';
import { CONTAINERIZER, isRoot, run as runProgram, type Result } from './helpers/run';

const CLONE_NEWNS = 0x20000;
const MS_BIND = 0x1000;
/** Seen only inside the container's root. */
const CONTAINER_MARKER = '.container-root-marker';
/** Seen only in host directories the attacks aim at. */
const HOST_MARKER = 'host-only-marker';

function withCleanup(t: Test): Cleanup {
  const cleanup = new Cleanup();
  t.teardown(async () => {
    await cleanup.run();
    if (cleanup.failures.length > 0) throw new Error(`cleanup failed: ${cleanup.failures.join('; ')}`);
  });
  return cleanup;
}

function rootfs(cleanup: Cleanup): BusyboxRootfs {
  const fs = makeBusyboxRootfs('mc-hostile-');
  cleanup.add(`remove ${fs.base}`, () => fs.cleanup());
  writeFileSync(join(fs.path, CONTAINER_MARKER), '');
  return fs;
}

/** A host directory (outside the rootfs) holding HOST_MARKER and a secret file. */
function hostDirectory(fs: BusyboxRootfs, name = 'outside'): string {
  const dir = join(fs.base, name);
  mkdirSync(dir);
  writeFileSync(join(dir, HOST_MARKER), '');
  writeFileSync(join(dir, 'secret'), 'host secret\n');
  return dir;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

interface Launched {
  pid: number;
  result: Promise<Exited>;
}

/**
 * `[...prefix] node bin/mesos-containerizer launch ...args`, by default under
 * `unshare -m` (a private mount namespace whose parent, the test, is
 * outside it, so launch agrees to change mounts there).
 */
function launch(
  cleanup: Cleanup,
  args: readonly string[],
  options: { prefix?: string[]; node?: string; stdio?: Array<'ignore' | 'pipe' | number>; cwd?: string } = {},
): Launched {
  const prefix = options.prefix ?? ['unshare', '-m'];
  const argv = [...WITHOUT_TAP, ...prefix, options.node ?? process.execPath, CONTAINERIZER, 'launch', ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    env: helperEnv(),
    stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
  });
  if (child.pid === undefined) throw new Error(`${argv[0]} did not start`);
  const pid = child.pid;
  const result = exited(child);
  cleanup.add(`kill ${pid}`, async () => {
    killQuietly(pid);
    await Promise.race([result.catch(() => undefined), sleep(5000)]);
  });
  return { pid, result };
}

/** A launch into `fs`, in a mount namespace of its own, with its own proc and /dev/null. */
function launchInfo(fs: BusyboxRootfs, command: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const mounts = [
    { source: 'proc', target: `${fs.path}/proc`, type: 'proc' },
    { source: '/dev/null', target: `${fs.path}/dev/null`, flags: MS_BIND },
  ];
  return { command, rootfs: fs.path, clone_namespaces: [CLONE_NEWNS], ...extra, mounts: [...mounts, ...((extra.mounts as unknown[]) ?? [])] };
}

const info = (fs: BusyboxRootfs, command: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  `--launch_info=${JSON.stringify(launchInfo(fs, command, extra))}`;

/** The lines of `text` that start with `prefix`, without it. */
function tagged(text: string, prefix: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

/** The `ls -l` lines between fd-list-begin and fd-list-end, as fd number and target. */
function listedFds(text: string): Array<[number, string]> {
  const lines = text.split('\n');
  const begin = lines.indexOf('fd-list-begin');
  const end = lines.indexOf('fd-list-end');
  return lines
    .slice(begin + 1, end)
    .map((line) => /\s(\d+) -> (.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match): [number, string] => [Number(match[1]), match[2]!])
    .sort((a, b) => a[0] - b[0]);
}

/** Fd numbers listed by `ls -l /proc/N/fd` lines tagged `prefix`. */
function fdNumbers(text: string, prefix: string): number[] {
  return tagged(text, prefix)
    .map((line) => /\s(\d+) -> /.exec(line)?.[1])
    .filter((fd): fd is string => fd !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * What the task reports about itself: its fds, its cwd (by name and by
 * what it holds), and what `/proc/$$/fd/N/..` tricks reach.
 */
const PROBE = [
  // ls lists its own fds (no pipe or redirection: busybox's shell would add its own fds).
  'echo fd-list-begin',
  'ls -l /proc/self/fd',
  'echo fd-list-end',
  // A moment for the test to look at the shell's fds from the host.
  'touch /tmp/probe-ready; sleep 0.3',
  'echo "cwd: $(readlink /proc/$$/cwd)"',
  // The cwd and the path its name gives, seen from inside: the same inode
  // only if the cwd is where its name says, under the container's root.
  'echo "cwd-identity: $(stat -L -c %d:%i /proc/$$/cwd) $(stat -c %d:%i "$(readlink /proc/$$/cwd)" 2>/dev/null || echo unreachable)"',
  `ls -a . | sed "s/^/cwd-holds: /"`,
  `ls -a .. | sed "s/^/parent-holds: /"`,
  'n=3; while [ $n -le 40 ]; do',
  '  if cd -P /proc/$$/fd/$n 2>/dev/null; then echo "escaped: fd $n is $(pwd)"; cd /; fi',
  `  if [ -e /proc/$$/fd/$n/${HOST_MARKER} ] || [ -e /proc/$$/fd/$n/../${HOST_MARKER} ]; then echo "escaped: fd $n reaches the host"; fi`,
  '  n=$((n + 1))',
  'done',
].join('\n');

/** `mesos-containerizer ARGS` to its end, without tap's preload. */
function containerizer(args: readonly string[]): Result {
  return runProgram(WITHOUT_TAP[0]!, [...WITHOUT_TAP.slice(1), process.execPath, CONTAINERIZER, ...args], { env: helperEnv() });
}

t.test('hostile tasks', { skip: isRoot ? false : 'needs root' }, async (t) => {
  t.test('CVE-2024-21626 class: no host fd or working directory reaches the task', async (t) => {
    // The attack: the process that starts launch holds fds on host
    // directories (here /etc, a host directory, the rootfs's parent and
    // the host's /) and sits in a host directory; a task that inherited any
    // of them could walk out of its root through /proc/self/fd/N/.. or
    // through its cwd. What stops it: launch marks every fd from 3 up
    // close-on-exec right before execve (native/exec.c), and the change of
    // root ends with chdir("/") inside the new root.
    const cleanup = withCleanup(t);
    const fs = rootfs(cleanup);
    const host = hostDirectory(fs);
    const fds = ['/etc', host, fs.base, '/'].map((path) => openSync(path, 'r'));
    cleanup.add('close the host fds', () => fds.forEach((fd) => closeSync(fd)));

    for (const workingDirectory of [undefined, '/tmp']) {
      const extra = workingDirectory === undefined ? {} : { working_directory: workingDirectory };
      const ready = join(fs.path, 'tmp', 'probe-ready');
      rmSync(ready, { force: true });
      const run = launch(cleanup, [info(fs, { value: PROBE }, extra)], { stdio: ['ignore', 'pipe', 'pipe', ...fds], cwd: host });
      // From the host: the task's shell (launch exec'd it in place) while it sleeps.
      const seen = await waitFor('the probe', () => (existsSync(ready) ? openFds(run.pid) : undefined));
      const result = await run.result;
      const name = `working directory ${workingDirectory ?? '(none)'}`;
      t.equal(result.code, 0, `${name}: the task ran ${describe(result)}`);
      t.same([...seen.keys()].sort(), [0, 1, 2], `${name}: the task's shell holds fds 0-2 only (${JSON.stringify([...seen])})`);
      const listed = listedFds(result.stdout);
      t.same(
        listed.filter(([fd, target]) => fd > 2 && !/^\/proc\/\d+\/fd$/.test(target)),
        [],
        `${name}: inside, ls -l /proc/self/fd shows 0-2 and its own directory fd only (${JSON.stringify(listed)})`,
      );
      t.same(listed.slice(0, 3).map(([fd]) => fd), [0, 1, 2], `${name}: (and the listing is there)`);
      t.same(tagged(result.stdout, 'cwd: '), [workingDirectory ?? '/'], `${name}: its cwd is in the container`);
      const [inode, named] = (tagged(result.stdout, 'cwd-identity: ')[0] ?? '').split(' ');
      t.ok(inode !== undefined && inode === named, `${name}: and it is the directory of that name under its root`);
      const holds = tagged(result.stdout, 'cwd-holds: ');
      if (workingDirectory === undefined) t.ok(holds.includes(CONTAINER_MARKER), `${name}: the cwd is the container's root`);
      t.notOk([...holds, ...tagged(result.stdout, 'parent-holds: ')].includes(HOST_MARKER), `${name}: the cwd is not on the host`);
      t.same(tagged(result.stdout, 'escaped: '), [], `${name}: no /proc/$$/fd/N trick leads anywhere`);
    }
  });

  t.test('CVE-2024-21626 class: a working directory of /proc/self/fd/N does not put the task on the host', async (t) => {
    // The attack (runc's exact one): the image or the framework asks for a
    // working directory /proc/self/fd/N, where N is an fd the runtime
    // itself still holds on a host directory when it changes directory
    // after entering the root (here: the fds the agent's side handed down,
    // 3 to 6). What should stop it: refusing a working directory that does
    // not lead inside the new root (runc checks getcwd() afterwards), or
    // holding no host fd by then. Either a one-line refusal or a task whose
    // cwd is inside the container passes.
    const cleanup = withCleanup(t);
    const fs = rootfs(cleanup);
    const host = hostDirectory(fs);
    const fds = ['/etc', host, fs.base, '/'].map((path) => openSync(path, 'r'));
    cleanup.add('close the host fds', () => fds.forEach((fd) => closeSync(fd)));

    for (const n of [3, 4, 5, 6]) {
      const workingDirectory = `/proc/self/fd/${n}`;
      const run = launch(cleanup, [info(fs, { value: PROBE }, { working_directory: workingDirectory })], {
        stdio: ['ignore', 'pipe', 'pipe', ...fds],
        cwd: host,
      });
      const result = await run.result;
      if (result.code !== 0) {
        const lines = result.stderr.trimEnd().split('\n');
        t.equal(result.code, 1, `${workingDirectory}: refused with exit 1`);
        t.notOk(/^\s+at /m.test(result.stderr), `${workingDirectory}: no stack trace`);
        t.equal(result.stdout, '', `${workingDirectory}: the task did not run (${lines.at(-1)})`);
        continue;
      }
      const [inode, named] = (tagged(result.stdout, 'cwd-identity: ')[0] ?? '').split(' ');
      const holds = tagged(result.stdout, 'cwd-holds: ');
      t.ok(
        inode !== undefined && inode === named && !holds.includes(HOST_MARKER),
        `${workingDirectory}: the task's cwd is inside the container (it is ${JSON.stringify(tagged(result.stdout, 'cwd: ')[0])}, ${inode === named ? 'reachable' : 'not reachable'} from its root, holding ${JSON.stringify(holds.slice(2, 9))}...)`,
      );
    }
  });

  t.test('CVE-2024-21626 class: the waiter holds no host directory and lives inside the root', async (t) => {
    // With --runtime_directory a process stays beside the task as its
    // parent. Had it kept a host fd or a host cwd, the task (root, with the
    // waiter's /proc entries in reach) could walk out through
    // /proc/$PPID/fd/N or /proc/$PPID/cwd. What stops it: the waiter is
    // exec'd after the change of root with only stdio and the status fd.
    const cleanup = withCleanup(t);
    const fs = rootfs(cleanup);
    const host = hostDirectory(fs);
    const runtime = tempDir('mc-hostile-runtime-');
    cleanup.add('remove the runtime directory', runtime.cleanup);
    const fds = ['/etc', host, '/'].map((path) => openSync(path, 'r'));
    cleanup.add('close the host fds', () => fds.forEach((fd) => closeSync(fd)));
    const probe = [
      'ls -l /proc/$PPID/fd | sed "s/^/waiter-fd: /"',
      'echo "waiter-cwd: $(readlink /proc/$PPID/cwd)"',
      'echo "waiter-root: $(readlink /proc/$PPID/root)"',
      `ls -a /proc/$PPID/cwd/ | sed "s/^/waiter-cwd-holds: /"`,
      'for n in $(ls /proc/$PPID/fd); do',
      `  if [ -e /proc/$PPID/fd/$n/${HOST_MARKER} ] || [ -e /proc/$PPID/fd/$n/../${HOST_MARKER} ]; then echo "escaped: waiter fd $n"; fi`,
      'done',
      'sleep 1',
    ].join('\n');
    const run = launch(cleanup, [`--runtime_directory=${runtime.path}`, info(fs, { value: probe })], {
      stdio: ['ignore', 'pipe', 'pipe', ...fds],
      cwd: host,
    });
    // From the host: while the task sleeps, the waiter's own fd table.
    const seen = await waitFor('the task to start', () => (childrenOf(run.pid).length > 0 ? openFds(run.pid) : undefined));
    const result = await run.result;
    t.equal(result.code, 0, `launch ran ${describe(result)}`);
    const statusFds = [...seen].filter(([fd]) => fd > 2);
    t.equal(statusFds.length, 1, `the waiter holds one fd past stdio (${JSON.stringify([...seen])})`);
    t.match(statusFds[0]?.[1] ?? '', /\/status$/, 'and it is the status file');
    t.same(fdNumbers(result.stdout, 'waiter-fd: ').filter((fd) => fd > 2).length, 1, 'the task sees the same from inside');
    t.same(tagged(result.stdout, 'waiter-cwd: '), ['/'], "the waiter's cwd is the container's root");
    t.same(tagged(result.stdout, 'waiter-root: '), ['/'], "the waiter's root is the container's root");
    t.ok(tagged(result.stdout, 'waiter-cwd-holds: ').includes(CONTAINER_MARKER), 'its cwd holds the container marker');
    t.same(tagged(result.stdout, 'escaped: '), [], "no fd of the waiter leads to the host");
  });

  t.test('CVE-2019-5736 class: a root task cannot overwrite the waiter through /proc/<pid>/exe', async (t) => {
    // The attack: a root task opens its parent's (the waiter's)
    // /proc/<pid>/exe for writing, directly (echo >, >>, dd), or holds it
    // open read-only and reopens /proc/self/fd/N for writing once the
    // parent is gone; or makes the waiter run itself via `#!/proc/self/exe`.
    // What stops it: the waiter is exec'd from a sealed memfd copy
    // (F_SEAL_WRITE|SHRINK|GROW), so /proc/<pid>/exe is that copy, not the
    // host's native/build/waiter, and the copy refuses writes.
    const cleanup = withCleanup(t);
    const fs = rootfs(cleanup);
    writeFileSync(join(fs.path, 'evil'), '#!/proc/self/exe\n', { mode: 0o755 });
    chmodSync(join(fs.path, 'evil'), 0o755);
    const waiter = waiterPath();
    const before = sha256(waiter);
    // /proc/1/exe is only aimed at inside the container's pid namespace:
    // in ours, pid 1 is the host's init.
    const attack = (late: string, targets: string) => [
      'echo "exe: $(readlink /proc/$PPID/exe)"',
      `for target in ${targets}; do`,
      '  if echo x > $target; then echo "WROTE: $target"; else echo "refused: $target"; fi',
      '  if echo x >> $target; then echo "WROTE: append $target"; fi',
      '  if dd if=/dev/zero of=$target bs=1 count=1 conv=notrunc 2>/dev/null; then echo "WROTE: dd $target"; fi',
      'done',
      'if cat /proc/$PPID/exe > /tmp/copy; then echo "read: ok"; fi',
      // Hold it read-only and write through /proc/self/fd once the waiter is gone.
      // (Its output goes to a file: it must not hang on, or die by, the test's pipes.)
      `(sleep 0.3; echo "held: $(readlink /proc/self/fd/9)"; if echo x > /proc/self/fd/9; then echo "WROTE: late"; else echo "refused: late"; fi) 9</proc/$PPID/exe </dev/null >/${late} 2>&1 &`,
      // Its redirections come first (fd 9, then the file): exit only once it holds the exe.
      `i=0; while [ ! -e /${late} ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done`,
      'exit 0',
    ].join('\n');

    const variants: Array<{ name: string; prefix: string[]; targets: string; late: boolean }> = [
      // The container's own pid namespace and proc: the waiter is pid 1.
      {
        name: 'in a pid namespace',
        prefix: ['unshare', '-p', '-f', '--kill-child', 'unshare', '-m'],
        targets: '/proc/1/exe /proc/$PPID/exe',
        late: false,
      },
      // Sharing our pid namespace: the late writer outlives the waiter.
      { name: 'in our pid namespace', prefix: ['unshare', '-m'], targets: '/proc/$PPID/exe', late: true },
    ];
    for (const { name, prefix, targets, late } of variants) {
      const lateName = `late-${variants.findIndex((variant) => variant.name === name)}`;
      const runtime = tempDir('mc-hostile-runtime-');
      cleanup.add('remove the runtime directory', runtime.cleanup);
      const run = launch(cleanup, [`--runtime_directory=${runtime.path}`, info(fs, { value: attack(lateName, targets) })], { prefix });
      const result = await run.result;
      t.equal(result.code, 0, `${name}: launch ran ${describe(result)}`);
      t.match(tagged(result.stdout, 'exe: ')[0] ?? '', /^\/memfd:/, `${name}: the waiter runs from a memfd`);
      t.same(tagged(result.stdout, 'WROTE: '), [], `${name}: every write through /proc/<pid>/exe failed`);
      t.same(tagged(result.stdout, 'refused: ').length, targets.split(' ').length, `${name}: every path was tried`);
      t.same(tagged(result.stdout, 'read: '), ['ok'], `${name}: (reading it works, so the path was right)`);
      if (late) {
        const lateFile = join(fs.path, lateName);
        const read = () => (existsSync(lateFile) ? readFileSync(lateFile, 'utf8') : '');
        const text = await waitFor('the late writer', () => (/refused|WROTE/.test(read()) ? read() : undefined), 5000).catch(
          () => `(the late writer did not finish: ${JSON.stringify(read())})`,
        );
        t.match(text, /^held: \/memfd:/m, `${name}: the late writer held the waiter's exe`);
        t.match(text, /^refused: late$/m, `${name}: and could not write it after the waiter exited`);
      }
      t.equal(sha256(waiter), before, `${name}: native/build/waiter is byte-identical`);
    }

    // `#!/proc/self/exe`: the task's program makes the kernel run the
    // waiter's copy again, which refuses its bogus arguments.
    const runtime = tempDir('mc-hostile-runtime-');
    cleanup.add('remove the runtime directory', runtime.cleanup);
    const run = launch(cleanup, [`--runtime_directory=${runtime.path}`, info(fs, { shell: false, value: '/evil', arguments: ['/evil'] })], {
      prefix: variants[0]!.prefix,
    });
    const result = await run.result;
    t.equal(result.code, 0, `#!/proc/self/exe: the waiter exits 0 ${describe(result)}`);
    t.equal(readFileSync(join(runtime.path, 'status'), 'utf8'), '256', '#!/proc/self/exe: the task (a second waiter) failed');
    t.equal(sha256(waiter), before, '#!/proc/self/exe: native/build/waiter is byte-identical');
  });

  t.test("CVE-2019-5736 class: a task's `#!/proc/self/exe` must not run, and overwrite, the helper's own binary", async (t) => {
    // The attack (runc's exact one, without --runtime_directory): the
    // image's program is a script whose interpreter is /proc/self/exe. At
    // execve the kernel resolves that in the helper, which is node, so the
    // host's node binary starts inside the container running the image's
    // "script" as JavaScript. That code holds /proc/self/exe open, starts
    // a process that waits for node to exit, and then rewrites the binary
    // through /proc/self/fd/N. To keep the host safe the helper here is a
    // copy of node in a temporary directory, and the image carries the
    // libraries node needs (as any real image would). What should stop it:
    // execve of the task from something other than the host's binary (runc
    // re-execs itself from a sealed memfd copy first).
    const cleanup = withCleanup(t);
    const fs = rootfs(cleanup);
    const node = join(fs.base, 'node-copy');
    copyFileSync(process.execPath, node);
    chmodSync(node, 0o755);
    const before = sha256(node);
    for (const [, library] of execFileSync('ldd', [process.execPath], { encoding: 'utf8' }).matchAll(/(\/\S+)\s+\(0x/g)) {
      const target = join(fs.path, library!);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(library!, target);
    }
    writeFileSync(
      join(fs.path, 'evil'),
      [
        '#!/proc/self/exe',
        "const fs = require('fs'), cp = require('child_process');",
        "console.log('inside: node runs in the container from ' + fs.readlinkSync('/proc/self/exe'));",
        "const fd = fs.openSync('/proc/self/exe', 'r');",
        "cp.spawnSync('/bin/sh', ['-c', '(sleep 0.5; if echo pwned > /proc/self/fd/3; then echo overwrote > /late; else echo refused > /late; fi) </dev/null >/dev/null 2>&1 &'], { stdio: ['inherit', 'inherit', 'inherit', fd] });",
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    chmodSync(join(fs.path, 'evil'), 0o755);
    const run = launch(cleanup, [info(fs, { shell: false, value: '/evil', arguments: ['/evil'] })], { node });
    const result = await run.result;
    const lateFile = join(fs.path, 'late');
    // Give the delayed writer (if the attack got that far) time to act.
    if (result.stdout.includes('inside:')) await waitFor('the delayed writer', () => (existsSync(lateFile) ? true : undefined), 5000).catch(() => undefined);
    t.notOk(result.stdout.includes('inside:'), `the helper's binary did not run as the task ${describe(result)}`);
    t.equal(sha256(node), before, `the helper's binary is byte-identical${existsSync(lateFile) ? ` (the attack says: ${readFileSync(lateFile, 'utf8').trim()})` : ''}`);
  });

  t.test('symlinks out of the rootfs: mounts, masks and file operations stay inside', async (t) => {
    // The attack: the image holds symlinks (absolute and relative) to a
    // host directory, and the launch description names paths through them:
    // a mount target, a masked path, a symlink/mkdir/rename/mount file
    // operation. Followed blindly, each would mount on, hide, create in or
    // move things of the host. What stops it: the kernel resolves every
    // such path inside the rootfs (openat2 RESOLVE_IN_ROOT, see
    // src/launch/filesystem.ts), where these links lead to nothing; masks
    // of nothing are skipped, the others fail the launch with one line.
    const cleanup = withCleanup(t);
    const fs = rootfs(cleanup);
    const outside = hostDirectory(fs);
    symlinkSync(outside, join(fs.path, 'evil'));
    symlinkSync('../outside', join(fs.path, 'evil-relative'));
    writeFileSync(join(fs.path, 'file'), 'container file\n');
    const hostListing = () => readdirSync(outside).sort();
    const listing = hostListing();

    const refused: Array<[string, Record<string, unknown>]> = [
      ['a mount under an absolute symlink', { mounts: [{ source: 'tmpfs', type: 'tmpfs', target: `${fs.path}/evil/mnt` }] }],
      ['a mount on a relative symlink', { mounts: [{ source: 'tmpfs', type: 'tmpfs', target: `${fs.path}/evil-relative` }] }],
      ['SYMLINK', { file_operations: [{ operation: 'SYMLINK', symlink: { source: '/bin/sh', target: `${fs.path}/evil/link` } }] }],
      ['MKDIR', { file_operations: [{ operation: 'MKDIR', mkdir: { target: `${fs.path}/evil-relative/new/dir`, recursive: true } }] }],
      ['RENAME into', { file_operations: [{ operation: 'RENAME', rename: { source: `${fs.path}/file`, target: `${fs.path}/evil/moved` } }] }],
      ['RENAME out of', { file_operations: [{ operation: 'RENAME', rename: { source: `${fs.path}/evil/secret`, target: `${fs.path}/stolen` } }] }],
      ['MOUNT', { file_operations: [{ operation: 'MOUNT', mount: { source: 'tmpfs', type: 'tmpfs', target: `${fs.path}/evil` } }] }],
    ];
    for (const [name, extra] of refused) {
      const run = launch(cleanup, [info(fs, { value: 'echo task-ran' }, extra)]);
      const result = await run.result;
      const last = result.stderr.trimEnd().split('\n').at(-1) ?? '';
      t.equal(result.code, 1, `${name}: refused (${last})`);
      t.match(last, /^Failed to [^\n]*: (No such file or directory|File exists)$/, `${name}: one line saying why`);
      t.notOk(result.stdout.includes('task-ran'), `${name}: the task did not run`);
      t.same(hostListing(), listing, `${name}: the host directory is unchanged`);
    }
    t.ok(existsSync(join(fs.path, 'file')), 'the rootfs file was not moved out');

    // Masks: a pre-exec command (it runs in launch's mount namespace, after
    // the masks, before the change of root) looks at the host files.
    const probe = `cat ${outside}/secret; ls ${outside}`;
    const masked = info(fs, { value: 'echo task-ran' }, {
      masked_paths: [`${fs.path}/evil/secret`, `${fs.path}/evil-relative`],
      pre_exec_commands: [{ value: probe }],
    });
    const result = await launch(cleanup, [masked]).result;
    t.equal(result.code, 0, `masks through symlinks are skipped, the launch goes on ${describe(result)}`);
    t.match(result.stdout, /^host secret$/m, 'the host file was not masked');
    t.match(result.stdout, new RegExp(`^${HOST_MARKER}$`, 'm'), 'the host directory was not masked');
    t.notMatch(result.stderr, /Failed to mask/, 'masks of paths the image does not have are left alone');
    t.same(hostListing(), listing, 'the host directory is unchanged');
  });

  t.test('symlinks out of the rootfs: network-cni-setup --rootfs binds nothing outside', async (t) => {
    // The attack: the image's /etc (or /etc/hosts) is a symlink to a host
    // directory (or file), so binding the network files "into the rootfs"
    // would create files in, or bind over, host paths. What stops it:
    // network-cni-setup resolves every path in the rootfs as its own root
    // (openat2's RESOLVE_IN_ROOT), so such a link leads nowhere inside it
    // and is refused; a symlink at the mount point itself is replaced by a
    // plain file (as Mesos does).
    const cleanup = withCleanup(t);
    const dir = tempDir('mc-hostile-cni-');
    cleanup.add('remove the scratch directory', dir.cleanup);
    const outside = join(dir.path, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'hosts'), 'host hosts\n');
    const resolv = join(dir.path, 'resolv.conf');
    writeFileSync(resolv, 'nameserver 192.0.2.53\n');
    const hosts = join(dir.path, 'hosts');
    writeFileSync(hosts, '192.0.2.1 container\n');
    const container = await startContainer(cleanup);

    // /etc itself leads out.
    const evilRoot = join(dir.path, 'rootfs-etc-link');
    mkdirSync(evilRoot);
    symlinkSync(outside, join(evilRoot, 'etc'));
    const refused = containerizer(['network-cni-setup', `--pid=${container.pid}`, `--rootfs=${evilRoot}`, `--etc_resolv_conf=${resolv}`]);
    t.equal(refused.code, 1, `an /etc leading out is refused: ${refused.stderr.trim()}`);
    t.match(refused.stderr, /^Failed to create directory '.*\/etc' for the mount point: File exists\n$/, 'with one line');
    t.same(readdirSync(outside).sort(), ['hosts'], 'nothing was created in the host directory');
    t.same(inContainer(container.pid, ['cat', join(outside, 'hosts')]).stdout, 'host hosts\n', 'nothing was bound over the host file');

    // /etc/hosts leads out: it becomes a plain file in the rootfs.
    const linkRoot = join(dir.path, 'rootfs-hosts-link');
    mkdirSync(join(linkRoot, 'etc'), { recursive: true });
    symlinkSync(join(outside, 'hosts'), join(linkRoot, 'etc', 'hosts'));
    const done = containerizer([
      'network-cni-setup',
      `--pid=${container.pid}`,
      `--rootfs=${linkRoot}`,
      `--etc_hosts_path=${hosts}`,
      `--etc_resolv_conf=${resolv}`,
    ]);
    t.equal(done.code, 0, `a symlinked /etc/hosts is replaced, not followed ${JSON.stringify(done)}`);
    t.equal(readFileSync(join(outside, 'hosts'), 'utf8'), 'host hosts\n', 'the host file is untouched');
    t.notOk(lstatSync(join(linkRoot, 'etc', 'hosts')).isSymbolicLink(), "the rootfs's /etc/hosts is a plain file now");
    t.equal(inContainer(container.pid, ['cat', join(outside, 'hosts')]).stdout, 'host hosts\n', 'in the container too, the host file is not bound over');
    t.equal(inContainer(container.pid, ['cat', join(linkRoot, 'etc', 'hosts')]).stdout, '192.0.2.1 container\n', 'the bind landed in the rootfs');
  });
});
