// The only module that touches libc. The calls are made by a slim Node-API
// addon (native/addon.c) built at install; every function here either returns
// its result or throws a SyscallError naming the call, the argument that
// matters and strerror(errno). The addon is loaded on first use, so `help`
// and flag errors never load it (but for a flag's file that can't be read).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export class SyscallError extends Error {
  constructor(
    readonly call: string,
    readonly subject: string,
    readonly errno: number,
    /** strerror(errno). */
    readonly reason: string,
  ) {
    super(`${call}${subject === '' ? '' : ` ${subject}`}: ${reason}`);
  }
}

/**
 * Why a call failed, in strerror's words as Mesos reports it: a
 * SyscallError's reason, or the errno of a Node fs error ("ENOENT: no such
 * file or directory, mkdir 'x'" becomes "No such file or directory").
 */
export function reasonOf(error: unknown): string {
  if (error instanceof SyscallError) return error.reason;
  const errno = (error as NodeJS.ErrnoException).errno;
  if (typeof errno === 'number' && errno !== 0) return strerror(Math.abs(errno));
  return error instanceof Error ? error.message : String(error);
}

// Values from the kernel's uapi headers (x86_64 and aarch64 agree on these).
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_STRICTATIME = 0x1000000;
export const MNT_DETACH = 0x2;

export const CLONE_FS = 0x200;
export const CLONE_NEWNS = 0x20000;
export const CLONE_NEWUTS = 0x4000000;
export const CLONE_NEWIPC = 0x8000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;
export const CLONE_NEWCGROUP = 0x2000000;

const MOUNT_FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [MS_RDONLY, 'MS_RDONLY'],
  [MS_NOSUID, 'MS_NOSUID'],
  [MS_NODEV, 'MS_NODEV'],
  [MS_NOEXEC, 'MS_NOEXEC'],
  [MS_REMOUNT, 'MS_REMOUNT'],
  [MS_BIND, 'MS_BIND'],
  [MS_MOVE, 'MS_MOVE'],
  [MS_PRIVATE, 'MS_PRIVATE'],
  [MS_SLAVE, 'MS_SLAVE'],
  [MS_SHARED, 'MS_SHARED'],
  [MS_REC, 'MS_REC'],
];

/** `MS_SLAVE|MS_REC` for 0x84000: how mount flags read in messages. */
export function mountFlagNames(flags: number): string {
  const names = MOUNT_FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name);
  const rest = MOUNT_FLAG_NAMES.reduce((left, [bit]) => left & ~bit, flags);
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names.length === 0 ? '0' : names.join('|');
}

export interface Passwd {
  name: string;
  uid: number;
  gid: number;
  dir: string;
  shell: string;
}

/** RLIM_INFINITY: "unlimited". */
export const RLIM_INFINITY = 0xffffffffffffffffn;

/** The addon's functions: each returns -errno on failure. */
interface Addon {
  strerror(errno: number): string;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): number;
  umount2(target: string, flags: number): number;
  unshare(flags: number): number;
  setns(fd: number, nstype: number): number;
  sethostname(name: string): number;
  pivot_root(newRoot: string, putOld: string): number;
  chdir(path: string): number;
  getcwd(): string | number;
  open(path: string, flags: number, mode: number): number;
  close(fd: number): number;
  read(fd: number, buffer: Uint8Array): number;
  send_nonblocking(fd: number, buffer: Uint8Array): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  setsid(): number;
  set_controlling_terminal(fd: number): number;
  getuid(): number;
  getpwnam(name: string): Passwd | null | number;
  getgrouplist(user: string, gid: number): number[] | number;
  prctl(option: number, arg2: number, arg3: number, arg4: number, arg5: number): number;
  capget(): [bigint, bigint, bigint] | number;
  install_exit_handlers(statusFd: number, notifyFd: number): number;
  exec(path: string, argv: readonly string[], envp: readonly string[], keepFds: readonly number[], exeFd: number): number;
  sealed_copy(path: string): number;
  sealed_data(name: string, bytes: Uint8Array): number;
  seccomp_export(
    defaultAction: number,
    architectures: readonly number[],
    rules: ReadonlyArray<readonly [string, number, readonly bigint[]]>,
  ): Uint8Array | number | [number, number, number, string];
}

/**
 * Finds `native/build/<name>` by walking up from this module: it sits in
 * native/ when run from source and in dist/ when bundled.
 */
