// Carries out a `network-cni-setup` plan through `CniSystem`, the few calls
// it needs. Every call here is synchronous and runs on the calling thread:
// after the first setns only that thread (and what it forks) sees the
// container's namespaces.
import { basename, dirname, join } from 'node:path';
import {
  CLONE_FS,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWUTS,
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  MS_SLAVE,
} from '../../native/libc';
import { ETC_RESOLV_CONF, type Namespace, type NetworkFile, type Step } from './plan';

/** How a program run by `CniSystem.run` ended, or why it never started. */
export type RunResult =
  | { readonly started: false; readonly reason: string }
  | { readonly started: true; readonly status: number | null; readonly signal: string | null };

/**
 * The system calls the steps make. Each throws an Error whose message is the
 * bare reason (e.g. "No such file or directory") when the call fails.
 */
export interface CniSystem {
  /** lstat(2) succeeds: a dangling symlink exists. */
  exists(path: string): boolean;
  isSymlink(path: string): boolean;
  realpath(path: string): string;
  /** One directory, mode 0755; never follows a symlink at `path`. */
  mkdir(path: string): void;
  /** A new empty regular file, mode 0644; fails if anything is at `path`. */
  createFile(path: string): void;
  /** unlink(2). */
  remove(path: string): void;
  unshare(flags: number): void;
  setns(path: string, nstype: number): void;
  mount(source: string | null, target: string, flags: number): void;
  sethostname(name: string): void;
  /** Runs `argv` (looked up on PATH) to completion, with our stdio. */
  run(argv: readonly string[]): RunResult;
}

/** The flags of every bind this subcommand makes (MS_RDONLY added for --bind_readonly). */
export const BIND_FLAGS = MS_BIND | MS_NOEXEC | MS_NODEV | MS_NOSUID;

const NSTYPES: Record<Namespace, number> = { mnt: CLONE_NEWNS, uts: CLONE_NEWUTS, net: CLONE_NEWNET };
const NAMESPACE_NAMES: Record<Namespace, string> = { mnt: 'mount', uts: 'UTS', net: 'network' };

export const LOOPBACK_UP: readonly string[] = ['ip', 'link', 'set', 'dev', 'lo', 'up'];
export const LOOPBACK_UP_FALLBACK: readonly string[] = ['ifconfig', 'lo', 'up'];

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

function within(path: string, root: string): boolean {
  return path === root || path.startsWith(root === '/' ? '/' : `${root}/`);
}

/** Carries out `steps` in order. Returns undefined on success, else the message of the step that failed. */
export function runSteps(steps: readonly Step[], system: CniSystem): string | undefined {
  try {
    for (const step of steps) runStep(step, system);
    return undefined;
  } catch (error) {
    if (error instanceof StepError) return error.message;
    throw error;
  }
}

function runStep(step: Step, system: CniSystem): void {
  switch (step.op) {
    case 'isolate-fs':
      attempt('Failed to stop sharing filesystem attributes with the other threads', () =>
        system.unshare(CLONE_FS),
      );
      return;
    case 'enter':
      enter(system, step.pid, step.ns);
      return;
    case 'mark-root-slave':
      attempt('Failed to mark `/` as a SLAVE mount', () => system.mount(null, '/', MS_SLAVE | MS_REC));
      return;
    case 'bind-host-file':
      bindHostFile(system, step.file, step.source, step.readOnly);
      return;
    case 'bind-rootfs-file':
      bindRootfsFile(system, step.rootfs, step.file, step.source, step.readOnly);
      return;
    case 'set-hostname':
      attempt(`Failed to set the hostname of the container to '${step.hostname}'`, () =>
        system.sethostname(step.hostname),
      );
      return;
    case 'loopback-up':
      loopbackUp(system, step.pid);
      return;
  }
}

function enter(system: CniSystem, pid: number, ns: Namespace): void {
  const prefix = `Failed to enter the ${NAMESPACE_NAMES[ns]} namespace of pid ${pid}`;
  if (!system.exists(`/proc/${pid}`)) throw new StepError(`${prefix}: Pid ${pid} does not exist`);
  const path = `/proc/${pid}/ns/${ns}`;
  if (!system.exists(path)) throw new StepError(`${prefix}: Namespace '${ns}' is not supported`);
  attempt(prefix, () => system.setns(path, NSTYPES[ns]));
}

