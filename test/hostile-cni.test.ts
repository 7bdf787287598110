// network-cni-setup against hostile pids, containers and images, as root.
// Each test says what the attack tries and what is meant to stop it.
//
// 1. A --pid naming a host process: the setup would mark the host's `/`
//    rslave and bind over the host's /etc files (and set its hostname).
// 2. Programs of the container run with the helper's privileges: an `ip`
//    or `ifconfig` planted on PATH inside the container's mount namespace.
// 3. The container's /proc deciding which namespaces are joined: after the
//    mount setns, /proc/<pid>/ns/uts is whatever the container put there.
// 4. A rootfs mount point swapped between a file and a symlink out of the
//    rootfs while the setup runs (check-then-use by path name).
// 5. Binds that keep suid, device and exec semantics of their source.
//
// Containers are processes in namespaces made here; nothing here enters a
// network namespace it did not make. Run `npm run build` first.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_FILES, cleanupFor, hostState, hostnameOf, loopbackIsUp, mountOptions, mountsOf, needsForReal, networkFiles, oneLine, setup, tempDir } from './helpers/cni';
import { Cleanup, inContainer, startContainer } from './helpers/netns';
import { procStat, waitFor } from './helpers/process';
import { CONTAINERIZER, cleanEnv, run } from './helpers/run';

/** Runs `script` with `sh -c` in the mount namespace of `pid`; its stdout. */
function inNamespaces(pid: number, script: string, env: Record<string, string> = {}) {
  const result = spawnSync('nsenter', ['-t', String(pid), '-m', 'sh', '-c', script], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`in ${pid}: ${script}: ${result.stderr}`);
  return result.stdout;
}

/** The inode of namespace `ns` of `pid`, as the host's /proc tells it. */
function namespaceInode(pid: number | 'self', ns: string): number {
  return statSync(`/proc/${pid}/ns/${ns}`).ino;
}

/**
 * `unshare <flags> sleep 1000` (no fork: the pid is the sleep's), running
 * once the namespaces are made; killed by `cleanup`.
 */