function findBuilt(name: string): string {
  const relative = join('native', 'build', name);
  for (let dir = resolve(__dirname); ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`Cannot find ${relative} above ${__dirname} (has the package been built?)`);
  }
}

let loaded: Addon | undefined;

function libc(): Addon {
  if (loaded === undefined) {
    const module = { exports: {} as Addon };
    process.dlopen(module, findBuilt('addon.node'));
    loaded = module.exports;
  }
  return loaded;
}

/** Throws for a negative (-errno) result; returns any other. */
function check(result: number, call: string, subject: string): number {
  if (result < 0) throw new SyscallError(call, subject, -result, libc().strerror(-result));
  return result;
}

/** The value, or a throw for a -errno number in its place. */
function value<T>(result: T | number, call: string, subject: string): T {
  if (typeof result === 'number') check(result, call, subject);
  return result as T;
}

export function strerror(errno: number): string {
  return libc().strerror(errno);
}

export function mount(
  source: string | null,
  target: string,
  fstype: string | null,
  flags: number,
  data: string | null = null,
): void {
  const what = source === null ? '' : `'${source}' `;
  check(libc().mount(source, target, fstype, flags, data), `mount(${mountFlagNames(flags)})`, `${what}at '${target}'`);
}

export function umount2(target: string, flags: number): void {
  check(libc().umount2(target, flags), 'umount2', `'${target}'`);
}

export function unshare(flags: number): void {
  check(libc().unshare(flags), 'unshare', `0x${flags.toString(16)}`);
}

/** Enters the namespace `path` (e.g. /proc/PID/ns/mnt) names. */
export function setns(path: string, nstype: number): void {
  const fd = openFile(path, O_RDONLY | O_CLOEXEC);
  try {
    check(libc().setns(fd, nstype), 'setns', `'${path}'`);
  } finally {
    libc().close(fd);
  }
}

export function sethostname(name: string): void {
  check(libc().sethostname(name), 'sethostname', `'${name}'`);
}

export function pivotRoot(newRoot: string, putOld: string): void {
  check(libc().pivot_root(newRoot, putOld), 'pivot_root', `'${newRoot}' '${putOld}'`);
}

export function chdir(path: string): void {
  check(libc().chdir(path), 'chdir', `'${path}'`);
}

/** The working directory; throws when it is not reachable from our root. */
export function getcwd(): string {
  return value(libc().getcwd(), 'getcwd', '');
}

export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_CREAT = 0o100;
export const O_TRUNC = 0o1000;
export const O_CLOEXEC = 0o2000000;

export function openFile(path: string, flags: number, mode = 0): number {
  return check(libc().open(path, flags, mode), 'open', `'${path}'`);
}

export function close(fd: number): void {
  check(libc().close(fd), 'close', `fd ${fd}`);
}

/** One read(2), retried on EINTR; returns the bytes read (0 at end of file). */
export function readSome(fd: number, buffer: Uint8Array): number {
  return check(libc().read(fd, buffer), 'read', `fd ${fd}`);
}

/**
 * One send(2) on a socket with MSG_DONTWAIT (and no SIGPIPE): the bytes
 * sent, or -errno (-EAGAIN when the socket is full). Never blocks, and
 * leaves the socket's shared mode alone.
 */
export function sendNonBlocking(fd: number, buffer: Uint8Array): number {
  return libc().send_nonblocking(fd, buffer);
}

export const EAGAIN = 11;

export const F_GETFD = 1;
export const F_SETFD = 2;
export const FD_CLOEXEC = 1;

export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check(libc().fcntl(fd, cmd, arg), 'fcntl', `fd ${fd}`);
}

/**
 * Makes the terminal open on `fd` our controlling terminal, starting a new
 * session first unless we lead one already (setsid then fails, harmlessly).
 */
export function takeControllingTerminal(fd: number): void {
  libc().setsid();
  check(libc().set_controlling_terminal(fd), 'ioctl(TIOCSCTTY)', `fd ${fd}`);
}

export function getuid(): number {
  return libc().getuid();
}

/** The user's passwd entry, or undefined when there is none. */
export function getpwnam(name: string): Passwd | undefined {
  return value(libc().getpwnam(name), 'getpwnam', `'${name}'`) ?? undefined;
}

/** Every group `user` belongs to, `gid` included, from the host's databases. */
export function getgrouplist(user: string, gid: number): number[] {
  return value(libc().getgrouplist(user, gid), 'getgrouplist', `'${user}'`);
}

