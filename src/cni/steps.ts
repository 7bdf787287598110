// Carries out a `network-cni-setup` plan through `CniSystem`, the few calls
// it needs. Every call here is synchronous and runs on the calling thread:
// after the first setns only that thread sees the container's namespaces.
//
// Nothing is looked up by name twice: namespaces and source files are opened
// from the host before the first setns, and inside the container every path
// is resolved from an open directory with the kernel keeping the lookup in
// its root (openat2's RESOLVE_IN_ROOT), then acted on through the handle.
import { stateAndParent, statFields } from '../subcommand/proc-stat';
import {
  CLONE_FS,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWUTS,
  MOUNT_ATTR_NODEV,
  MOUNT_ATTR_NOEXEC,
  MOUNT_ATTR_NOSUID,
  MOUNT_ATTR_RDONLY,
  MS_REC,
  MS_SLAVE,
} from '../../native/libc';
import { ETC_RESOLV_CONF, inRootfs, type Namespace, type NetworkFile, type Step } from './plan';

/** An open file descriptor. */
export type Fd = number;

/** What fstat(2) says of a handle: which file it is, and of what kind. */
export interface Identity {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly kind: 'file' | 'directory' | 'symlink' | 'other';
}

/**
 * The system calls the steps make. Each throws an Error whose message is the
 * bare reason (e.g. "Permission denied") when the call fails; "not there"
 * (ENOENT) is an answer, not a failure, where a method says so.
 */
export interface CniSystem {
  /** lstat(2) succeeds (the plan's check of the sources): a dangling symlink exists. */
  exists(path: string): boolean;
  /** openat(dir or the cwd, path, O_RDONLY|O_CLOEXEC), following symlinks; undefined if nothing is there. */
  open(dir: Fd | undefined, path: string): Fd | undefined;
  /**
   * openat2(root, path, O_PATH|O_CLOEXEC, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS):
   * symlinks resolve as if `root` were `/`, and `..` stops there. Without
   * `follow` a final symlink is opened itself (O_NOFOLLOW). Undefined if
   * nothing is there.
   */
  resolveInRoot(root: Fd, path: string, follow: boolean): Fd | undefined;
  /** fstat(2). */
  identify(fd: Fd): Identity;
  /** The text of the file at `path` under the open directory `dir`. */
  readFile(dir: Fd, path: string): string;
  /** mkdirat(dir, name, 0755). */
  makeDirectory(dir: Fd, name: string): void;
  /** openat(dir, name, O_RDONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, 0644): a new empty file. */
  createFile(dir: Fd, name: string): Fd;
  /** unlinkat(dir, name, 0). */
  remove(dir: Fd, name: string): void;
  close(fd: Fd): void;
  unshare(flags: number): void;
  /** setns(2) into the namespace `fd` is. */
  setns(fd: Fd, nstype: number): void;
  /** mount(NULL, target, NULL, flags, NULL): a propagation change. */
  mount(target: string, flags: number): void;
  /**
   * open_tree(path, OPEN_TREE_CLONE) then mount_setattr(attributes,
   * propagation): a detached bind of `path` that already has its flags.
   */
  cloneMount(path: string, attributes: number, propagation: number): Fd;
  /** move_mount(2) of the detached mount `tree` onto the file `target`. */
  attachMount(tree: Fd, target: Fd): void;
  sethostname(name: string): void;
  /** SIOCGIFFLAGS/SIOCSIFFLAGS on `lo`, from a socket of the network namespace entered last. */
  loopbackUp(): void;
}

/**
 * The flags of every bind this subcommand makes (MOUNT_ATTR_RDONLY added for
 * --bind_readonly): Mesos's MS_NOEXEC|MS_NODEV|MS_NOSUID, applied to the
 * detached copy before it is attached, so the bind never exists without them.
 */
export const BIND_ATTRIBUTES = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;

const NSTYPES: Record<Namespace, number> = { mnt: CLONE_NEWNS, uts: CLONE_NEWUTS, net: CLONE_NEWNET };
const NAMESPACE_NAMES: Record<Namespace, string> = { mnt: 'mount', uts: 'UTS', net: 'network' };

/** A step that can't be carried out; its message is the one line we print. */
export class StepError extends Error {}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs `call`; a failure becomes a StepError reading `prefix: <reason>`. */
function attempt<T>(prefix: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw new StepError(`${prefix}: ${reason(error)}`);
  }
}