async function startUnshared(cleanup: Cleanup, flags: readonly string[]): Promise<number> {
  const child = spawn('unshare', [...flags, 'sleep', '1000'], { stdio: 'ignore' });
  const pid = child.pid!;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  cleanup.add(`kill ${pid}`, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  await waitFor(`unshare ${pid} to exec sleep`, () => (procStat(pid)?.comm === 'sleep' ? true : undefined));
  return pid;
}

/** Mount points, and the root mount's line, of our own namespace: what a setup run on the host would change. */
function ourMounts(): { points: string[]; root: string } {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const fields = lines.filter((line) => line !== '').map((line) => line.split(' '));
  return {
    points: fields.map((f) => f[4]!).filter((point) => HOST_FILES.includes(point)),
    root: fields.find((f) => f[4] === '/')?.join(' ') ?? '',
  };
}

/** The host's network files: content and inode, so a replaced file shows too. */
function hostFiles(): Record<string, string> {
  const state: Record<string, string> = {};
  for (const file of HOST_FILES) {
    state[file] = existsSync(file) ? `${lstatSync(file).ino} ${readFileSync(file, 'utf8')}` : '<missing>';
  }
  return state;
}

/** Undoes a bind over one of the host's own /etc files, should a broken setup make one. */
function guardHostFiles(cleanup: Cleanup): void {
  const before = ourMounts().points;
  cleanup.add("undo any bind over the host's /etc files", () => {
    for (const point of ourMounts().points.filter((point) => !before.includes(point))) {
      spawnSync('umount', ['-l', point]);
      throw new Error(`a bind appeared over the host's ${point}`);
    }
  });
}

t.test('a --pid of a host process is refused, and the host is left alone', { skip: needsForReal }, async (t) => {
  // The attack: the agent (or whoever can run the helper) names a process
  // of the host. What stops it: the target's mount namespace (and, with a
  // hostname, its UTS and network ones) is compared, by the inode of the
  // namespace opened from the host's /proc, with ours and the host's
  // (pid 1's, or the kernel's where pid 1 is out of reach), before any
  // setns or mount.
  const cleanup = cleanupFor(t);
  guardHostFiles(cleanup);
  const dir = tempDir(cleanup, 'mc-hostile-cni-');
  const files = networkFiles(dir, 'mc-evil', '10.99.0.66');
  const beforeFiles = hostFiles();
  const beforeMounts = ourMounts();
  const beforeHost = hostState();
  const args = [
    `--etc_hosts_path=${files.hosts}`,
    `--etc_hostname_path=${files.hostname}`,
    `--etc_resolv_conf=${files.resolv}`,
    '--bind_host_files',
  ];

  const kernelsPid = readFileSync('/proc/2/stat', 'utf8').includes('(kthreadd)') ? [2] : [];
  for (const pid of [process.pid, 1, ...kernelsPid]) {
    const result = setup([`--pid=${pid}`, ...args]);
    // Pid 1 may hold capabilities we lack: then its namespaces can't even be opened.
    oneLine(
      t,
      result,
      new RegExp(
        `^(Refusing to enter the mount namespace of pid ${pid}: it is the host's, not a container's|` +
          `Failed to enter the mount namespace of pid ${pid}: Failed to open '/proc/${pid}/ns/mnt': Permission denied)\\n$`,
      ),
    );
    t.comment(`--pid=${pid}: ${result.stderr.trim()}`);
  }
  t.same(hostFiles(), beforeFiles, "the host's /etc/hosts, /etc/hostname and /etc/resolv.conf are untouched");
  t.same(ourMounts(), beforeMounts, "no mount appeared over them, and `/` kept its propagation");
  t.same(hostState(), beforeHost, 'the hostname is unchanged');

  // In a mount namespace of its own, its own pid is "ours", not the host's.
  const own = run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `exec "$0" network-cni-setup --pid=$$ "$@"`, CONTAINERIZER, ...args]);
  oneLine(t, own, /^Refusing to enter the mount namespace of pid \d+: it is our own, not a container's\n$/);
});