export function prctl(option: number, arg2 = 0, arg3 = 0, arg4 = 0, arg5 = 0): number {
  return check(libc().prctl(option, arg2, arg3, arg4, arg5), `prctl(${option})`, '');
}

/** Capability sets as 64-bit masks (bit N is capability N). */
export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

export function capget(): CapabilitySets {
  const [effective, permitted, inheritable] = value(libc().capget(), 'capget', '');
  return { effective, permitted, inheritable };
}

/**
 * From now until exec, any catchable signal but SIGCHLD writes its number
 * (the wait status of a task killed by it) to `statusFd`, when that is >= 0,
 * and exits 1. Works while the main thread is blocked in a synchronous call.
 */
export function installExitHandlers(statusFd: number, notifyFd = -1): void {
  check(libc().install_exit_handlers(statusFd, notifyFd), 'sigaction', '');
}

/**
 * Replaces this process with `path` (or the open executable `exeFd`),
 * leaving it default signal dispositions, stdio and the `keepFds` but no
 * other fd open, and every signal blocked (the program unblocks them once it
 * handles them). Returns only by throwing.
 */
export function execClean(
  path: string,
  argv: readonly string[],
  envp: readonly string[],
  keepFds: readonly number[] = [],
  exeFd = -1,
): never {
  // A closed fd to keep would otherwise be reported as an exec failure.
  for (const fd of keepFds) fcntl(fd, F_GETFD);
  check(libc().exec(path, argv, envp, keepFds, exeFd), 'execve', `'${path}'`);
  throw new Error(`execve '${path}' returned`);
}

/** A sealed in-memory copy of the executable at `path`, as an fd. */
export function sealedCopy(path: string): number {
  return check(libc().sealed_copy(path), 'sealed copy', `'${path}'`);
}

/** A sealed, read-only memfd named `name` holding `bytes`, as an fd. */
export function sealedData(name: string, bytes: Uint8Array): number {
  return check(libc().sealed_data(name, bytes), 'memfd', `'${name}'`);
}

const PR_CAPBSET_READ = 23;

let probedLastCapability: number | undefined;

/**
 * The highest capability this kernel knows, probed with PR_CAPBSET_READ
 * (which refuses a number past it) rather than read from
 * /proc/sys/kernel/cap_last_cap, which an image can supply.
 */
export function lastCapability(): number {
  if (probedLastCapability === undefined) {
    let capability = 0;
    while (capability < 63 && libc().prctl(PR_CAPBSET_READ, capability + 1, 0, 0, 0) >= 0) capability++;
    probedLastCapability = capability;
  }
  return probedLastCapability;
}

/** The static program that stays as the task's parent in --runtime_directory mode. */
export function waiterPath(): string {
  return findBuilt('waiter');
}

/** A syscall rule for seccompLoad: libseccomp's action and comparison values. */
export interface SeccompRule {
  /** A syscall name as libseccomp knows it (`mkdir`, `personality`). */
  name: string;
  /** An SCMP_ACT_* value. */
  action: number;
  /** All must hold: argument `index` compared by SCMP_CMP_* `op`. */
  comparisons: ReadonlyArray<{ index: number; op: number; value: bigint; valueTwo: bigint }>;
}

/** The step of seccompLoad that failed. */
export type SeccompStage = 'library' | 'init' | 'architecture' | 'name' | 'rule' | 'export';
const SECCOMP_STAGES: readonly SeccompStage[] = ['library', 'init', 'architecture', 'name', 'rule', 'export'];
/** Results of the addon that are not an errno (native/seccomp.h). */
const SECCOMP_UNAVAILABLE = -10001;
const SECCOMP_UNKNOWN_SYSCALL = -10002;

/**
 * A failed seccompLoad: `index` is the architecture or rule concerned;
 * `errno` is 0 when libseccomp is missing or knows no such syscall name.
 */
export class SeccompFailure extends SyscallError {
  constructor(
    readonly stage: SeccompStage,
    readonly index: number,
    call: string,
    subject: string,
    errno: number,
    reason: string,
  ) {
    super(call, subject, errno, reason);
  }
}

/**
 * Compiles a seccomp filter with libseccomp (opened with dlopen on first
 * use) into its BPF program, struct sock_filter instructions for the
 * seccomp(2) call: `defaultAction` for any syscall no rule matches,
 * `architectures` (SCMP_ARCH_* tokens) beside the native one, then the rules
 * in order. Throws a SeccompFailure.
 */
