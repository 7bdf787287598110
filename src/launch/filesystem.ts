// The filesystem steps of `launch`: mounts with Mesos's propagation rules,
// masked paths, file operations, the working directory and the change of
// root, modern and legacy. Every system call goes through the LaunchSystem
// the caller hands in.
//
// A path is never looked at here and then used by name: a task that swaps
// a directory for a symlink at the right moment would send the use
// elsewhere. Each path is opened by the kernel inside its root (the rootfs,
// or "/" without one), so an image's symlinks mean what they mean inside
// the container, and each change is made on the fd that opening gave.
import {
  EEXIST,
  ELOOP,
  ENOENT,
  ENOTDIR,
  EXDEV,
  MNT_DETACH,
  MS_BIND,
  MS_MOVE,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_REC,
  MS_SHARED,
  MS_SLAVE,
  MS_STRICTATIME,
  reasonOf,
  SyscallError,
} from '../../native/libc';
import type { FileOperation, MountInfo } from './launch-info';
import type { FileKind, LaunchSystem } from './run';

export interface MountEntry {
  target: string;
  /** Whether the mount is in a shared peer group. */
  shared: boolean;
}

/** A mount as Mesos quotes it in messages: its protobuf JSON. */
export function describeMount(mount: MountInfo): string {
  const json: Record<string, unknown> = {};
  if (mount.source !== undefined) json['source'] = mount.source;
  json['target'] = mount.target;
  if (mount.type !== undefined) json['type'] = mount.type;
  if (mount.flags !== 0) json['flags'] = mount.flags;
  if (mount.options !== undefined) json['options'] = mount.options;
  return JSON.stringify(json);
}

export class FilesystemError extends Error {}

function attempt<T>(what: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw new FilesystemError(`${what}: ${reasonOf(error)}`);
  }
}

function parent(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const index = trimmed.lastIndexOf('/');
  return index <= 0 ? '/' : trimmed.slice(0, index);
}

function isWithin(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(root.endsWith('/') ? root : `${root}/`);
}

function errnoOf(error: unknown): number | undefined {
  return error instanceof SyscallError ? error.errno : undefined;
}

// ---------------------------------------------------------------- places

/** A path as the kernel will resolve it: `path` (absolute) inside `root`. */
export interface Place {
  root: string;
  path: string;
}

/**
 * Where the agent's `path` is resolved. With a root filesystem, the part
 * below it, inside it (a path that is not below it, or climbs out of it
 * with `..`, is refused); without one, the host's own path.
 */
export function place(path: string, rootfs: string | undefined): Place {
  if (rootfs === undefined) {
    // The agent's host path; a relative one is taken from our directory.
    return { root: path.startsWith('/') ? '/' : '.', path: `/${components(path).join('/')}` };
  }
  const base = rootfs === '/' ? '' : rootfs.replace(/\/+$/, '');
  const outside = new FilesystemError(`'${path}' leads outside the container's root filesystem '${rootfs}'`);
  if (path !== base && !path.startsWith(`${base}/`)) throw outside;
  const parts = components(path.slice(base.length));
  let depth = 0;
  for (const part of parts) {
    depth += part === '..' ? -1 : 1;
    if (depth < 0) throw outside;
  }
  return { root: rootfs, path: `/${parts.join('/')}` };
}