/** The handles the steps open, each closed at the end. */
class Handles {
  process: Fd | undefined;
  readonly namespaces = new Map<Namespace, Fd>();
  readonly trees = new Map<number, Fd>();
  root: Fd | undefined;
  rootfs: Fd | undefined;
  private readonly opened: Fd[] = [];

  constructor(private readonly system: CniSystem) {}

  /** `fd`, remembered for closing. */
  keep<T extends Fd | undefined>(fd: T): T {
    if (fd !== undefined) this.opened.push(fd);
    return fd;
  }

  closeAll(): void {
    for (const fd of this.opened.reverse()) {
      try {
        this.system.close(fd);
      } catch {
        // Nothing is left to do with it; exiting closes it anyway.
      }
    }
  }
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new StepError(`network-cni-setup: ${what} was not opened by an earlier step`);
  return value;
}

/** Carries out `steps` in order. Returns undefined on success, else the message of the step that failed. */
export function runSteps(steps: readonly Step[], system: CniSystem): string | undefined {
  const handles = new Handles(system);
  try {
    for (const step of steps) runStep(step, system, handles);
    return undefined;
  } catch (error) {
    if (error instanceof StepError) return error.message;
    throw error;
  } finally {
    handles.closeAll();
  }
}

function runStep(step: Step, system: CniSystem, handles: Handles): void {
  switch (step.op) {
    case 'open-process':
      openProcess(system, handles, step.pid);
      return;
    case 'check-parent':
      checkParent(system, handles, step.pid, step.parentPid);
      return;
    case 'open-namespace':
      openNamespace(system, handles, step.pid, step.ns);
      return;
    case 'refuse-host-namespace':
      refuseHostNamespace(system, handles, step.pid, step.ns);
      return;
    case 'clone-source': {
      const attributes = BIND_ATTRIBUTES | (step.readOnly ? MOUNT_ATTR_RDONLY : 0);
      const tree = attempt(`Failed to bind mount from '${step.source}' to '${step.target}'`, () =>
        system.cloneMount(step.source, attributes, MS_SLAVE),
      );
      handles.trees.set(step.bind, handles.keep(tree));
      return;
    }
    case 'isolate-fs':
      attempt('Failed to stop sharing filesystem attributes with the other threads', () =>
        system.unshare(CLONE_FS),
      );
      return;
    case 'enter': {
      const fd = need(handles.namespaces.get(step.ns), `the ${step.ns} namespace`);
      attempt(`Failed to enter the ${NAMESPACE_NAMES[step.ns]} namespace of pid ${step.pid}`, () =>
        system.setns(fd, NSTYPES[step.ns]),
      );
      return;
    }
    case 'mark-root-slave':
      attempt('Failed to mark `/` as a SLAVE mount', () => system.mount('/', MS_SLAVE | MS_REC));
      return;
    case 'open-root': {
      const root = attempt("Failed to open '/' of the container's mount namespace", () => system.open(undefined, '/'));
      handles.root = handles.keep(need(root, "'/'"));
      return;
    }
    case 'open-rootfs':
      openRootfs(system, handles, step.rootfs);
      return;
    case 'bind-host-file':
      bindHostFile(system, handles, step.bind, step.file, step.source);
      return;
    case 'bind-rootfs-file':
      bindRootfsFile(system, handles, step.bind, step.rootfs, step.file, step.source);
      return;
    case 'set-hostname':
      attempt(`Failed to set the hostname of the container to '${step.hostname}'`, () =>
        system.sethostname(step.hostname),
      );
      return;
    case 'loopback-up':
      attempt(`Failed to bring up the loopback interface in the new network namespace of pid ${step.pid}`, () =>
        system.loopbackUp(),
      );
      return;
  }
}

function openProcess(system: CniSystem, handles: Handles, pid: number): void {
  const prefix = `Failed to enter the mount namespace of pid ${pid}`;
  const fd = attempt(`${prefix}: Failed to open '/proc/${pid}'`, () => system.open(undefined, `/proc/${pid}`));
  if (fd === undefined) throw new StepError(`${prefix}: Pid ${pid} does not exist`);
  handles.process = handles.keep(fd);
}