export function seccompExport(defaultAction: number, architectures: readonly number[], rules: readonly SeccompRule[]): Uint8Array {
  const tuples = rules.map(
    (rule) =>
      [rule.name, rule.action, rule.comparisons.flatMap((c) => [BigInt(c.index), BigInt(c.op), c.value, c.valueTwo])] as const,
  );
  const result = libc().seccomp_export(defaultAction, architectures, tuples);
  if (result instanceof Uint8Array) {
    // An empty program would read as no filter at all.
    if (result.length === 0) throw new SeccompFailure('export', 0, 'seccomp_export_bpf', '', 0, 'an empty program');
    return result;
  }
  if (typeof result === 'number') {
    check(result, 'seccomp_export_bpf', '');
    throw new Error('seccomp_export_bpf returned no program');
  }
  const [code, stageNumber, index, libraryError] = result;
  const stage = SECCOMP_STAGES[stageNumber - 1] ?? 'export';
  if (code === SECCOMP_UNAVAILABLE) {
    throw new SeccompFailure(stage, index, 'dlopen', "'libseccomp.so.2'", 0, libraryError || 'not available');
  }
  if (code === SECCOMP_UNKNOWN_SYSCALL) {
    throw new SeccompFailure(stage, index, 'seccomp_syscall_resolve_name', `'${rules[index]?.name}'`, 0, 'unknown syscall');
  }
  const subjects: Partial<Record<SeccompStage, string>> = {
    architecture: `0x${(architectures[index] ?? 0).toString(16)}`,
    rule: `'${rules[index]?.name}'`,
  };
  const calls: Record<SeccompStage, string> = {
    library: 'dlopen',
    init: 'seccomp_init',
    architecture: 'seccomp_arch_add',
    name: 'seccomp_syscall_resolve_name',
    rule: 'seccomp_rule_add',
    export: 'seccomp_export_bpf',
  };
  throw new SeccompFailure(stage, index, calls[stage], subjects[stage] ?? '', -code, libc().strerror(-code));
}

// ---------------------------------------------------------------------------
// Paths resolved by the kernel, and changes made on file descriptors
// (native/fs.c).

/** The addon's filesystem functions; each returns -errno on failure. */
interface Addon {
  open_in_root(root: string | number, path: string, follow: number): number;
  fstat(fd: number): [bigint, bigint, number] | number;
  mkdirat(dirfd: number, name: string, mode: number): number;
  create_file_at(dirfd: number, name: string, mode: number): number;
  symlinkat(text: string, dirfd: number, name: string): number;
  renameat2(oldDir: number, oldName: string, newDir: number, newName: string, flags: number): number;
  move_by_copy(oldDir: number, oldName: string, newDir: number, newName: string): number;
  remove_tree(directory: string, name: string): number;
  apply_layer(layer: string, rootfs: string): number;
  mknod_at(dirfd: number, name: string, mode: number, major: number, minor: number): number;
  open_tree(dirfd: number, path: string, flags: number): number;
  move_mount(fromDir: number, fromPath: string, toDir: number, toPath: string, flags: number): number;
  mount_setattr(dirfd: number, path: string, flags: number, set: number, clear: number, propagation: number): number;
  fstatfs_flags(fd: number): number;
  fchdir(fd: number): number;
}

// errno values (the same on every Linux architecture).
export const ENOENT = 2;
export const EEXIST = 17;
export const EXDEV = 18;
export const ENOTDIR = 20;
export const ELOOP = 40;

export const AT_FDCWD = -100;
export const AT_EMPTY_PATH = 0x1000;
export const AT_RECURSIVE = 0x8000;

// network-cni-setup's own calls (native/net.c): plain openat and openat2,
// unlinkat, the loopback interface.

interface Addon {
  net_openat(dirfd: number, path: string, flags: number, mode: number): number;
  net_openat2(dirfd: number, path: string, flags: number, resolve: number, mode: number): number;
  net_unlinkat(dirfd: number, name: string, flags: number): number;
  net_loopback_up(): number;
}

export const O_PATH = 0o10000000;
export const O_EXCL = 0o200;
// This one differs between x86_64 and aarch64.
export const O_NOFOLLOW = process.arch === 'arm64' ? 0o100000 : 0o400000;
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_IN_ROOT = 0x10;

