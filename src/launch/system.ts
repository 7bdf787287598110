// The real LaunchSystem: libc through native/, child processes through
// child_process (they fork from the main thread, so they see the namespaces
// it entered), files through synchronous fs calls (asynchronous ones run on
// the thread pool, whose threads keep the old mount namespace and root).
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import * as libc from '../../native/libc';
import { describeWaitStatus } from '../agent/wait-status';
import { isExecutableFile } from '../subcommand/executable';
import { signalNumber, spawnSync } from '../subcommand/lazy';
import { writeAll } from '../subcommand/output';
import type { ProcessCapabilities } from './capabilities';
import { encodeDrop, type PrivilegeDrop } from './drop';
import type { MountEntry } from './filesystem';
import type { CommandInfo, SeccompProfile } from './launch-info';
import type { FileKind, LaunchSystem, Program, UserIds } from './run';
import { seccompProgram } from './seccomp';

const PR_CAPBSET_READ = 23;
const PR_CAP_AMBIENT = 47;
const PR_CAP_AMBIENT_IS_SET = 1;

/** What stout's spawn and system give for a program that can't be exec'd. */
const EXEC_FAILED = 127;

/**
 * How a child ended, in Mesos's words ("exited with status 3", "terminated
 * with signal Killed"), or undefined if it succeeded. `noStatus` is for a
 * child never made (a failed fork).
 */
function describeExit(result: ReturnType<typeof spawnSync>, noStatus: string): string | undefined {
  if (result.error !== undefined) {
    // libuv reports the child's failed exec as the spawn's error; stout's
    // child just exits 127, which is all Mesos says about it.
    const code = (result.error as NodeJS.ErrnoException).code;
    return code === 'EAGAIN' || code === 'ENOMEM' ? noStatus : describeWaitStatus(EXEC_FAILED << 8);
  }
  if (result.signal !== null) {
    // Node names signals 1-31 only, and never says whether a core was dumped.
    const signal = signalNumber(result.signal);
    return signal === undefined ? 'terminated with a real-time signal' : describeWaitStatus(signal);
  }
  if (result.status === null) return noStatus;
  return result.status === 0 ? undefined : describeWaitStatus(result.status << 8);
}

export class RealLaunchSystem implements LaunchSystem {
  /** A sealed copy of the waiter, reachable after the root changes. */
  private waiterFd = -1;
  /** Where the waiter was found: after a root change, only for messages. */
  private waiterPath = 'mesos-containerizer-waiter';

  closeFd(fd: number): void {
    libc.close(fd);
  }

  readByte(fd: number): boolean {
    return libc.readSome(fd, new Uint8Array(1)) === 1;
  }

  takeTerminal(): void {
    libc.takeControllingTerminal(0);
  }

  unshareMount(): void {
    libc.unshare(libc.CLONE_NEWNS);
  }

  sharesParentMountNamespace(): boolean {
    // process.ppid is 0 for the first process of a pid namespace; /proc, the
    // agent's still, gives the parent's pid in its own pid namespace.
    const status = readFileSync('/proc/self/status', 'utf8');
    const parent = /^PPid:\s*(\d+)$/m.exec(status)?.[1];
    if (parent === undefined || parent === '0') throw new Error('the parent process is not visible in /proc');
    return readlinkSync('/proc/self/ns/mnt') === readlinkSync(`/proc/${parent}/ns/mnt`);
  }

  note(line: string): void {
    writeAll(2, line + '\n');
  }

  runCommand(command: CommandInfo): string | undefined {
    const value = command.value!;
    return describeExit(
      command.shell
        ? spawnSync('sh', ['-c', value], { stdio: 'inherit' })
        : spawnSync(value, command.arguments.slice(1), { stdio: 'inherit', argv0: command.arguments[0] ?? value }),
      'exited with unknown status',
    );
  }

  lookupUser(name: string): UserIds | undefined {
    const entry = libc.getpwnam(name);
    if (entry === undefined) return undefined;
    return { uid: entry.uid, gid: entry.gid, groups: libc.getgrouplist(name, entry.gid) };
  }

  getuid(): number {
    return libc.getuid();
  }

  prepareWaiter(): void {
    // Exec'd from memory, a task can't rewrite the waiter's file on the host
    // through /proc/<pid>/exe.
    this.waiterPath = libc.waiterPath();
    this.waiterFd = libc.sealedCopy(this.waiterPath);
  }

  openInRoot(root: string | number, path: string, options: { follow: boolean }): number {
    return libc.openInRoot(root, path, options.follow);
  }

  kindOf(fd: number): FileKind {
    const type = libc.fstat(fd).mode & libc.S_IFMT;
    return type === libc.S_IFREG ? 'file' : type === libc.S_IFDIR ? 'directory' : type === libc.S_IFLNK ? 'symlink' : 'other';
  }

