// The only module that touches libc. Every call either returns its result or
// throws a SyscallError naming the call, the argument that matters and
// strerror(errno). Bindings are made on first use, so a subcommand that never
// calls libc never pays for loading the FFI library.
import type * as KoffiModule from 'koffi';

type Koffi = typeof KoffiModule;

export class SyscallError extends Error {
  constructor(
    readonly call: string,
    readonly subject: string,
    readonly errno: number,
    reason: string,
  ) {
    super(`${call}${subject === '' ? '' : ` ${subject}`}: ${reason}`);
  }
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
export const MNT_DETACH = 0x2;

export const CLONE_FS = 0x200;
export const CLONE_NEWNS = 0x20000;
export const CLONE_NEWUTS = 0x4000000;
export const CLONE_NEWIPC = 0x8000000;
export const CLONE_NEWUSER = 0x10000000;
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

// The syscall numbers glibc has no wrapper for.
const SYSCALL_NUMBERS: Record<string, { pivot_root: number }> = {
  x64: { pivot_root: 155 },
  arm64: { pivot_root: 41 },
};

export interface Passwd {
  name: string;
  uid: number;
  gid: number;
  dir: string;
  shell: string;
}

export interface ResourceLimit {
  soft: bigint;
  hard: bigint;
}

/** RLIM_INFINITY: "unlimited". */
export const RLIM_INFINITY = 0xffffffffffffffffn;

function bind(koffi: Koffi) {
  const lib = koffi.load('libc.so.6');
  const passwd = koffi.struct('mc_passwd', {
    pw_name: 'const char *',
    pw_passwd: 'const char *',
    pw_uid: 'uint32',
    pw_gid: 'uint32',
    pw_gecos: 'const char *',
    pw_dir: 'const char *',
    pw_shell: 'const char *',
  });
  const rlimit = koffi.struct('mc_rlimit', { rlim_cur: 'uint64', rlim_max: 'uint64' });
  return {
    koffi,
    passwd,
    rlimit,
    strerror: lib.func('const char *strerror(int errnum)'),
    mount: lib.func(
      'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
    ),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    unshare: lib.func('int unshare(int flags)'),
    setns: lib.func('int setns(int fd, int nstype)'),
    sethostname: lib.func('int sethostname(const char *name, size_t len)'),
    syscall: lib.func('long syscall(long number, ...)'),
    chdir: lib.func('int chdir(const char *path)'),
    chroot: lib.func('int chroot(const char *path)'),
    open: lib.func('int open(const char *path, int flags, uint32 mode)'),
    close: lib.func('int close(int fd)'),
    read: lib.func('long read(int fd, _Out_ uint8_t *buf, size_t count)'),
    fcntl: lib.func('int fcntl(int fd, int cmd, int arg)'),
    ioctl: lib.func('int ioctl(int fd, unsigned long request, int arg)'),
    mknod: lib.func('int mknod(const char *path, uint32 mode, uint64 dev)'),
    setsid: lib.func('int setsid()'),
    getpid: lib.func('int getpid()'),
    getuid: lib.func('uint32 getuid()'),
    kill: lib.func('int kill(int pid, int sig)'),
    setuid: lib.func('int setuid(uint32 uid)'),
    setgid: lib.func('int setgid(uint32 gid)'),
    setgroups: lib.func('int setgroups(size_t size, const uint32 *list)'),
    getpwnam: lib.func('mc_passwd *getpwnam(const char *name)'),
    getgrouplist: lib.func('int getgrouplist(const char *user, uint32 group, _Inout_ uint32 *groups, _Inout_ int *ngroups)'),
    prctl: lib.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)'),
    capget: lib.func('int capget(const uint32 *header, _Out_ uint32 *data)'),
    capset: lib.func('int capset(const uint32 *header, const uint32 *data)'),
    setrlimit: lib.func('int setrlimit(int resource, const mc_rlimit *limit)'),
    getrlimit: lib.func('int getrlimit(int resource, _Out_ mc_rlimit *limit)'),
    execve: lib.func('int execve(const char *path, const char **argv, const char **envp)'),
  };
}

type Bindings = ReturnType<typeof bind>;

let bindings: Bindings | undefined;

function libc(): Bindings {
  // Loaded here, not at the top, so that `help` and flag errors stay fast.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  bindings ??= bind(require('koffi') as Koffi);
  return bindings;
}

function fail(call: string, subject: string): never {
  const { koffi, strerror } = libc();
  const errno = koffi.errno();
  throw new SyscallError(call, subject, errno, strerror(errno));
}

/** Throws for a -1 result; returns any other. */
function check(result: number, call: string, subject: string): number {
  if (result === -1) fail(call, subject);
  return result;
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
  if (libc().mount(source, target, fstype, flags, data) !== 0) {
    const what = source === null ? '' : `'${source}' `;
    fail(`mount(${mountFlagNames(flags)})`, `${what}at '${target}'`);
  }
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
  check(libc().sethostname(name, Buffer.byteLength(name)), 'sethostname', `'${name}'`);
}

export function pivotRoot(newRoot: string, putOld: string): void {
  const numbers = SYSCALL_NUMBERS[process.arch];
  if (numbers === undefined) throw new Error(`pivot_root: unsupported architecture ${process.arch}`);
  const result = Number(libc().syscall(numbers.pivot_root, 'const char *', newRoot, 'const char *', putOld));
  check(result, 'pivot_root', `'${newRoot}' '${putOld}'`);
}