export const OPEN_TREE_CLONE = 0x1;
export const MOVE_MOUNT_F_EMPTY_PATH = 0x4;
export const MOVE_MOUNT_T_EMPTY_PATH = 0x40;
export const MOUNT_ATTR_RDONLY = 0x1;
export const MOUNT_ATTR_NOSUID = 0x2;
export const MOUNT_ATTR_NODEV = 0x4;
export const MOUNT_ATTR_NOEXEC = 0x8;
export const MOUNT_ATTR__ATIME = 0x70;
export const MOUNT_ATTR_RELATIME = 0x0;
export const MOUNT_ATTR_NOATIME = 0x10;
export const MOUNT_ATTR_STRICTATIME = 0x20;
export const MOUNT_ATTR_NODIRATIME = 0x80;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_RELATIME = 0x200000;
export const MS_UNBINDABLE = 0x20000;
/** statfs's f_flags: the per-mount ones share the MS_* bits. */
export const ST_RDONLY = 0x1;
export const ST_NOSUID = 0x2;
export const ST_NODEV = 0x4;
export const ST_NOEXEC = 0x8;
export const ST_NOATIME = 0x400;
export const ST_NODIRATIME = 0x800;
export const ST_RELATIME = 0x1000;

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

/**
 * An O_PATH fd on `path` resolved by the kernel inside `root` (a directory
 * path, opened afresh and refused if it holds a symlink, or a directory fd):
 * symlinks resolve as inside the root, `..` stops at it, /proc/<pid>/fd/N
 * style links are refused. With `follow` false a final symlink is itself opened.
 */
export function openInRoot(root: string | number, path: string, follow: boolean): number {
  const where = typeof root === 'number' ? `in fd ${root}` : `in '${root}'`;
  return check(libc().open_in_root(root, path, follow ? 1 : 0), 'openat2', `'${path}' ${where}`);
}

export interface FileIdentity {
  dev: bigint;
  ino: bigint;
  mode: number;
}

/** Which file `fd` refers to, and its st_mode. */
export function fstat(fd: number): FileIdentity {
  const [dev, ino, mode] = value(libc().fstat(fd), 'fstat', `fd ${fd}`);
  return { dev, ino, mode };
}

export function mkdirAt(dirfd: number, name: string, mode = 0o755): void {
  check(libc().mkdirat(dirfd, name, mode), 'mkdirat', `'${name}'`);
}

/** A new empty file `name` in `dirfd`; EEXIST for anything there already, a symlink too. */
export function createFileAt(dirfd: number, name: string, mode = 0o644): void {
  check(libc().create_file_at(dirfd, name, mode), 'openat(O_CREAT|O_EXCL)', `'${name}'`);
}

export function symlinkAt(text: string, dirfd: number, name: string): void {
  check(libc().symlinkat(text, dirfd, name), 'symlinkat', `'${name}'`);
}

export function renameAt(oldDir: number, oldName: string, newDir: number, newName: string, flags = 0): void {
  check(libc().renameat2(oldDir, oldName, newDir, newName, flags), 'renameat2', `'${oldName}' '${newName}'`);
}

/** rename(2) across filesystems: copies through the directory fds, never following a link, then removes the original. */
export function moveByCopy(oldDir: number, oldName: string, newDir: number, newName: string): void {
  check(libc().move_by_copy(oldDir, oldName, newDir, newName), 'copy', `'${oldName}' '${newName}'`);
}

/**
 * Lays the layer directory over the rootfs directory (the agent's own
 * absolute paths, with no symlink in them) as overlayfs shows one layer
 * above another: 0:0 character devices remove what they name, a directory
 * marked trusted.overlay.opaque=y replaces what was there. Nothing in
 * either tree is followed; owners, modes and times are kept, and the
 * extended attributes of files and directories but overlayfs's own
 * trusted.overlay.* marks (not hard links: each is a file of its own).
 */
export function applyLayer(layer: string, rootfs: string): void {
  check(libc().apply_layer(layer, rootfs), 'copy', `'${layer}' to '${rootfs}'`);
}

/** Removes `name` of the agent's own `directory` and all it holds, following no link, entering no other filesystem; nothing there is fine. */
export function removeTree(directory: string, name: string): void {
  check(libc().remove_tree(directory, name), 'remove', `'${directory}/${name}'`);
}