function bind(system: CniSystem, source: string, target: string, readOnly: boolean): void {
  const prefix = `Failed to bind mount from '${source}' to '${target}'`;
  const flags = BIND_FLAGS | (readOnly ? MS_RDONLY : 0);
  attempt(prefix, () => system.mount(source, target, flags));
  // The kernel takes a new bind's flags from the mount it copies; only a
  // remount of the bind applies ours.
  if (readOnly) {
    attempt(`${prefix}: Read-only remount failed`, () => system.mount(null, target, MS_REMOUNT | flags));
  }
}

function bindHostFile(system: CniSystem, file: NetworkFile, source: string, readOnly: boolean): void {
  if (!system.exists(file)) {
    // Without nameservers to put there, a missing resolv.conf can't be made up.
    if (file === ETC_RESOLV_CONF) {
      throw new StepError(`Mount point '${file}' does not exist on the host filesystem`);
    }
    attempt(`Unable to create missing mount point ${file} on host filesystem`, () => system.createFile(file));
  }
  bind(system, source, file, readOnly);
}

/**
 * Binds `source` at `file` inside `rootfs` without letting the rootfs's own
 * symlinks send the mount (or the files made for it) outside the rootfs:
 * directories are resolved one at a time and must stay under the rootfs's
 * real path, and a symlink at the mount point is replaced by a plain file.
 */
function bindRootfsFile(system: CniSystem, rootfs: string, file: NetworkFile, source: string, readOnly: boolean): void {
  const root = attempt(`Failed to resolve the rootfs '${rootfs}'`, () => system.realpath(rootfs));
  // A rootfs that is the host's own root would have us replace the host's files.
  if (root === '/') throw new StepError(`Refusing to use '${rootfs}' as the rootfs: it resolves to '/'`);
  const outside = (path: string, real: string) =>
    new StepError(`Refusing to bind '${source}' into the rootfs: '${path}' resolves to '${real}', outside '${root}'`);

  let directory = root;
  for (const name of dirname(file).split('/').filter((part) => part !== '')) {
    const next = join(directory, name);
    if (!system.exists(next)) {
      attempt(`Failed to create directory '${next}' for the mount point`, () => system.mkdir(next));
      directory = next;
      continue;
    }
    const real = attempt(`Failed to resolve '${next}' in the rootfs`, () => system.realpath(next));
    if (!within(real, root)) throw outside(next, real);
    directory = real;
  }

  const target = join(directory, basename(file));
  const create = () =>
    attempt(`Failed to create the mount point '${target}' in the container filesystem`, () =>
      system.createFile(target),
    );
  if (!system.exists(target)) {
    create();
  } else if (attempt(`Failed to inspect the mount point '${target}'`, () => system.isSymlink(target))) {
    try {
      system.remove(target);
    } catch {
      throw new StepError(`Failed to remove '${target}' as it's a symbolic link`);
    }
    create();
  }
  const real = attempt(`Failed to resolve the mount point '${target}'`, () => system.realpath(target));
  if (!within(real, root)) throw outside(target, real);
  bind(system, source, target, readOnly);
}

function describeRun(argv: readonly string[], result: RunResult & { started: true }): string {
  const command = `'${argv.join(' ')}'`;
  return result.signal !== null
    ? `${command} was killed by signal ${result.signal}`
    : `${command} exited with status ${result.status}`;
}

function loopbackUp(system: CniSystem, pid: number): void {
  const prefix = `Failed to bring up the loopback interface in the new network namespace of pid ${pid}`;
  let argv = LOOPBACK_UP;
  let result = system.run(argv);
  if (!result.started) {
    // No `ip` (iproute2) here: net-tools' ifconfig does the same.
    const first = result.reason;
    argv = LOOPBACK_UP_FALLBACK;
    result = system.run(argv);
    if (!result.started) {
      throw new StepError(
        `${prefix}: could not start 'ip' (${first}) nor 'ifconfig' (${result.reason})`,
      );
    }
  }
  if (result.signal !== null || result.status !== 0) throw new StepError(`${prefix}: ${describeRun(argv, result)}`);
}