function components(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

/** The directory a place's last component is in, and that component ('.' for the root itself). */
function entryOf(where: Place): { directory: Place; name: string } {
  const index = where.path.lastIndexOf('/');
  const name = where.path.slice(index + 1);
  return { directory: { root: where.root, path: where.path.slice(0, index) || '/' }, name: name === '' ? '.' : name };
}

function open(system: LaunchSystem, where: Place, follow = true): number {
  return system.openInRoot(where.root, where.path, { follow });
}

/** The fd, or undefined when nothing is there. */
function openIfThere(system: LaunchSystem, where: Place, follow = true): number | undefined {
  try {
    return open(system, where, follow);
  } catch (error) {
    if (errnoOf(error) === ENOENT) return undefined;
    throw error;
  }
}

function using<T>(system: LaunchSystem, fd: number, action: (fd: number) => T): T {
  try {
    return action(fd);
  } finally {
    system.closeFd(fd);
  }
}

function notDirectory(where: Place): SyscallError {
  return new SyscallError('mkdir', `'${where.path}'`, ENOTDIR, 'Not a directory');
}

/**
 * `mkdir -p` inside the root: each prefix opened by the kernel, a missing
 * one made in the directory the previous one gave. Returns an fd on the
 * directory (the caller closes it).
 */
export function makeDirectories(where: Place, system: LaunchSystem): number {
  const existing = openIfThere(system, where);
  if (existing !== undefined) {
    try {
      if (system.kindOf(existing) !== 'directory') throw notDirectory(where);
    } catch (error) {
      system.closeFd(existing);
      throw error;
    }
    return existing;
  }
  let current = open(system, { root: where.root, path: '/' });
  try {
    let prefix = '';
    for (const part of components(where.path)) {
      prefix += `/${part}`;
      const here = { root: where.root, path: prefix };
      let next = openIfThere(system, here);
      if (next === undefined) {
        try {
          system.makeDirectoryAt(current, part);
          // What was just made, by its name in the directory it was made
          // in, not followed: this can't resolve anywhere else.
          next = system.openInRoot(current, part, { follow: false });
        } catch (error) {
          if (errnoOf(error) !== EEXIST) throw error;
          // Made meanwhile, or a symlink: only a directory will do.
          next = open(system, here);
        }
      }
      system.closeFd(current);
      current = next;
      if (system.kindOf(current) !== 'directory') throw notDirectory(here);
    }
    return current;
  } catch (error) {
    system.closeFd(current);
    throw error;
  }
}

/** Marks the mount at `path` (a host path) slave, and with `recursive` all below it. */
export function markSlave(path: string, recursive: boolean, system: LaunchSystem): void {
  using(system, open(system, { root: '/', path }), (fd) =>
    system.mountOn(fd, null, null, MS_SLAVE | (recursive ? MS_REC : 0), null),
  );
}

/** Step 6: the rootfs must be an absolute, canonical path that exists. */
export function checkRootfs(rootfs: string, system: LaunchSystem): void {
  let fd: number;
  try {
    fd = system.openInRoot(rootfs, '/', { follow: true });
  } catch (error) {
    const errno = errnoOf(error);
    // The root is opened with no symlink allowed on the way.
    if (errno === ELOOP) throw new FilesystemError(`Rootfs path '${rootfs}' is not an absolute path`);
    if (errno === ENOTDIR) throw new FilesystemError(`Rootfs path '${rootfs}' is not a directory`);
    if (errno === ENOENT) throw new FilesystemError(`Rootfs path '${rootfs}' does not exist`);
    throw new FilesystemError(`Failed to open rootfs path '${rootfs}': ${reasonOf(error)}`);
  }
  system.closeFd(fd);
  const canonical =
    rootfs === '/' ||
    (rootfs.startsWith('/') && rootfs.slice(1).split('/').every((part) => part !== '' && part !== '.' && part !== '..'));
  if (!canonical) throw new FilesystemError(`Rootfs path '${rootfs}' is not an absolute path`);
}

// ---------------------------------------------------------------- mounts

interface Source {
  /** What mountOn gets: an fd of the image's path, the agent's string, or null. */
  value: string | number | null;
  /** Decides what a missing target is made as. */
  kind: FileKind | 'missing';
  /** Why the image's path could not be opened: the mount fails with it. */
  failure?: unknown;
}

/**
 * A mount's source. A path the mount binds or moves from, when it lies
 * under the rootfs, is the image's: opened inside the root like a target
 * (an image whose /proc leads to / must not get the host's /sys bound as
 * its /proc/sys).
 * Any other is the agent's own choice, used as it is.
 */
function openSource(mount: MountInfo, rootfs: string | undefined, system: LaunchSystem): Source {
  const path = mount.source;
  if (path === undefined) return { value: null, kind: 'missing' };
  if (rootfs !== undefined && (mount.flags & (MS_BIND | MS_MOVE)) !== 0 && isWithin(path, rootfs)) {
    const where = place(path, rootfs);
    let fd: number;
    try {
      fd = open(system, where);
    } catch (error) {
      return { value: null, kind: 'missing', failure: error };
    }
    try {
      return { value: fd, kind: system.kindOf(fd) };
    } catch (error) {
      system.closeFd(fd);
      throw error;
    }
  }
  // A name that is not a path is a pseudo filesystem's.
  if (!path.startsWith('/')) return { value: path, kind: 'missing' };
  let kind: FileKind | 'missing' = 'missing';
  try {
    kind = using(system, open(system, { root: '/', path }), (fd) => system.kindOf(fd));
  } catch {
    // As Mesos: a source we can't see is mounted on a directory.
  }
  return { value: path, kind };
}

function closeSource(source: Source, system: LaunchSystem): void {
  if (typeof source.value === 'number') system.closeFd(source.value);
}

/** `launch_info.mounts`, with Mesos's propagation rules. */
export function prepareMounts(
  mounts: readonly MountInfo[],
  rootfs: string | undefined,
  system: LaunchSystem,
): void {
  const shared = mounts.filter((mount) => (mount.flags & MS_SHARED) !== 0);
  if (shared.length === 0) {
    // Nothing the container mounts may propagate back to the host.
    attempt("Failed to mark '/' as rslave", () => markSlave('/', true, system));
    system.note("Marked '/' as rslave");
  } else {
    const sharedTargets = new Set(shared.map((mount) => mount.target));
    for (const entry of [...system.mountTable()].reverse()) {
      if (sharedTargets.has(entry.target)) continue;
      attempt(`Failed to mark '${entry.target}' as slave`, () => markSlave(entry.target, false, system));
    }
  }

  for (const mount of mounts) {
    // A shared entry only sets up propagation; it is not a mount to make.
    if ((mount.flags & MS_SHARED) !== 0) continue;
    const description = describeMount(mount);
    if (shared.length > 0) {
      // A mount under a shared mount would reach the host's table.
      const containing = containingMount(mount.target, system.mountTable());
      if (containing === undefined) {
        throw new FilesystemError(`Cannot find the mount containing the mount target '${mount.target}'`);
      }
      if (containing.shared) {
        throw new FilesystemError(
          `Cannot perform mount '${description}' because the target is under a shared mount '${containing.target}'`,
        );
      }
    }
    const target = place(mount.target, rootfs);
    const source = openSource(mount, rootfs, system);
    try {
      const failed = `Failed to mount '${description}'`;
      let fd = attempt(failed, () => openIfThere(system, target));
      // Only a mount with a source gets a missing target made, as in Mesos.
      if (fd === undefined && mount.source !== undefined) fd = makeTarget(mount, target, source.kind, system);
      fd ??= attempt(failed, () => open(system, target));
      using(system, fd, (targetFd) =>
        attempt(failed, () => {
          if (source.failure !== undefined) throw source.failure;
          system.mountOn(targetFd, source.value, mount.type ?? null, mount.flags, mount.options ?? null);
        }),
      );
    } finally {
      closeSource(source, system);
    }
  }
}

/** Makes a missing mount target as Mesos does: a file for a file source, else a directory. */
function makeTarget(mount: MountInfo, target: Place, sourceKind: FileKind | 'missing', system: LaunchSystem): number {
  const { directory, name } = entryOf(target);
  const directoryFd = attempt(`Failed to create mount target directory '${parent(mount.target)}'`, () =>
    makeDirectories(directory, system),
  );
  return using(system, directoryFd, (fd) =>
    attempt(`Failed to create mount target '${mount.target}'`, () => {
      // A source that is not there is a pseudo filesystem: mount on a directory.
      if (sourceKind === 'missing' || sourceKind === 'directory') system.makeDirectoryAt(fd, name);
      else system.createFileAt(fd, name);
      return system.openInRoot(fd, name, { follow: false });
    }),
  );
}

/** The mount whose target is the longest prefix of `path`. */
export function containingMount(path: string, table: readonly MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const entry of table) {
    if (isWithin(path, entry.target) && (best === undefined || entry.target.length >= best.target.length)) {
      best = entry;
    }
  }
  return best;
}

