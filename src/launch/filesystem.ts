// The filesystem steps of `launch`: mounts with Mesos's propagation rules,
// masked paths, file operations and the change of root, modern and legacy.
// Every system call goes through the LaunchSystem the caller hands in.
import {
  MNT_DETACH,
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  MS_SHARED,
  MS_SLAVE,
  MS_STRICTATIME,
  reasonOf,
} from '../../native/libc';
import type { FileOperation, MountInfo } from './launch-info';
import type { LaunchSystem } from './run';

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

/** Symlinks followed in one path before we call it a loop, as the kernel does. */
const MAX_SYMLINKS = 40;

/**
 * Where `path`, a path under `rootfs`, really leads on the host, resolving
 * each component as the kernel would (symlinks included, dangling ones too),
 * or undefined when it leaves the root filesystem on the way.
 */
export function resolveUnder(path: string, rootfs: string, system: LaunchSystem): string | undefined {
  const root = system.realpath(rootfs) ?? rootfs;
  if (!isWithin(path, rootfs)) return undefined;
  const pending = path.slice(rootfs.length).split('/').filter((part) => part !== '' && part !== '.');
  let current = root;
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '..') {
      current = parent(current);
      if (!isWithin(current, root)) return undefined;
      continue;
    }
    const candidate = current === '/' ? `/${part}` : `${current}/${part}`;
    const kind = system.entryKind(candidate);
    if (kind !== 'symlink') {
      current = candidate;
      continue;
    }
    if (++links > MAX_SYMLINKS) return undefined;
    const target = system.readLink(candidate);
    // An absolute link means the host's root here, not the container's.
    if (target.startsWith('/')) current = '/';
    pending.unshift(...target.split('/').filter((piece) => piece !== '' && piece !== '.'));
    if (target.startsWith('/') && !isWithin(target.replace(/\/+$/, '') || '/', root)) return undefined;
  }
  return isWithin(current, root) ? current : undefined;
}

/**
 * With a root filesystem, nothing the agent asks for may land outside it: a
 * symlink in the image (say etc -> /etc) must not redirect a mount, a mask or
 * a file operation to the host. Checks where `path` really leads; with
 * `finalFollowed` false, only its directory (for calls that act on a link
 * itself, such as rename(2) and symlink(2)).
 */
export function confine(path: string, rootfs: string | undefined, system: LaunchSystem, finalFollowed = true): void {
  if (rootfs === undefined) return;
  const name = path.replace(/\/+$/, '').slice(path.replace(/\/+$/, '').lastIndexOf('/') + 1);
  const checked = finalFollowed ? path : parent(path);
  if ((!finalFollowed && (name === '..' || name === '.')) || resolveUnder(checked, rootfs, system) === undefined) {
    throw new FilesystemError(`'${path}' leads outside the container's root filesystem '${rootfs}'`);
  }
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
    attempt("Failed to mark '/' as rslave", () => system.mount(null, '/', null, MS_SLAVE | MS_REC, null));
    system.note("Marked '/' as rslave");
  } else {
    const sharedTargets = new Set(shared.map((mount) => mount.target));
    for (const entry of [...system.mountTable()].reverse()) {
      if (sharedTargets.has(entry.target)) continue;
      attempt(`Failed to mark '${entry.target}' as slave`, () => system.mount(null, entry.target, null, MS_SLAVE, null));
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
    confine(mount.target, rootfs, system);
    if (mount.source !== undefined && system.pathKind(mount.target) === 'missing') {
      const directory = parent(mount.target);
      if (system.pathKind(directory) === 'missing') {
        attempt(`Failed to create mount target directory '${directory}'`, () => system.makeDirectory(directory, true));
      }
      // A source that is not there is a pseudo filesystem: mount on a directory.
      const sourceKind = system.pathKind(mount.source);
      attempt(`Failed to create mount target '${mount.target}'`, () =>
        sourceKind === 'missing' || sourceKind === 'directory'
          ? system.makeDirectory(mount.target, false)
          : system.touch(mount.target),
      );
    }
    attempt(`Failed to mount '${description}'`, () =>
      system.mount(mount.source ?? null, mount.target, mount.type ?? null, mount.flags, mount.options ?? null),
    );
  }
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
    confine(target, rootfs, system);
    const kind = system.pathKind(target);
    if (kind === 'file') system.mount('/dev/null', target, null, MS_BIND | MS_RDONLY, null);
    else if (kind === 'directory') system.mount(null, target, 'tmpfs', MS_RDONLY, 'size=0');
  } catch (error) {
    throw new FilesystemError(`Failed to mask '${target}': ${(error as Error).message}`);
  }
}