/** Through the handle of /proc/<pid> (which stays that process's): alive, and a child of `parentPid`. */
function checkParent(system: CniSystem, handles: Handles, pid: number, parentPid: number): void {
  const prefix = `Failed to enter the mount namespace of pid ${pid}`;
  const process = need(handles.process, `/proc/${pid}`);
  const stat = attempt(`${prefix}: Failed to read '/proc/${pid}/stat'`, () => system.readFile(process, 'stat'));
  const { state, ppid } = stateAndParent(stat);
  if (state === 'Z' || state === 'X' || ppid !== parentPid) {
    throw new StepError(`${prefix}: it is no longer a live child of pid ${parentPid}`);
  }
}

function openNamespace(system: CniSystem, handles: Handles, pid: number, ns: Namespace): void {
  const prefix = `Failed to enter the ${NAMESPACE_NAMES[ns]} namespace of pid ${pid}`;
  const process = need(handles.process, `/proc/${pid}`);
  const fd = attempt(`${prefix}: Failed to open '/proc/${pid}/ns/${ns}'`, () => system.open(process, `ns/${ns}`));
  if (fd === undefined) throw new StepError(`${prefix}: Namespace '${ns}' is not supported`);
  handles.namespaces.set(ns, handles.keep(fd));
}

function sameFile(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** PF_KTHREAD in /proc/<pid>/stat's flags (include/linux/sched.h). */
const PF_KTHREAD = 0x00200000;

/** Whether /proc/<pid>/stat (its text) is a kernel thread's. */
export function isKernelThread(stat: string): boolean {
  const flags = Number(statFields(stat)[6]);
  return Number.isInteger(flags) && (flags & PF_KTHREAD) !== 0;
}

/**
 * The host's namespace of type `ns`, as a handle on it, or why it can't be
 * had. The host's are pid 1's; where pid 1 holds privileges we lack the
 * kernel won't let us open them, and the kernel's own threads (pid 2,
 * kthreadd, in the initial pid namespace), which always live in the
 * initial namespaces, stand in.
 */
function hostNamespaces(system: CniSystem, handles: Handles, ns: Namespace): { fds: Fd[]; failure: string } {
  const fds: Fd[] = [];
  let failure = '';
  try {
    const fd = handles.keep(system.open(undefined, `/proc/1/ns/${ns}`));
    if (fd !== undefined) fds.push(fd);
    else failure = `Failed to open '/proc/1/ns/${ns}': No such file or directory`;
  } catch (error) {
    failure = `Failed to open '/proc/1/ns/${ns}': ${reason(error)}`;
  }
  try {
    const kernel = handles.keep(system.open(undefined, '/proc/2'));
    if (kernel !== undefined && isKernelThread(system.readFile(kernel, 'stat'))) {
      const fd = handles.keep(system.open(kernel, `ns/${ns}`));
      if (fd !== undefined) fds.push(fd);
    }
  } catch {
    // Not the kernel's thread to ask, or not ours to open: pid 1 decides.
  }
  return { fds, failure };
}

/**
 * Compares the target's namespace with ours and the host's by device and
 * inode; one that can't be compared is refused too.
 */
function refuseHostNamespace(system: CniSystem, handles: Handles, pid: number, ns: Namespace): void {
  const refusal = `Refusing to enter the ${NAMESPACE_NAMES[ns]} namespace of pid ${pid}`;
  const fd = need(handles.namespaces.get(ns), `the ${ns} namespace`);
  const cannotTell = `${refusal}: cannot tell it from the host's`;
  const target = attempt(cannotTell, () => system.identify(fd));
  const host = hostNamespaces(system, handles, ns);
  if (host.fds.length === 0) throw new StepError(`${cannotTell}: ${host.failure}`);
  for (const other of host.fds) {
    if (sameFile(target, attempt(cannotTell, () => system.identify(other)))) {
      throw new StepError(`${refusal}: it is the host's, not a container's`);
    }
  }
  const ours = attempt(`${refusal}: cannot tell it from our own: Failed to open '/proc/self/ns/${ns}'`, () =>
    handles.keep(system.open(undefined, `/proc/self/ns/${ns}`)),
  );
  if (ours === undefined) {
    throw new StepError(`${refusal}: cannot tell it from our own: Failed to open '/proc/self/ns/${ns}': No such file or directory`);
  }
  if (sameFile(target, attempt(`${refusal}: cannot tell it from our own`, () => system.identify(ours)))) {
    throw new StepError(`${refusal}: it is our own, not a container's`);
  }
}

/** `path` without its leading slashes: openat2 takes it relative to the root handle. */
function relative(path: string): string {
  return path.replace(/^\/+/, '') || '.';
}

function openRootfs(system: CniSystem, handles: Handles, rootfs: string): void {
  const root = need(handles.root, "'/'");
  const prefix = `Failed to open the rootfs '${rootfs}'`;
  const fd = attempt(prefix, () => system.resolveInRoot(root, relative(rootfs), true));
  if (fd === undefined) throw new StepError(`${prefix}: No such file or directory`);
  handles.rootfs = handles.keep(fd);
  // A rootfs that is the namespace's own root would have us replace its files.
  const [rootfsIdentity, rootIdentity] = attempt(prefix, () => [system.identify(fd), system.identify(root)]);
  if (sameFile(rootfsIdentity, rootIdentity)) {
    throw new StepError(`Refusing to use '${rootfs}' as the rootfs: it resolves to '/'`);
  }
}

function splitFile(file: NetworkFile): { directories: string[]; name: string } {
  const parts = file.split('/').filter((part) => part !== '');
  return { directories: parts.slice(0, -1), name: parts[parts.length - 1]! };
}

function attach(system: CniSystem, handles: Handles, bind: number, source: string, target: Fd, targetName: string): void {
  const tree = need(handles.trees.get(bind), `bind ${bind}`);
  attempt(`Failed to bind mount from '${source}' to '${targetName}'`, () => system.attachMount(tree, target));
}

/**
 * Binds over the file's path in the container's mount namespace, following
 * a symlink there as a bind by path would (an /etc/resolv.conf that links to
 * a resolver's file stays a link), but only within that namespace's `/`.
 */
function bindHostFile(system: CniSystem, handles: Handles, bind: number, file: NetworkFile, source: string): void {
  const root = need(handles.root, "'/'");
  const failed = `Failed to bind mount from '${source}' to '${file}'`;
  let target = attempt(failed, () => system.resolveInRoot(root, relative(file), true));
  if (target === undefined) {
    // Without nameservers to put there, a missing resolv.conf can't be made up.
    if (file === ETC_RESOLV_CONF) throw new StepError(`Mount point '${file}' does not exist on the host filesystem`);
    const { directories, name } = splitFile(file);
    target = attempt(`Unable to create missing mount point ${file} on host filesystem`, () => {
      const parent = handles.keep(system.resolveInRoot(root, relative(directories.join('/')), true));
      if (parent === undefined) throw new Error('No such file or directory');
      return system.createFile(parent, name);
    });
  }
  handles.keep(target);
  attach(system, handles, bind, source, target, file);
}

/**
 * Binds at the file's path inside the rootfs, every component resolved in
 * the rootfs as its own `/` (its symlinks can't lead out), missing
 * directories made where that lookup stopped, and a symlink at the mount
 * point replaced by a plain file, as Mesos does.
 */
function bindRootfsFile(
  system: CniSystem,
  handles: Handles,
  bind: number,
  rootfs: string,
  file: NetworkFile,
  source: string,
): void {
  const root = need(handles.rootfs, 'the rootfs');
  const { directories, name } = splitFile(file);
  let parent = root;
  let prefix = '';
  for (const directory of directories) {
    prefix = prefix === '' ? directory : `${prefix}/${directory}`;
    const shown = `${rootfs === '/' ? '' : rootfs}/${prefix}`;
    const made = `Failed to create directory '${shown}' for the mount point`;
    let next = handles.keep(attempt(made, () => system.resolveInRoot(root, prefix, true)));
    if (next === undefined) {
      const inside = parent;
      attempt(made, () => system.makeDirectory(inside, directory));
      next = handles.keep(attempt(made, () => system.resolveInRoot(root, prefix, true)));
      if (next === undefined) throw new StepError(`${made}: No such file or directory`);
    }
    parent = next;
  }

  const target = inRootfs(rootfs, file);
  const directory = parent;
  const create = () =>
    handles.keep(
      attempt(`Failed to create the mount point '${target}' in the container filesystem`, () =>
        system.createFile(directory, name),
      ),
    );
  const failed = `Failed to bind mount from '${source}' to '${target}'`;
  const found = handles.keep(attempt(failed, () => system.resolveInRoot(directory, name, false)));
  let fd: Fd;
  if (found === undefined) {
    fd = create();
  } else if (attempt(failed, () => system.identify(found)).kind === 'symlink') {
    try {
      system.remove(directory, name);
    } catch {
      throw new StepError(`Failed to remove '${target}' as it's a symbolic link`);
    }
    fd = create();
  } else {
    fd = found;
  }
  attach(system, handles, bind, source, fd, target);
}