/** Hides `target`: /dev/null over a file, an empty read-only tmpfs over a directory. */
export function maskPath(target: string, rootfs: string | undefined, system: LaunchSystem): void {
  try {
    const fd = openIfThere(system, place(target, rootfs));
    if (fd === undefined) return;
    using(system, fd, () => {
      const kind = system.kindOf(fd);
      if (kind === 'file') system.mountOn(fd, '/dev/null', null, MS_BIND | MS_RDONLY, null);
      else if (kind === 'directory') system.mountOn(fd, null, 'tmpfs', MS_RDONLY, 'size=0');
    });
  } catch (error) {
    throw new FilesystemError(`Failed to mask '${target}': ${reasonOf(error)}`);
  }
}

// ------------------------------------------------------- file operations

export function fileOperation(operation: FileOperation, rootfs: string | undefined, system: LaunchSystem): void {
  switch (operation.operation) {
    case 'SYMLINK': {
      const { source, target } = operation.symlink;
      attempt(`Failed to link '${source}' as '${target}'`, () => {
        // symlink(2) makes the link itself: where it points is the task's business.
        const { directory, name } = entryOf(place(target, rootfs));
        using(system, open(system, directory), (fd) => system.symlinkAt(source, fd, name));
      });
      return;
    }
    case 'MOUNT': {
      const mount = operation.mount;
      attempt(`Failed to mount '${describeMount(mount)}'`, () => {
        const target = place(mount.target, rootfs);
        const source = openSource(mount, rootfs, system);
        try {
          if (source.failure !== undefined) throw source.failure;
          using(system, open(system, target), (fd) =>
            system.mountOn(fd, source.value, mount.type ?? null, mount.flags, mount.options ?? null),
          );
        } finally {
          closeSource(source, system);
        }
      });
      return;
    }
    case 'RENAME': {
      const { source, target } = operation.rename;
      attempt(`Failed to rename '${source}' to '${target}'`, () =>
        rename(place(source, rootfs), place(target, rootfs), system),
      );
      return;
    }
    case 'MKDIR': {
      const { target, recursive } = operation.mkdir;
      attempt(`Failed to create directory '${target}'`, () => {
        const where = place(target, rootfs);
        if (recursive) {
          system.closeFd(makeDirectories(where, system));
          return;
        }
        const { directory, name } = entryOf(where);
        using(system, open(system, directory), (fd) => system.makeDirectoryAt(fd, name));
      });
      return;
    }
  }
}