t.test("with a hostname, the host's UTS or network namespace is refused", { skip: needsForReal }, async (t) => {
  // The attack: a process in a mount namespace of its own but the host's
  // UTS (or network) namespace: the setup would set the host's hostname.
  // The hostname given is the host's own, so that even a broken refusal
  // changes nothing.
  const cleanup = cleanupFor(t);
  const dir = tempDir(cleanup, 'mc-hostile-cni-');
  const files = networkFiles(dir, 'mc-evil', '10.99.0.67');
  const host = hostState().hostname;
  for (const [flags, ns] of [
    [['--mount', '--propagation', 'private'], 'UTS'],
    [['--mount', '--propagation', 'private', '--uts'], 'network'],
  ] as const) {
    const pid = await startUnshared(cleanup, flags);
    const mountsBefore = [...mountsOf(pid).keys()];
    const hostnameBefore = hostnameOf(pid);
    const result = setup([`--pid=${pid}`, `--hostname=${host}`, `--etc_hosts_path=${files.hosts}`, `--etc_resolv_conf=${files.resolv}`, '--bind_host_files']);
    oneLine(t, result, `Refusing to enter the ${ns} namespace of pid ${pid}: it is the host's, not a container's`);
    t.same([...mountsOf(pid).keys()], mountsBefore, `${ns}: nothing was bound in the process's own mount namespace either`);
    t.equal(hostnameOf(pid), hostnameBefore, `${ns}: its hostname is unchanged`);
  }
  t.equal(hostState().hostname, host, "the host's hostname is unchanged");

  // Run from inside a UTS and network namespace of our own, one shared with the target is "ours".
  const ours = run('unshare', [
    '--uts',
    '--net',
    'sh',
    '-c',
    'unshare --mount --propagation private sleep 100 & sleep 0.3; "$0" network-cni-setup --pid=$! --hostname=mc-evil "$@"; status=$?; hostname >&2; kill $!; exit $status',
    CONTAINERIZER,
    `--etc_resolv_conf=${files.resolv}`,
  ]);
  t.equal(ours.code, 1);
  t.match(ours.stderr, /^Refusing to enter the UTS namespace of pid \d+: it is our own, not a container's\n/, 'refused as our own');
  t.notMatch(ours.stderr, /mc-evil/, 'the hostname of that namespace is unchanged');
});

t.test("programs planted in the container's mount namespace never run", { skip: needsForReal }, async (t) => {
  // The attack: the container puts its own `ip` and `ifconfig` where the
  // helper looks for them once it is in the container's mount namespace
  // (over /usr/sbin/ip, and first on PATH), to run with the helper's
  // privileges in the host's pid namespace. What stops it: the loopback is
  // brought up in-process (SIOCSIFFLAGS); no program is run at all.
  const cleanup = cleanupFor(t);
  const dir = tempDir(cleanup, 'mc-hostile-cni-');
  const files = networkFiles(dir, 'mc-planted', '10.99.0.68');
  const marker = join(dir, 'ran');
  const planted = join(dir, 'planted');
  mkdirSync(planted);
  const script = join(dir, 'evil');
  writeFileSync(script, `#!/bin/sh\necho "$0 $*" >> ${marker}\nexit 0\n`);
  chmodSync(script, 0o755);
  const container = await startContainer(cleanup);
  const tools = ['ip', 'ifconfig'].map((name) => `/usr/sbin/${name}`).filter((path) => existsSync(path));
  inNamespaces(
    container.pid,
    [
      ...tools.map((path) => `mount --bind "$EVIL" ${path}`),
      `mount -t tmpfs none "$PLANTED"`,
      `cp "$EVIL" "$PLANTED/ip" && cp "$EVIL" "$PLANTED/ifconfig"`,
    ].join(' && '),
    { EVIL: script, PLANTED: planted },
  );
  t.notOk(loopbackIsUp(container.pid), 'lo starts down');

  const result = spawnSync(
    process.execPath,
    [CONTAINERIZER, 'network-cni-setup', `--pid=${container.pid}`, '--hostname=mc-planted', `--etc_resolv_conf=${files.resolv}`],
    { encoding: 'utf8', env: { ...cleanEnv(), PATH: `${planted}:/usr/sbin:/usr/bin:/sbin:/bin` } },
  );
  t.same({ code: result.status, stderr: result.stderr }, { code: 0, stderr: '' }, 'setup succeeds');
  t.ok(loopbackIsUp(container.pid), 'lo is UP');
  t.notOk(existsSync(marker), 'no planted program ran');

  // The plant is real: the container's own `ip` is the script.
  inContainer(container.pid, ['ip', 'link']);
  t.ok(existsSync(marker), "inside the container's mount namespace, `ip` is the planted script");
});

t.test("the UTS and network namespaces come from the host's /proc, not the container's", { skip: needsForReal }, async (t) => {
  // The attack: the container covers its /proc with a tmpfs whose
  // /proc/<pid>/ns/uts and ns/net are a decoy's namespaces (bind mounts of
  // them), so a setup that opens them after the mount setns sets the
  // decoy's hostname and loopback instead. What stops it: every namespace
  // is opened from the host before the first setns.
  const cleanup = cleanupFor(t);
  const dir = tempDir(cleanup, 'mc-hostile-cni-');
  const files = networkFiles(dir, 'mc-real', '10.99.0.69');
  const stage = join(dir, 'stage');
  mkdirSync(stage);
  const container = await startContainer(cleanup);
  const decoy = await startContainer(cleanup);
  const decoyHostname = hostnameOf(decoy.pid);
  const c = container.pid;
  inNamespaces(
    c,
    [
      `touch "$S/uts" "$S/net"`,
      `mount --bind /proc/${decoy.pid}/ns/uts "$S/uts"`,
      `mount --bind /proc/${decoy.pid}/ns/net "$S/net"`,
      'mount -t tmpfs none /proc',
      `mkdir -p /proc/${c}/ns`,
      `touch /proc/${c}/ns/uts /proc/${c}/ns/net`,
      `mount --bind "$S/uts" /proc/${c}/ns/uts`,
      `mount --bind "$S/net" /proc/${c}/ns/net`,
    ].join(' && '),
    { S: stage },
  );
  const seen = inNamespaces(c, `stat -L -c %i /proc/${c}/ns/uts /proc/${c}/ns/net`).trim().split('\n').map(Number);
  t.same(seen, [namespaceInode(decoy.pid, 'uts'), namespaceInode(decoy.pid, 'net')], "inside, /proc/<pid>/ns/{uts,net} are the decoy's");

  const result = setup([`--pid=${c}`, '--hostname=mc-real', `--etc_resolv_conf=${files.resolv}`]);
  t.same({ code: result.code, stderr: result.stderr }, { code: 0, stderr: '' }, 'setup succeeds');
  t.equal(hostnameOf(c), 'mc-real', "the container's own hostname is set");
  t.ok(loopbackIsUp(c), "the container's own lo is UP");
  t.equal(hostnameOf(decoy.pid), decoyHostname, "the decoy's hostname is unchanged");
  t.notOk(loopbackIsUp(decoy.pid), "the decoy's lo is still down");
});

/** The swapper: a process flipping `target` between a plain file and a symlink to `outside`, as fast as it can. */
function startSwapper(cleanup: Cleanup, target: string, outsideTargets: readonly string[]) {
  const script = `
    const fs = require('fs');
    const [target, ...links] = process.argv.slice(1);
    const tmp = target + '.swap';
    for (let i = 0; ; i++) {
      try {
        if (i % 2 === 0) fs.symlinkSync(links[(i / 2) % links.length], tmp);
        else fs.writeFileSync(tmp, '');
        fs.renameSync(tmp, target);
      } catch {
        try { fs.rmSync(tmp, { force: true }); } catch {}
      }
    }
  `;
  // Niced: it still flips thousands of times per run, but leaves the setup a core.
  const child = spawn('nice', ['-n', '19', process.execPath, '-e', script, target, ...outsideTargets], { stdio: 'ignore' });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  };
  cleanup.add('stop the swapper', stop);
  return stop;
}

