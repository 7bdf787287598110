// Carries a launch plan out, step by step in Mesos's order, through one
// narrow interface to the system. Unit tests hand in a recording stand-in;
// the real one is in ./system.ts.
import { CLONE_NEWNS, reasonOf } from '../../native/libc';
import { type ProcessCapabilities, taskCapabilities } from './capabilities';
import type { PrivilegeDrop } from './drop';
import {
  checkRootfs,
  enterRoot,
  enterWorkingDirectory,
  FilesystemError,
  fileOperation,
  markSlave,
  maskPath,
  type MountEntry,
  prepareLegacyRoot,
  prepareMounts,
} from './filesystem';
import type { CommandInfo, SeccompProfile } from './launch-info';
import { DEFAULT_PATH, type LaunchPlan } from './plan';

export interface UserIds {
  uid: number;
  gid: number;
  /** Every group of the user from the host's databases (getgrouplist). */
  groups: number[];
}

export interface Program {
  path: string;
  argv: string[];
}

export type FileKind = 'file' | 'directory' | 'symlink' | 'other';

/** Everything `launch` asks of the system, and nothing else. */
export interface LaunchSystem {
  closeFd(fd: number): void;
  /** Blocks until one byte arrives; false at end of file. */
  readByte(fd: number): boolean;
  /** Makes stdin, the terminal the agent opened for us, the controlling terminal. */
  takeTerminal(): void;
  unshareMount(): void;
  /** Whether we still share the mount namespace of the process that started us; throws when that can't be told. */
  sharesParentMountNamespace(): boolean;
  /** An informational line on stderr, as Mesos prints them. */
  note(line: string): void;
  /** Runs a pre-exec command to its end; returns why it failed, if it did. */
  runCommand(command: CommandInfo): string | undefined;
  /** The user's ids, or undefined when there is no such user. */
  lookupUser(name: string): UserIds | undefined;
  getuid(): number;
  /** Opens what must survive a root change: the program that execs (and with a status fd, waits for) the task. */
  prepareWaiter(): void;
  /** Our capability sets, the bounding set included. */
  getCapabilities(): ProcessCapabilities;
  /** The BPF program of a profile (throws an Error whose message is the whole line to print). */
  compileSeccomp(profile: SeccompProfile, capabilities: ProcessCapabilities): Uint8Array;

  // The filesystem, on file descriptors: a path is resolved by the kernel
  // inside a root, and every change is made on the fd that opening gave, so
  // nothing is looked up first and then used by name.
  /**
   * An O_PATH fd on `path` inside `root`: a directory path (opened afresh,
   * and refused if any of it is a symlink) or a directory fd. Symlinks
   * resolve as they would with `root` as `/`, `..` stops at it, links like
   * /proc/self/fd/N are refused. With `follow` false a final symlink is
   * opened itself. Throws a SyscallError (ENOENT when nothing is there).
   */
  openInRoot(root: string | number, path: string, options: { follow: boolean }): number;
  kindOf(fd: number): FileKind;
  makeDirectoryAt(parent: number, name: string): void;
  /** A new empty file; anything already there (a symlink too) is EEXIST. */
  createFileAt(parent: number, name: string): void;
  symlinkAt(text: string, parent: number, name: string): void;
  renameAt(fromParent: number, fromName: string, toParent: number, toName: string): void;
  /** rename(2) across filesystems: a copy through the fds, never following a link, then the original removed. */
  moveByCopyAt(fromParent: number, fromName: string, toParent: number, toName: string): void;
  /** A fresh device node `name` in `parent` like the host's `hostPath`. */
  copyDeviceAt(hostPath: string, parent: number, name: string): void;
  /**
   * mount(2) onto the fd `target`. A number `source` is an fd to bind (or
   * move) from; a string is the agent's own path or a filesystem's name.
   * A bind with per-mount flags (MS_RDONLY...) gets them before it is
   * attached, and keeps its source's nosuid, nodev and noexec.
   */
  mountOn(target: number, source: string | number | null, fstype: string | null, flags: number, data: string | null): void;
  unmount(target: string, flags: number): void;
  mountTable(): MountEntry[];
  enterMountNamespaceOf(pid: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  fchdir(fd: number): void;
  chdir(path: string): void;
  /** The working directory as our root sees it; throws when it is outside. */
  currentDirectory(): string;

  isExecutableFile(path: string): boolean;
  /** The helper's own environment, as NAME=value strings. */
  inheritedEnvironment(): string[];
  /**
   * Replaces this process with the waiter, which applies `drop` to the task
   * right before its execve. With a status fd the waiter stays as the
   * task's parent and checkpoints its wait status there.
   */
  exec(program: Program, environment: readonly string[], drop: PrivilegeDrop, statusFd: number | undefined): never;
}

/** A failure of the launch: one line for stderr, exit status 1. */
export class LaunchFailure extends Error {}

function attempt<T>(what: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw new LaunchFailure(`${what}: ${reasonOf(error)}`);
  }
}