/**
 * rename(2) of the entries themselves (a link moves as a link), falling
 * back as Mesos does to what `mv -f` would do: into a directory the target
 * names, and across filesystems by a copy. The copy is made through the
 * directory fds without following any link (moveByCopyAt), so the fallback
 * can't be led out of the root either.
 */
function rename(from: Place, to: Place, system: LaunchSystem): void {
  const source = entryOf(from);
  const target = entryOf(to);
  using(system, open(system, source.directory), (sourceFd) =>
    using(system, open(system, target.directory), (targetFd) => {
      try {
        system.renameAt(sourceFd, source.name, targetFd, target.name);
        return;
      } catch (failure) {
        if (moveInto(sourceFd, source.name, to, system)) return;
        if (errnoOf(failure) !== EXDEV) throw failure;
        system.moveByCopyAt(sourceFd, source.name, targetFd, target.name);
      }
    }),
  );
}

/** `mv -f` onto a directory: the entry moves into it. False when `to` is no directory. */
function moveInto(sourceFd: number, name: string, to: Place, system: LaunchSystem): boolean {
  const into = openIfThere(system, to);
  if (into === undefined) return false;
  return using(system, into, (fd) => {
    if (system.kindOf(fd) !== 'directory') return false;
    try {
      system.renameAt(sourceFd, name, fd, name);
    } catch (error) {
      if (errnoOf(error) !== EXDEV) throw error;
      system.moveByCopyAt(sourceFd, name, fd, name);
    }
    return true;
  });
}

// ------------------------------------------------- the working directory

/**
 * Step 16: makes the working directory (a failure is only noted) and enters
 * it, both by fd from our root (the container's, after the change of root):
 * a link such as /sandbox -> /proc/self/fd/7 can't lead the task out.
 */
export function enterWorkingDirectory(directory: string, system: LaunchSystem): void {
  const where = place(directory, undefined);
  let fd: number | undefined;
  try {
    fd = makeDirectories(where, system);
  } catch (error) {
    // Not fatal: entering it says whether the directory is usable.
    system.note(`Failed to create working directory '${directory}': ${reasonOf(error)}`);
  }
  attempt(`Failed to chdir into current working directory '${directory}'`, () =>
    using(system, fd ?? open(system, where), (directoryFd) => system.fchdir(directoryFd)),
  );
}

// --------------------------------------------------- the change of root

/** Binds the root onto itself: pivot_root wants a mount point. */
function bindOnItself(root: string, system: LaunchSystem): void {
  using(system, open(system, { root, path: '/' }), (fd) => system.mountOn(fd, fd, null, MS_BIND | MS_REC, null));
}

/**
 * Makes `root` the root of this mount namespace as runc does: bound onto
 * itself, entered, pivot_root(".", ".") (the old root ends up on top of the
 * new one), then the old root detached from where we stand. Nothing is made
 * in the image, and no fd of a host directory stays open.
 */