export function fileOperation(operation: FileOperation, rootfs: string | undefined, system: LaunchSystem): void {
  switch (operation.operation) {
    case 'SYMLINK': {
      const { source, target } = operation.symlink;
      attempt(`Failed to link '${source}' as '${target}'`, () => {
        // symlink(2) makes the link itself: where it points is the task's business.
        confine(target, rootfs, system, false);
        system.symlink(source, target);
      });
      return;
    }
    case 'MOUNT': {
      const mount = operation.mount;
      attempt(`Failed to mount '${describeMount(mount)}'`, () => {
        confine(mount.target, rootfs, system);
        system.mount(mount.source ?? null, mount.target, mount.type ?? null, mount.flags, mount.options ?? null);
      });
      return;
    }
    case 'RENAME': {
      const { source, target } = operation.rename;
      const what = `Failed to rename '${source}' to '${target}'`;
      attempt(what, () => {
        // rename(2) moves a link, not what it points to; but `mv -f x dir`
        // moves into the directory a target link leads to.
        confine(source, rootfs, system, false);
        confine(target, rootfs, system);
      });
      try {
        system.rename(source, target);
      } catch {
        // Across filesystems rename(2) fails; mv copies and removes.
        const failure = system.runProgram(['mv', '-f', source, target]);
        if (failure !== undefined) throw new FilesystemError(`${what}: ${failure}`);
      }
      return;
    }
    case 'MKDIR': {
      const { target, recursive } = operation.mkdir;
      attempt(`Failed to create directory '${target}'`, () => {
        confine(target, rootfs, system);
        system.makeDirectory(target, recursive);
      });
      return;
    }
  }
}

/**
 * Makes `root` the root of this mount namespace: bound onto itself (so it
 * is a mount point), pivoted into, with the old root detached and removed.
 * The old root parks on a tmpfs at <root>/tmp, which goes away at the end.
 */
export function enterRoot(root: string, system: LaunchSystem): void {
  const step = <T>(what: string, action: () => T): T => attempt(`Failed to enter chroot '${root}': ${what}`, action);
  step('Failed to make slave mounts', () => system.mount(null, '/', null, MS_SLAVE | MS_REC, null));
  step('Failed to bind mount root itself', () => system.mount(root, root, null, MS_BIND | MS_REC, null));
  const tmp = `${root}/tmp`;
  if (system.pathKind(tmp) === 'missing') step(`Failed to create '${tmp}'`, () => system.makeDirectory(tmp, true));
  step(`Failed to mount a tmpfs at '${tmp}'`, () => system.mount('tmpfs', tmp, 'tmpfs', 0, null));
  const oldRoot = `/tmp/._old_root_.${system.randomName()}`;
  step(`Failed to create '${root}${oldRoot}'`, () => system.makeDirectory(`${root}${oldRoot}`, false));
  step(`Failed to chdir into '${root}'`, () => system.chdir(root));
  step('Failed to pivot_root', () => system.pivotRoot('.', `.${oldRoot}`));
  step("Failed to chroot into '.'", () => system.chroot('.'));
  step("Failed to chdir into '/'", () => system.chdir('/'));
  // Lazily: something of the host may still be busy, but none of it is ours now.
  step(`Failed to unmount the old root '${oldRoot}'`, () => system.unmount(oldRoot, MNT_DETACH));
  step(`Failed to remove the old root '${oldRoot}'`, () => system.removeDirectory(oldRoot));
  step("Failed to unmount '/tmp'", () => system.unmount('/tmp', MNT_DETACH));
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
  const directory = (path: string) => {
    if (system.pathKind(path) === 'missing') step(`Failed to create '${path}'`, () => system.makeDirectory(path, true));
  };
  const mount = (source: string, target: string, type: string | null, flags: number, data: string | null) => {
    directory(target);
    step(`Failed to mount '${source}' at '${target}'`, () => system.mount(source, target, type, flags, data));
  };
  step('Failed to make slave mounts', () => system.mount(null, '/', null, MS_SLAVE | MS_REC, null));
  step('Failed to bind mount root itself', () => system.mount(root, root, null, MS_BIND | MS_REC, null));
  mount('proc', `${root}/proc`, 'proc', MS_NOSUID | MS_NOEXEC | MS_NODEV, null);
  mount(`${root}/proc/sys`, `${root}/proc/sys`, null, MS_BIND, null);
  step(`Failed to remount '${root}/proc/sys' read-only`, () =>
    system.mount(null, `${root}/proc/sys`, null, MS_BIND | MS_REMOUNT | MS_RDONLY, null),
  );
  mount('sysfs', `${root}/sys`, 'sysfs', MS_RDONLY | MS_NOSUID | MS_NOEXEC | MS_NODEV, null);
  mount('tmpfs', `${root}/dev`, 'tmpfs', MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, 'mode=755');
  mount('devpts', `${root}/dev/pts`, 'devpts', MS_NOSUID | MS_NOEXEC, 'newinstance,ptmxmode=0666');
  mount('tmpfs', `${root}/dev/shm`, 'tmpfs', MS_NOSUID | MS_NODEV | MS_STRICTATIME, 'mode=1777');
  for (const device of STANDARD_DEVICES) {
    step(`Failed to create device '/dev/${device}'`, () => system.copyDevice(`/dev/${device}`, `${root}/dev/${device}`));
  }
  for (const [source, name] of DEVICE_LINKS) {
    step(`Failed to create '/dev/${name}'`, () => system.symlink(source, `${root}/dev/${name}`));
  }
}