/** Runs a filesystem step, whose errors already say what failed. */
function filesystem(prefix: string | undefined, action: () => void): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof FilesystemError)) throw error;
    throw new LaunchFailure(prefix === undefined ? error.message : `${prefix}: ${error.message}`);
  }
}

export function carryOut(plan: LaunchPlan, system: LaunchSystem, statusFd?: number): never {
  if (plan.pipe !== undefined) synchronize(plan.pipe, system);

  // Opened from the host before anything can change what a path leads to.
  attempt('Failed to prepare the program that execs the task', () => system.prepareWaiter());

  if (plan.ttySlavePath !== undefined) attempt('Failed to set control tty', () => system.takeTerminal());

  if (plan.unshareMount) attempt('Failed to unshare mount namespace', () => system.unshareMount());

  const rootfs = plan.rootfs?.path;
  const clonesMountNamespace = plan.interface === 'modern' && plan.cloneNamespaces.includes(CLONE_NEWNS);
  const changesMounts =
    rootfs !== undefined ||
    clonesMountNamespace ||
    plan.mounts.length > 0 ||
    plan.maskedPaths.length > 0 ||
    plan.fileOperations.some((operation) => operation.operation === 'MOUNT');
  // Mesos trusts the agent here; a mistake would change the host's mounts
  // for good, so we look for ourselves, and refuse when we can't tell.
  if (changesMounts) {
    let shares: boolean;
    try {
      shares = system.sharesParentMountNamespace();
    } catch (error) {
      throw new LaunchFailure(
        `Refusing to change mounts: can't tell whether we share the mount namespace of the process that started us: ${reasonOf(error)}`,
      );
    }
    if (shares) {
      throw new LaunchFailure(
        'Refusing to change mounts in the mount namespace of the process that started us: clone a new one or pass --unshare_namespace_mnt',
      );
    }
  }

  if (rootfs !== undefined) {
    system.note(`Preparing rootfs at '${rootfs}'`);
    filesystem(undefined, () => checkRootfs(rootfs, system));
  }

  if (plan.mounts.length > 0 && !clonesMountNamespace) {
    throw new LaunchFailure('Failed to prepare mounts: Mounts are not supported if the mount namespace is not cloned');
  }
  if (clonesMountNamespace) {
    filesystem('Failed to prepare mounts', () => prepareMounts(plan.mounts, rootfs, system));
  } else if (changesMounts && plan.namespaceMntTarget === undefined) {
    // Mesos leaves propagation alone here, so a mask or a MOUNT operation in
    // a namespace made by --unshare_namespace_mnt would reach the host's
    // shared mounts. Nothing a container mounts belongs there.
    attempt("Failed to mark '/' as rslave", () => markSlave('/', true, system));
  }

  for (const target of plan.maskedPaths) {
    try {
      maskPath(target, rootfs, system);
    } catch (error) {
      // Mesos goes on without the mask; so do we, but say so.
      system.note(`Failed to mask container paths: ${(error as Error).message}`);
    }
  }

  for (const operation of plan.fileOperations) filesystem(undefined, () => fileOperation(operation, rootfs, system));

  for (const { command, json } of plan.preExecCommands) {
    if (command.value === undefined) {
      throw new LaunchFailure("The 'value' of a preparation command is not specified");
    }
    system.note(`Executing pre-exec command '${json}'`);
    const failure = system.runCommand(command);
    if (failure !== undefined) throw new LaunchFailure(`Failed to execute pre-exec command '${json}': ${failure}`);
  }

  // Look the user up while the host's /etc/passwd and /etc/group are in reach.
  const ids = plan.user === undefined ? undefined : lookupIds(plan.user, plan.supplementaryGroups, system);

  // The task's capabilities and seccomp program are worked out on the host
  // too: nothing after the root change may consult what the image supplies.
  const setsCapabilities = plan.effectiveCapabilities !== undefined || plan.boundingCapabilities !== undefined;
  const capabilities =
    setsCapabilities || plan.seccompProfile !== undefined
      ? taskCapabilities(
          attempt('Failed to get capabilities for the current process', () => system.getCapabilities()),
          ids !== undefined,
          plan.effectiveCapabilities,
          plan.boundingCapabilities,
        )
      : undefined;
  let seccompProgram: Uint8Array | undefined;
  if (plan.seccompProfile !== undefined) {
    const profile = plan.seccompProfile;
    try {
      seccompProgram = system.compileSeccomp(profile, capabilities!);
    } catch (error) {
      throw new LaunchFailure((error as Error).message);
    }
  }

  if (plan.namespaceMntTarget !== undefined) {
    const pid = plan.namespaceMntTarget;
    attempt('Failed to enter mount namespace', () => system.enterMountNamespaceOf(pid));
  }

  if (plan.rootfs !== undefined) {
    const { path, prepared } = plan.rootfs;
    if (prepared) filesystem(undefined, () => prepareLegacyRoot(path, system));
    system.note(`Changing root to ${path}`);
    filesystem(undefined, () => enterRoot(path, system));
  }

  if (plan.workingDirectory !== undefined) {
    const directory = plan.workingDirectory;
    filesystem(undefined, () => enterWorkingDirectory(directory, system));
    // Magic links (/proc/self/fd/N) can lead a chdir out of the new root to a
    // directory we still hold open (CVE-2024-21626).
    if (plan.rootfs !== undefined) {
      let where: string | undefined;
      try {
        where = system.currentDirectory();
      } catch {
        where = undefined;
      }
      if (where === undefined || !where.startsWith('/')) {
        throw new LaunchFailure(
          `Failed to chdir into current working directory '${directory}': it is outside the container's root filesystem`,
        );
      }
    }
  }

  // rlimits, the user, the capabilities and the filter apply to the task
  // alone: the waiter carries them out in its process, in runc's order.
  const drop: PrivilegeDrop = {
    rlimits: plan.rlimits.map(({ resource, soft, hard }) => ({ resource, soft, hard })),
    ...(ids === undefined ? {} : { user: ids }),
    ...(setsCapabilities ? { capabilities: capabilities! } : {}),
    noNewPrivileges: plan.noNewPrivileges,
    ...(seccompProgram === undefined ? {} : { seccompProgram }),
    ...(plan.execNotifyFd === undefined ? {} : { execNotifyFd: plan.execNotifyFd }),
  };

  const environment =
    plan.environment?.map(({ name, value }) => `${name}=${value}`) ?? withoutFlags(system.inheritedEnvironment());
  for (const name of plan.overwrittenVariables) system.note(`Overwriting environment variable '${name}'`);
  const program = resolveProgram(plan.command, plan.workingDirectory, searchPath(environment), system);
  try {
    return system.exec(program, environment, drop, statusFd);
  } catch (error) {
    const reason = (error as { reason?: unknown }).reason;
    throw new LaunchFailure(
      `Failed to execute '${program.path}': ${typeof reason === 'string' ? reason : (error as Error).message}`,
    );
  }
}