export function enterRoot(root: string, system: LaunchSystem): void {
  const step = <T>(what: string, action: () => T): T => attempt(`Failed to enter chroot '${root}': ${what}`, action);
  step('Failed to make slave mounts', () => markSlave('/', true, system));
  step('Failed to bind mount root itself', () => bindOnItself(root, system));
  const oldRoot = step("Failed to open the old root '/'", () => open(system, { root: '/', path: '/' }));
  using(system, oldRoot, () => {
    // Opened after the bind, so that it is the bind.
    step(`Failed to chdir into '${root}'`, () =>
      using(system, open(system, { root, path: '/' }), (fd) => system.fchdir(fd)),
    );
    step('Failed to pivot_root', () => system.pivotRoot('.', '.'));
    step('Failed to chdir into the old root', () => system.fchdir(oldRoot));
    // Our unmounts must not reach the host.
    step('Failed to make the old root a slave', () => system.mountOn(oldRoot, null, null, MS_SLAVE | MS_REC, null));
  });
  // Lazily: something of the host may still be busy, but none of it is ours now.
  step('Failed to unmount the old root', () => system.unmount('.', MNT_DETACH));
  step("Failed to chdir into '/'", () => system.chdir('/'));
}

/**
 * The device nodes a root filesystem's own /dev gets from the host: Mesos
 * 1.0 copies them into a legacy root, mesos-execute binds them.
 */
export const STANDARD_DEVICES: readonly string[] = ['full', 'null', 'random', 'tty', 'urandom', 'zero'];

/** The usual links of a root filesystem's /dev: [what the link holds, its name in /dev]. */
export const DEVICE_LINKS: ReadonlyArray<readonly [string, string]> = [
  ['/proc/self/fd', 'fd'],
  ['/proc/self/fd/0', 'stdin'],
  ['/proc/self/fd/1', 'stdout'],
  ['/proc/self/fd/2', 'stderr'],
  ['pts/ptmx', 'ptmx'],
];

/**
 * Mesos 1.0's `--rootfs`: the root gets its own proc, a read-only /proc/sys
 * and sysfs, a tmpfs /dev with the basic device nodes, devpts, /dev/shm and
 * the usual /dev links, all before the change of root.
 */
export function prepareLegacyRoot(root: string, system: LaunchSystem): void {
  const step = <T>(what: string, action: () => T): T => attempt(`Failed to prepare rootfs '${root}': ${what}`, action);
  const mount = (source: string, path: string, type: string, flags: number, data: string | null) => {
    const directory = step(`Failed to create '${root}${path}'`, () => makeDirectories({ root, path }, system));
    using(system, directory, (fd) =>
      step(`Failed to mount '${source}' at '${root}${path}'`, () => system.mountOn(fd, source, type, flags, data)),
    );
  };
  step('Failed to make slave mounts', () => markSlave('/', true, system));
  step('Failed to bind mount root itself', () => bindOnItself(root, system));
  mount('proc', '/proc', 'proc', MS_NOSUID | MS_NOEXEC | MS_NODEV, null);
  // /proc/sys bound onto itself, read-only, as the root sees it.
  step(`Failed to mount '${root}/proc/sys' read-only at '${root}/proc/sys'`, () =>
    using(system, open(system, { root, path: '/proc/sys' }), (fd) => system.mountOn(fd, fd, null, MS_BIND | MS_RDONLY, null)),
  );
  mount('sysfs', '/sys', 'sysfs', MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, null);
  mount('tmpfs', '/dev', 'tmpfs', MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, 'mode=755');
  mount('devpts', '/dev/pts', 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666');
  mount('tmpfs', '/dev/shm', 'tmpfs', MS_NOSUID | MS_NODEV | MS_STRICTATIME, 'mode=1777');
  // The tmpfs just mounted, opened afresh.
  const dev = step(`Failed to open '${root}/dev'`, () => open(system, { root, path: '/dev' }));
  using(system, dev, () => {
    for (const device of STANDARD_DEVICES) {
      step(`Failed to create device '/dev/${device}'`, () => system.copyDeviceAt(`/dev/${device}`, dev, device));
    }
    for (const [source, name] of DEVICE_LINKS) {
      step(`Failed to create '/dev/${name}'`, () => system.symlinkAt(source, dev, name));
    }
  });
}