export function chdir(path: string): void {
  check(libc().chdir(path), 'chdir', `'${path}'`);
}

export function chroot(path: string): void {
  check(libc().chroot(path), 'chroot', `'${path}'`);
}

export const O_RDONLY = 0o0;
export const O_WRONLY = 0o1;
export const O_RDWR = 0o2;
export const O_CREAT = 0o100;
export const O_NOCTTY = 0o400;
export const O_TRUNC = 0o1000;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

export function openFile(path: string, flags: number, mode = 0): number {
  return check(libc().open(path, flags, mode), 'open', `'${path}'`);
}

export function close(fd: number): void {
  check(libc().close(fd), 'close', `fd ${fd}`);
}

/** One read(2), retried on EINTR; returns the bytes read (0 at end of file). */
export function readSome(fd: number, buffer: Uint8Array): number {
  for (;;) {
    const count = Number(libc().read(fd, buffer, buffer.length));
    if (count >= 0) return count;
    if (libc().koffi.errno() !== EINTR) fail('read', `fd ${fd}`);
  }
}

export const EINTR = 4;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const FD_CLOEXEC = 1;

export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check(libc().fcntl(fd, cmd, arg), 'fcntl', `fd ${fd}`);
}

const TIOCSCTTY = 0x540e;

/** Makes the terminal open on `fd` the controlling terminal of a new session. */
export function takeControllingTerminal(fd: number): void {
  check(libc().setsid(), 'setsid', '');
  check(libc().ioctl(fd, TIOCSCTTY, 1), 'ioctl(TIOCSCTTY)', `fd ${fd}`);
}

export function mknod(path: string, mode: number, device: bigint): void {
  check(libc().mknod(path, mode, device), 'mknod', `'${path}'`);
}

export function getpid(): number {
  return libc().getpid();
}

export function getuid(): number {
  return libc().getuid();
}

export function kill(pid: number, signal: number): void {
  check(libc().kill(pid, signal), 'kill', `${pid}`);
}

export function setuid(uid: number): void {
  check(libc().setuid(uid), 'setuid', `${uid}`);
}

export function setgid(gid: number): void {
  check(libc().setgid(gid), 'setgid', `${gid}`);
}

export function setgroups(gids: readonly number[]): void {
  check(libc().setgroups(gids.length, Uint32Array.from(gids)), 'setgroups', `[${gids.join(',')}]`);
}

/** The user's passwd entry, or undefined when there is none. */
export function getpwnam(name: string): Passwd | undefined {
  const { koffi, passwd } = libc();
  koffi.errno(0);
  const entry = libc().getpwnam(name);
  if (entry === null) {
    if (koffi.errno() !== 0) fail('getpwnam', `'${name}'`);
    return undefined;
  }
  const decoded = koffi.decode(entry, passwd) as {
    pw_name: string;
    pw_uid: number;
    pw_gid: number;
    pw_dir: string;
    pw_shell: string;
  };
  return {
    name: decoded.pw_name,
    uid: decoded.pw_uid,
    gid: decoded.pw_gid,
    dir: decoded.pw_dir,
    shell: decoded.pw_shell,
  };
}

/** Every group `user` belongs to, `gid` included, from the host's databases. */
export function getgrouplist(user: string, gid: number): number[] {
  let size = 64;
  for (;;) {
    const groups = new Uint32Array(size);
    const count = [size];
    if (libc().getgrouplist(user, gid, groups, count) !== -1) return [...groups.slice(0, count[0])];
    if (count[0]! <= size) fail('getgrouplist', `'${user}'`);
    size = count[0]!;
  }
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

const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

export function capget(): CapabilitySets {
  const data = new Uint32Array(6);
  check(libc().capget(Uint32Array.of(LINUX_CAPABILITY_VERSION_3, 0), data), 'capget', '');
  const join = (low: number, high: number) => (BigInt(high) << 32n) | BigInt(low);
  return {
    effective: join(data[0]!, data[3]!),
    permitted: join(data[1]!, data[4]!),
    inheritable: join(data[2]!, data[5]!),
  };
}

export function capset(sets: CapabilitySets): void {
  const low = (mask: bigint) => Number(mask & 0xffffffffn);
  const high = (mask: bigint) => Number((mask >> 32n) & 0xffffffffn);
  const data = Uint32Array.of(
    low(sets.effective),
    low(sets.permitted),
    low(sets.inheritable),
    high(sets.effective),
    high(sets.permitted),
    high(sets.inheritable),
  );
  check(libc().capset(Uint32Array.of(LINUX_CAPABILITY_VERSION_3, 0), data), 'capset', '');
}

export function setrlimit(resource: number, limit: ResourceLimit): void {
  check(
    libc().setrlimit(resource, { rlim_cur: limit.soft, rlim_max: limit.hard }),
    'setrlimit',
    `${resource}`,
  );
}

export function getrlimit(resource: number): ResourceLimit {
  const out = { rlim_cur: 0n, rlim_max: 0n };
  check(libc().getrlimit(resource, out), 'getrlimit', `${resource}`);
  return { soft: BigInt(out.rlim_cur), hard: BigInt(out.rlim_max) };
}

/** Replaces this process with `path`; returns only by throwing. */
export function execve(path: string, argv: readonly string[], envp: readonly string[]): never {
  libc().execve(path, [...argv, null], [...envp, null]);
  fail('execve', `'${path}'`);
}