  makeDirectoryAt(parent: number, name: string): void {
    libc.mkdirAt(parent, name, 0o755);
  }

  createFileAt(parent: number, name: string): void {
    libc.createFileAt(parent, name, 0o644);
  }

  symlinkAt(text: string, parent: number, name: string): void {
    libc.symlinkAt(text, parent, name);
  }

  renameAt(fromParent: number, fromName: string, toParent: number, toName: string): void {
    libc.renameAt(fromParent, fromName, toParent, toName);
  }

  moveByCopyAt(fromParent: number, fromName: string, toParent: number, toName: string): void {
    libc.moveByCopy(fromParent, fromName, toParent, toName);
  }

  copyDeviceAt(hostPath: string, parent: number, name: string): void {
    const stats = statSync(hostPath);
    // st_rdev packs the device numbers the glibc way (major in bits 8-19 and 32+).
    const rdev = stats.rdev;
    const major = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
    const minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
    // As open as the host's node, whatever our umask.
    libc.mknodAt(parent, name, stats.mode, major, minor);
  }

  mountOn(target: number, source: string | number | null, fstype: string | null, flags: number, data: string | null): void {
    const recursive = (flags & libc.MS_REC) !== 0;
    if ((flags & libc.MS_BIND) !== 0 && (flags & libc.MS_REMOUNT) === 0) {
      bind(target, source, flags);
      return;
    }
    if ((flags & libc.MS_MOVE) !== 0) {
      const [from, path] = typeof source === 'number' ? [source, ''] : [libc.AT_FDCWD, source ?? ''];
      const empty = typeof source === 'number' ? libc.MOVE_MOUNT_F_EMPTY_PATH : 0;
      libc.moveMount(from, path, target, '', empty | libc.MOVE_MOUNT_T_EMPTY_PATH);
      return;
    }
    const propagation = flags & (libc.MS_SHARED | libc.MS_SLAVE | libc.MS_PRIVATE | libc.MS_UNBINDABLE);
    if (source === null && fstype === null && propagation !== 0 && (flags & ~(propagation | libc.MS_REC)) === 0) {
      // On the fd itself: this works where there is no /proc (after pivot_root).
      libc.mountSetattr(target, '', libc.AT_EMPTY_PATH | (recursive ? libc.AT_RECURSIVE : 0), 0, 0, propagation);
      return;
    }
    const remountsBind = (flags & libc.MS_REMOUNT) !== 0 && (flags & libc.MS_BIND) !== 0;
    const from = typeof source === 'number' ? `/proc/self/fd/${source}` : source;
    const given = remountsBind ? keepingFlags(flags, libc.fstatfsFlags(target)) : flags;
    libc.mount(from, `/proc/self/fd/${target}`, fstype, given, data);
  }

  unmount(target: string, flags: number): void {
    libc.umount2(target, flags);
  }

  mountTable(): MountEntry[] {
    return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  }

  enterMountNamespaceOf(pid: number): void {
    // setns into a mount namespace needs a thread with its own fs context.
    libc.unshare(libc.CLONE_FS);
    libc.setns(`/proc/${pid}/ns/mnt`, libc.CLONE_NEWNS);
  }

  pivotRoot(newRoot: string, putOld: string): void {
    libc.pivotRoot(newRoot, putOld);
  }

  fchdir(fd: number): void {
    libc.fchdir(fd);
  }

  chdir(path: string): void {
    libc.chdir(path);
  }

  currentDirectory(): string {
    return libc.getcwd();
  }

  getCapabilities(): ProcessCapabilities {
    const { effective, permitted, inheritable } = libc.capget();
    let bounding = 0n;
    let ambient = 0n;
    for (let capability = 0; capability <= libc.lastCapability(); capability++) {
      if (libc.prctl(PR_CAPBSET_READ, capability) === 1) bounding |= 1n << BigInt(capability);
      if (libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, capability) === 1) ambient |= 1n << BigInt(capability);
    }
    return { effective, permitted, inheritable, bounding, ambient };
  }

  compileSeccomp(profile: SeccompProfile, capabilities: ProcessCapabilities): Uint8Array {
    return seccompProgram(profile, capabilities);
  }

  isExecutableFile(path: string): boolean {
    return isExecutableFile(path);
  }

  inheritedEnvironment(): string[] {
    return Object.entries(process.env).map(([name, value]) => `${name}=${value ?? ''}`);
  }

  exec(program: Program, environment: readonly string[], drop: PrivilegeDrop, statusFd: number | undefined): never {
    // The task is exec'd by the waiter in every case (see native/waiter.c):
    // forked and waited for with a status fd, in its own place without.
    const dropFd = libc.sealedData('mesos-containerizer-drop', encodeDrop(drop));
    const keep = [statusFd, dropFd, drop.execNotifyFd].filter((fd): fd is number => fd !== undefined);
    const argv = [
      'mesos-containerizer-waiter',
      statusFd === undefined ? '-' : String(statusFd),
      String(dropFd),
      program.path,
      ...program.argv,
    ];
    return libc.execClean(this.waiterPath, argv, environment, keep, this.waiterFd);
  }
}