/** A device node `name` in `dirfd` with exactly `mode` (type bits included). */
export function mknodAt(dirfd: number, name: string, mode: number, major: number, minor: number): void {
  check(libc().mknod_at(dirfd, name, mode, major, minor), 'mknodat', `'${name}'`);
}

export function openTree(dirfd: number, path: string, flags: number): number {
  return check(libc().open_tree(dirfd, path, flags | O_CLOEXEC), 'open_tree', path === '' ? `fd ${dirfd}` : `'${path}'`);
}

export function moveMount(fromDir: number, fromPath: string, toDir: number, toPath: string, flags: number): void {
  check(libc().move_mount(fromDir, fromPath, toDir, toPath, flags), 'move_mount', `fd ${fromDir} to fd ${toDir}`);
}

export function mountSetattr(dirfd: number, path: string, flags: number, set: number, clear: number, propagation = 0): void {
  check(libc().mount_setattr(dirfd, path, flags, set, clear, propagation), 'mount_setattr', `fd ${dirfd}`);
}

/** statfs's f_flags (ST_*) of the mount `fd` is on. */
export function fstatfsFlags(fd: number): number {
  return check(libc().fstatfs_flags(fd), 'fstatfs', `fd ${fd}`);
}

export function fchdir(fd: number): void {
  check(libc().fchdir(fd), 'fchdir', `fd ${fd}`);
}

/** openat(2); O_CLOEXEC is always added. */
export function openAt(dirfd: number, path: string, flags: number, mode = 0): number {
  return check(libc().net_openat(dirfd, path, flags, mode), 'openat', `'${path}'`);
}

/** openat2(2), retried while the kernel asks for it (EAGAIN); O_CLOEXEC is always added. */
export function openAt2(dirfd: number, path: string, flags: number, resolve: number, mode = 0): number {
  return check(libc().net_openat2(dirfd, path, flags, resolve, mode), 'openat2', `'${path}'`);
}

export function unlinkAt(dirfd: number, name: string, flags = 0): void {
  check(libc().net_unlinkat(dirfd, name, flags), 'unlinkat', `'${name}'`);
}

/** setns(2) into the namespace the open `fd` is. */
export function setnsFd(fd: number, nstype: number): void {
  check(libc().setns(fd, nstype), 'setns', `fd ${fd}`);
}

/** Brings `lo` up in the calling thread's network namespace. */
export function loopbackUp(): void {
  check(libc().net_loopback_up(), 'ioctl(SIOCSIFFLAGS)', "'lo'");
}

// Entries of an image layer, made on one name of a directory fd (native/fs.c).

interface Addon {
  fchownat_nofollow(dirfd: number, name: string, uid: number, gid: number): number;
  utimensat_nofollow(dirfd: number, name: string, seconds: number, nanoseconds: number): number;
  link_in_root(root: number, target: string, dirfd: number, name: string): number;
  fsetxattr(fd: number, name: string, value: Uint8Array): number;
  remove_at(dirfd: number, name: string): number;
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const O_DIRECTORY = 0o200000;

/** The owner of the entry `name` of `dirfd` itself (a symlink is not followed). */
export function chownAt(dirfd: number, name: string, uid: number, gid: number): void {
  check(libc().fchownat_nofollow(dirfd, name, uid, gid), 'fchownat', `'${name}'`);
}

/** Sets the access and modification times of the entry `name` of `dirfd` itself. */
export function setTimesAt(dirfd: number, name: string, seconds: number, nanoseconds = 0): void {
  check(libc().utimensat_nofollow(dirfd, name, seconds, nanoseconds), 'utimensat', `'${name}'`);
}

/**
 * A hard link `name` in `dirfd` to `target` resolved inside the directory
 * fd `root` (RESOLVE_IN_ROOT, no magic links, a final symlink linked itself).
 */
export function linkInRoot(root: number, target: string, dirfd: number, name: string): void {
  check(libc().link_in_root(root, target, dirfd, name), 'linkat', `'${name}' to '${target}'`);
}

/** Sets the extended attribute `name` of the open file `fd`. */
export function setXattr(fd: number, name: string, value: Uint8Array): void {
  check(libc().fsetxattr(fd, name, value), 'fsetxattr', `'${name}' on fd ${fd}`);
}

/** Removes the entry `name` of `dirfd`, and all a directory holds, never following a symlink. */
export function removeAt(dirfd: number, name: string): void {
  check(libc().remove_at(dirfd, name), 'remove', `'${name}'`);
}