function synchronize(pipe: { read: number; write: number }, system: LaunchSystem): void {
  attempt('Failed to close pipe[1]', () => system.closeFd(pipe.write));
  let received: boolean;
  try {
    received = system.readByte(pipe.read);
  } catch {
    received = false;
  }
  if (!received) throw new LaunchFailure("Failed to synchronize with agent (it's probably exited)");
  attempt('Failed to close pipe[0]', () => system.closeFd(pipe.read));
}

function lookupIds(user: string, supplementaryGroups: readonly number[], system: LaunchSystem): UserIds | undefined {
  let ids: UserIds | undefined;
  try {
    ids = system.lookupUser(user);
  } catch (error) {
    throw new LaunchFailure(`Failed to get the uid of user '${user}': ${(error as Error).message}`);
  }
  if (ids === undefined) throw new LaunchFailure(`Failed to get the uid of user '${user}': not found`);
  // Nothing to change when we already are that user.
  if (ids.uid === system.getuid()) return undefined;
  return { ...ids, groups: [...ids.groups, ...supplementaryGroups] };
}

/** The agent hands us our flags in the environment; the task must not see them. */
function withoutFlags(environment: readonly string[]): string[] {
  return environment.filter((entry) => !entry.startsWith('MESOS_CONTAINERIZER_'));
}

function searchPath(environment: readonly string[]): string {
  const entry = environment.findLast((variable) => variable.startsWith('PATH='));
  return entry === undefined ? DEFAULT_PATH : entry.slice('PATH='.length);
}

/**
 * What to exec: `sh -c value` for a shell command, else `value` with its
 * arguments. A name without a slash is searched in PATH; a relative value
 * is first tried in the working directory.
 */
export function resolveProgram(
  command: CommandInfo,
  workingDirectory: string | undefined,
  path: string,
  system: Pick<LaunchSystem, 'isExecutableFile'>,
): Program {
  const value = command.value!;
  if (command.shell) return { path: lookPath('sh', path, system), argv: ['sh', '-c', value] };
  const argv = command.arguments.length > 0 ? command.arguments : [value];
  if (!value.startsWith('/') && workingDirectory !== undefined) {
    const candidate = `${workingDirectory.replace(/\/+$/, '')}/${value}`;
    if (system.isExecutableFile(candidate)) return { path: candidate, argv };
  }
  return { path: lookPath(value, path, system), argv };
}

function lookPath(name: string, path: string, system: Pick<LaunchSystem, 'isExecutableFile'>): string {
  if (name.includes('/')) return name;
  for (const directory of path.split(':')) {
    const candidate = `${directory === '' ? '.' : directory}/${name}`;
    if (system.isExecutableFile(candidate)) return candidate;
  }
  // execve will then say what is wrong (usually ENOENT).
  return name;
}