const ATIME_FLAGS = libc.MS_NOATIME | libc.MS_RELATIME | libc.MS_STRICTATIME;

/**
 * `flags` plus what the mount with these statfs flags has of its own
 * (ST_* share the MS_* bits): a bind or a remount of it must not lose
 * nosuid, nodev or noexec, which may be locked. Its access time setting
 * stays unless `flags` names one.
 */
function keepingFlags(flags: number, statfsFlags: number): number {
  const atime = (flags & ATIME_FLAGS) !== 0 ? 0 : libc.ST_NOATIME | libc.ST_RELATIME;
  return flags | (statfsFlags & (libc.ST_RDONLY | libc.ST_NOSUID | libc.ST_NODEV | libc.ST_NOEXEC | libc.ST_NODIRATIME | atime));
}

/** MOUNT_ATTR_* for the per-mount MS_* flags: [to set, to clear]. */
function mountAttributes(flags: number): [number, number] {
  let set = 0;
  let clear = 0;
  if ((flags & libc.MS_RDONLY) !== 0) set |= libc.MOUNT_ATTR_RDONLY;
  if ((flags & libc.MS_NOSUID) !== 0) set |= libc.MOUNT_ATTR_NOSUID;
  if ((flags & libc.MS_NODEV) !== 0) set |= libc.MOUNT_ATTR_NODEV;
  if ((flags & libc.MS_NOEXEC) !== 0) set |= libc.MOUNT_ATTR_NOEXEC;
  if ((flags & libc.MS_NODIRATIME) !== 0) set |= libc.MOUNT_ATTR_NODIRATIME;
  // Access times are one setting of three; left as they are unless asked.
  const atime =
    (flags & libc.MS_NOATIME) !== 0
      ? libc.MOUNT_ATTR_NOATIME
      : (flags & libc.MS_STRICTATIME) !== 0
        ? libc.MOUNT_ATTR_STRICTATIME
        : (flags & libc.MS_RELATIME) !== 0
          ? libc.MOUNT_ATTR_RELATIME
          : undefined;
  if (atime !== undefined) {
    clear |= libc.MOUNT_ATTR__ATIME;
    set |= atime;
  }
  return [set, clear];
}

const PER_MOUNT_FLAGS =
  libc.MS_RDONLY | libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC | libc.MS_NOATIME | libc.MS_NODIRATIME | libc.MS_RELATIME | libc.MS_STRICTATIME;

/**
 * A bind mount made with the new mount API: a detached copy of the source
 * (an fd, or the agent's path), given its per-mount flags before it is
 * attached (a bind through mount(2) ignores them until a remount, which
 * would need the new mount found again by name), then moved onto the
 * target fd. The source's own nosuid, nodev and noexec are read with
 * statfs and kept, as runc keeps them.
 */
function bind(target: number, source: string | number | null, flags: number): void {
  const recursive = (flags & libc.MS_REC) !== 0 ? libc.AT_RECURSIVE : 0;
  const tree =
    typeof source === 'number'
      ? libc.openTree(source, '', libc.OPEN_TREE_CLONE | libc.AT_EMPTY_PATH | recursive)
      : libc.openTree(libc.AT_FDCWD, source ?? '', libc.OPEN_TREE_CLONE | recursive);
  try {
    if ((flags & PER_MOUNT_FLAGS) !== 0) {
      const [set, clear] = mountAttributes(keepingFlags(flags & PER_MOUNT_FLAGS, libc.fstatfsFlags(tree)));
      libc.mountSetattr(tree, '', libc.AT_EMPTY_PATH, set, clear);
    }
    libc.moveMount(tree, '', target, '', libc.MOVE_MOUNT_F_EMPTY_PATH | libc.MOVE_MOUNT_T_EMPTY_PATH);
  } finally {
    libc.close(tree);
  }
}

/** The mount points of /proc/self/mountinfo, in its order, with their sharing. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    if (fields.length < 7) continue;
    const separator = fields.indexOf('-', 6);
    const optional = fields.slice(6, separator === -1 ? undefined : separator);
    entries.push({ target: unescapeMountPath(fields[4]!), shared: optional.some((field) => field.startsWith('shared:')) });
  }
  return entries;
}

/** mountinfo writes space, tab, newline and backslash as octal escapes. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}
