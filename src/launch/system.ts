// The real LaunchSystem: libc through native/, child processes through
// child_process (they fork from the main thread, so they see the namespaces
// it entered), files through synchronous fs calls (asynchronous ones run on
// the thread pool, whose threads keep the old mount namespace and root).
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmdirSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import * as libc from '../../native/libc';
import { describeWaitStatus } from '../execute/status';
import { signalNumber, spawnSync } from '../subcommand/lazy';
import { writeAll } from '../subcommand/output';
import type { ProcessCapabilities } from './capabilities';
import { encodeDrop, type PrivilegeDrop } from './drop';
import type { MountEntry } from './filesystem';
import type { CommandInfo, SeccompProfile } from './launch-info';
import type { LaunchSystem, PathKind, Program, UserIds } from './run';
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

  runProgram(argv: readonly string[]): string | undefined {
    return describeExit(spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' }), 'spawn failed');
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

  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
    libc.mount(source, target, fstype, flags, data);
    // A bind mount ignores MS_RDONLY and friends; only a remount applies them.
    const perMount = libc.MS_RDONLY | libc.MS_NOSUID | libc.MS_NODEV | libc.MS_NOEXEC;
    if ((flags & libc.MS_BIND) !== 0 && (flags & libc.MS_REMOUNT) === 0 && (flags & perMount) !== 0) {
      libc.mount(null, target, null, libc.MS_BIND | libc.MS_REMOUNT | (flags & perMount), null);
    }
  }

  unmount(target: string, flags: number): void {
    libc.umount2(target, flags);
  }

  mountTable(): MountEntry[] {
    return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  }

  pathKind(path: string): PathKind {
    try {
      const stats = statSync(path);
      return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
    } catch {
      return 'missing';
    }
  }

  entryKind(path: string): PathKind | 'symlink' {
    try {
      const stats = lstatSync(path);
      if (stats.isSymbolicLink()) return 'symlink';
      return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
    } catch {
      return 'missing';
    }
  }

  readLink(path: string): string {
    return readlinkSync(path);
  }

  realpath(path: string): string | undefined {
    try {
      return realpathSync(path);
    } catch {
      return undefined;
    }
  }

  makeDirectory(path: string, recursive: boolean): void {
    if (!recursive) {
      mkdirSync(path);
      return;
    }
    // Node's own recursive mkdir never returns on procfs (it retries EEXIST
    // forever there), so walk the path ourselves.
    let prefix = path.startsWith('/') ? '' : '.';
    for (const part of path.split('/').filter((piece) => piece !== '' && piece !== '.')) {
      prefix = `${prefix}/${part}`;
      if (part === '..') continue;
      try {
        mkdirSync(prefix);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || this.pathKind(prefix) !== 'directory') {
          {
            throw error;
          };
        }
      }
    }
  }

  removeDirectory(path: string): void {
    rmdirSync(path);
  }

  touch(path: string): void {
    closeSync(openSync(path, 'a'));
  }

  symlink(source: string, target: string): void {
    symlinkSync(source, target);
  }

  rename(source: string, target: string): void {
    renameSync(source, target);
  }

  copyDevice(hostPath: string, target: string): void {
    const stats = statSync(hostPath);
    // st_rdev packs the device numbers the glibc way (major in bits 8-19 and 32+).
    const rdev = stats.rdev;
    const major = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
    const minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
    libc.mknod(target, stats.mode, major, minor);
    // mknod applies our umask; the node must be as open as the host's.
    chmodSync(target, stats.mode & 0o7777);
  }

  randomName(): string {
    // Only needs to differ from what is in a tmpfs we have just mounted.
    return `${process.pid.toString(36)}${Date.now().toString(36)}`;
  }

  enterMountNamespaceOf(pid: number): void {
    // setns into a mount namespace needs a thread with its own fs context.
    libc.unshare(libc.CLONE_FS);
    libc.setns(`/proc/${pid}/ns/mnt`, libc.CLONE_NEWNS);
  }

  pivotRoot(newRoot: string, putOld: string): void {
    libc.pivotRoot(newRoot, putOld);
  }

  chroot(path: string): void {
    libc.chroot(path);
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
    try {
      if (!statSync(path).isFile()) return false;
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }

  inheritedEnvironment(): string[] {
    return Object.entries(process.env).map(([name, value]) => `${name}=${value ?? ''}`);
  }

  exec(program: Program, environment: readonly string[], drop: PrivilegeDrop, statusFd: number | undefined): never {
    // The task is exec'd by the waiter in every case (see native/waiter.c):
    // forked and waited for with a status fd, in its own place without.
    const dropFd = libc.sealedData('mesos-containerizer-drop', encodeDrop(drop));
    const keep = statusFd === undefined ? [dropFd] : [statusFd, dropFd];
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