t.test('a mount point swapped between a file and a symlink out of the rootfs never gets a bind outside', { skip: needsForReal }, async (t) => {
  // The attack: while the setup runs, the image's etc/hosts flips between
  // a plain file and a symlink to a host file (absolute, and relative with
  // `..`), hoping the check sees the file and the mount follows the link.
  // What stops it: the mount point is opened once (openat2 in the rootfs as
  // its root, the final symlink not followed), replaced through its
  // directory's handle if it is a link, and the bind is made onto that
  // handle, never onto a name.
  const RUNS = 100;
  const cleanup = cleanupFor(t);
  const dir = tempDir(cleanup, 'mc-hostile-cni-');
  const files = networkFiles(dir, 'mc-race', '10.99.0.70');
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  const victim = join(outside, 'hosts');
  writeFileSync(victim, 'host hosts\n');
  const victimInode = statSync(victim).ino;
  const container = await startContainer(cleanup);
  const before = new Set(mountsOf(container.pid).keys());
  const mountPoint = join(rootfs, 'etc', 'hosts');
  const stop = startSwapper(cleanup, mountPoint, [victim, '../../outside/hosts']);

  const outcomes = new Map<string, number>();
  const outsideBinds: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const result = setup([`--pid=${container.pid}`, `--rootfs=${rootfs}`, `--etc_hosts_path=${files.hosts}`, `--etc_resolv_conf=${files.resolv}`]);
    const outcome = result.code === 0 ? 'bound' : result.stderr.replace(/'[^']*'/g, '<path>').trim();
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    if (result.code !== 0) t.equal(result.stderr.split('\n').length, 2, `run ${i}: a failure is one line`);
    const added = [...mountsOf(container.pid).keys()].filter((point) => !before.has(point));
    outsideBinds.push(...added.filter((point) => !point.startsWith(`${rootfs}/`)));
    // Unmounted again for the next run; the swapper's rename may have detached one already.
    for (const point of added.reverse()) inNamespaces(container.pid, 'umount "$P" 2>/dev/null; true', { P: point });
  }
  await stop();
  t.comment(`outcomes of ${RUNS} runs: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  t.ok((outcomes.get('bound') ?? 0) > 0, 'some runs bound the file, in the rootfs');
  t.same(outsideBinds, [], 'no bind was ever made outside the rootfs');
  t.equal(readFileSync(victim, 'utf8'), 'host hosts\n', 'the host file keeps its text');
  t.equal(statSync(victim).ino, victimInode, 'and was never replaced');
  t.same(readdirSync(outside), ['hosts'], 'nothing was made beside it');
  t.same(readdirSync(dir).sort(), ['hostname', 'hosts', 'outside', 'resolv.conf', 'rootfs'], 'nor anywhere else outside the rootfs');
});

t.test('binds are nosuid,nodev,noexec, read-only or not, host files and rootfs alike', { skip: needsForReal }, async (t) => {
  // The attack: a bind keeps its source mount's flags unless a remount (or
  // mount_setattr) applies new ones, so a network file on an exec, dev,
  // suid mount would be an executable (or a device) inside the container.
  // What stops it: the detached copy gets MOUNT_ATTR_NOSUID|NODEV|NOEXEC
  // (and RDONLY) before it is attached.
  const cleanup = cleanupFor(t);
  const dir = tempDir(cleanup, 'mc-hostile-cni-');
  const files = networkFiles(dir, 'mc-flags', '10.99.0.71');
  // hosts: an executable script; resolv.conf: a device node (/dev/null's numbers).
  writeFileSync(files.hosts, '#!/bin/sh\necho executed\n');
  chmodSync(files.hosts, 0o755);
  const device = join(dir, 'resolv-device');
  const made = spawnSync('mknod', [device, 'c', '1', '3']);
  t.equal(made.status, 0, 'a device node to bind');
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  t.equal(spawnSync(files.hosts, { encoding: 'utf8' }).stdout, 'executed\n', 'the source runs where it is');

  for (const readOnly of [false, true]) {
    const container = await startContainer(cleanup);
    const result = setup([
      `--pid=${container.pid}`,
      `--rootfs=${rootfs}`,
      `--etc_hosts_path=${files.hosts}`,
      `--etc_resolv_conf=${device}`,
      '--bind_host_files',
      ...(readOnly ? ['--bind_readonly'] : []),
    ]);
    t.same({ code: result.code, stderr: result.stderr }, { code: 0, stderr: '' }, `setup succeeds (read-only: ${readOnly})`);
    const mounts = mountsOf(container.pid);
    for (const point of ['/etc/hosts', '/etc/resolv.conf', join(rootfs, 'etc', 'hosts'), join(rootfs, 'etc', 'resolv.conf')]) {
      const options = mountOptions(mounts.get(point) ?? '');
      const expected = [readOnly ? 'ro' : 'rw', 'nosuid', 'nodev', 'noexec'];
      t.ok(expected.every((option) => options.has(option)), `${point}: ${expected.join(',')} (read-only: ${readOnly})`);
    }
    for (const hosts of ['/etc/hosts', join(rootfs, 'etc', 'hosts')]) {
      const exec = inContainer(container.pid, [hosts]);
      t.not(exec.status, 0, `${hosts} can't be executed`);
      t.match(exec.stderr, /Permission denied/, `${hosts}: noexec`);
    }
    for (const resolv of ['/etc/resolv.conf', join(rootfs, 'etc', 'resolv.conf')]) {
      const read = inContainer(container.pid, ['head', '-c', '1', resolv]);
      t.not(read.status, 0, `${resolv} can't be opened as a device`);
      t.match(read.stderr, /Permission denied/, `${resolv}: nodev`);
    }
  }
});
