// What the agent hands `mesos-containerizer launch`: the ContainerLaunchInfo
// of a task, rendered as stout renders protobuf JSON, with the namespaces to
// clone and the mounts a modern Mesos agent prepares (a fresh proc for the
// new pid namespace; with a root filesystem also sysfs, a tmpfs /dev with
// the basic devices from the host, devpts and /dev/shm; and the container's
// own /etc/hosts, /etc/hostname and, in a root filesystem, /etc/resolv.conf,
// bound read-only from the runtime directory; in a root filesystem also
// the sandbox, bound where the agent's --sandbox_directory says). A
// container that sees the host's files sees the host's cgroup filesystems
// read-only.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLONE_NEWCGROUP,
  CLONE_NEWIPC,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWPID,
  CLONE_NEWUTS,
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_REC,
  MS_STRICTATIME,
} from '../../native/libc';
import { DEVICE_LINKS, STANDARD_DEVICES } from '../launch/filesystem';
import type { JsonObject, JsonValue } from '../subcommand/flags';

export type TaskCommand =
  /** Run through `sh -c`. */
  | { readonly shell: true; readonly value: string }
  /** Exec `value` with `arguments` as its argv (argv[0] included). */
  | { readonly shell: false; readonly value: string; readonly arguments: readonly string[] };

/**
 * One resource limit, as Mesos's RLimitInfo.RLimit: both bounds or neither
 * (unlimited). A bound past 2^53 is given as a string of decimal digits.
 */
export interface TaskRLimit {
  /** `RLMT_NOFILE`, `RLMT_CPU`, ... */
  readonly type: string;
  readonly soft?: number | string;
  readonly hard?: number | string;
}

export interface LaunchSpec {
  readonly command: TaskCommand;
  /** The task's whole environment, in order (a later duplicate wins). */
  readonly environment: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  /** The real, absolute path of the root filesystem; none means the host's. */
  readonly rootfs?: string;
  /** The task's sandbox, bound at `target` (a path in the rootfs) when it has one: Mesos's --sandbox_directory. */
  readonly sandbox?: { readonly source: string; readonly target: string };
  readonly workingDirectory?: string;
  readonly user?: string;
  /** A network namespace of its own (loopback only) rather than the host's. */
  readonly isolateNetwork: boolean;
  readonly effectiveCapabilities?: readonly string[];
  readonly boundingCapabilities?: readonly string[];
  readonly rlimits?: readonly TaskRLimit[];
  /** Files the agent wrote for the container's /etc; none keeps what the host or the rootfs has. */
  readonly etcFiles?: EtcFiles;
  /** Mount points of the host bound read-only over themselves (without a rootfs): its cgroup filesystems. */
  readonly readOnlyMounts?: readonly string[];
  /** Paths as the task sees them ('/proc/kcore'), hidden from it. */
  readonly maskedPaths?: readonly string[];
  /** /proc/sys, /proc/sysrq-trigger and friends read-only; default: with a rootfs only. */
  readonly readOnlyProc?: boolean;
  /** A ContainerSeccompProfile, as launch info JSON. */
  readonly seccompProfile?: JsonObject;
}

/** Files of the runtime directory bound over the container's /etc files. */
export interface EtcFiles {
  readonly hosts: string;
  readonly hostname: string;
  /** Bound in a rootfs only: without one the host's own is in sight. */
  readonly resolvConf: string;
}

/**
 * The namespaces every container gets: mount, pid, uts, ipc, cgroup (rooted
 * at the container's own cgroups), and net unless it shares the host's.
 */
export function cloneNamespaces(isolateNetwork: boolean): number[] {
  const namespaces = [CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWCGROUP];
  if (isolateNetwork) namespaces.push(CLONE_NEWNET);
  return namespaces;
}

interface Mount {
  readonly source?: string;
  readonly target: string;
  readonly type?: string;
  readonly flags: number;
  readonly options?: string;
}

function mountJson(mount: Mount): JsonObject {
  const json: JsonObject = {};
  if (mount.source !== undefined) json['source'] = mount.source;
  json['target'] = mount.target;
  if (mount.type !== undefined) json['type'] = mount.type;
  json['flags'] = mount.flags;
  if (mount.options !== undefined) json['options'] = mount.options;
  return json;
}

const PSEUDO = MS_NOSUID | MS_NOEXEC | MS_NODEV;
/** launch remounts such a bind, so that read-only really applies. */
const READ_ONLY_BIND = MS_BIND | MS_RDONLY | PSEUDO;

/** Parts of the host's /proc a task may read but not change. */
const READ_ONLY_PROC = ['bus', 'fs', 'irq', 'sys', 'sysrq-trigger'];

/** Binds of the parts of a fresh /proc (under `at`) that act on the whole machine, each read-only over itself. */
function readOnlyProcMounts(at: (path: string) => string): Mount[] {
  const mounts: Mount[] = [];
  for (const name of READ_ONLY_PROC) {
    // Only what this kernel has: a bind of a missing file would fail the launch.
    if (!existsSync(`/proc/${name}`)) continue;
    const path = at(`/proc/${name}`);
    mounts.push({ source: path, target: path, flags: READ_ONLY_BIND });
  }
  return mounts;
}

function hostFilesystemMounts(readOnlyProc: boolean): Mount[] {
  return [
    // The host's /proc shows the host's pids: the new pid namespace needs its own.
    { source: 'proc', target: '/proc', type: 'proc', flags: PSEUDO },
    ...(readOnlyProc ? readOnlyProcMounts((path) => path) : []),
    // POSIX shared memory of the host stays out of a private IPC namespace.
    { source: 'tmpfs', target: '/dev/shm', type: 'tmpfs', flags: MS_NOSUID | MS_NODEV | MS_STRICTATIME, options: 'mode=1777' },
  ];
}

function rootfsMounts(rootfs: string, readOnlyProc: boolean): Mount[] {
  const inRoot = (path: string) => join(rootfs, path);
  const mounts: Mount[] = [
    // pivot_root needs the new root to be a mount point of its own. No device
    // node of the image (or one the task makes) opens there: there is no
    // device cgroup to make it useless, as Docker's is; /dev is a mount of its own.
    { source: rootfs, target: rootfs, flags: MS_BIND | MS_REC | MS_NODEV },
    { source: 'proc', target: inRoot('/proc'), type: 'proc', flags: PSEUDO },
    // Many of these files act on the whole machine.
    ...(readOnlyProc ? readOnlyProcMounts(inRoot) : []),
  ];
  mounts.push(
    { source: 'sysfs', target: inRoot('/sys'), type: 'sysfs', flags: MS_RDONLY | PSEUDO },
    { source: 'tmpfs', target: inRoot('/dev'), type: 'tmpfs', flags: MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, options: 'mode=755' },
    {
      source: 'devpts',
      target: inRoot('/dev/pts'),
      type: 'devpts',
      flags: MS_NOSUID | MS_NOEXEC,
      // gid 5 is the tty group everywhere, so grantpt(3) needs no helper.
      options: 'newinstance,ptmxmode=0666,mode=0620,gid=5',
    },
    { source: 'tmpfs', target: inRoot('/dev/shm'), type: 'tmpfs', flags: MS_NOSUID | MS_NODEV | MS_STRICTATIME, options: 'mode=1777' },
  );
  for (const device of STANDARD_DEVICES) {
    mounts.push({ source: `/dev/${device}`, target: inRoot(`/dev/${device}`), flags: MS_BIND });
  }
  return mounts;
}

/**
 * The sandbox in a root filesystem, as Mesos's filesystem/linux isolator
 * binds it (launch makes the missing mount point, inside the root). The
 * sandbox is the host's: no device node opens there and no set-id bit
 * counts (the agent also keeps the host's way to it to root alone).
 */
function sandboxMount(sandbox: { readonly source: string; readonly target: string }, rootfs: string): Mount {
  return { source: sandbox.source, target: join(rootfs, sandbox.target), flags: MS_BIND | MS_REC | MS_NODEV | MS_NOSUID };
}

/**
 * Mesos's network isolators give a container with a hostname of its own
 * these files; the mounts happen in the container's mount namespace (made
 * rslave first), so the host's files stay as they are. launch creates a
 * missing target.
 */
function etcMounts(files: EtcFiles, rootfs: string | undefined): Mount[] {
  const at = (path: string) => (rootfs === undefined ? path : join(rootfs, path));
  const mounts: Mount[] = [
    { source: files.hosts, target: at('/etc/hosts'), flags: READ_ONLY_BIND },
    { source: files.hostname, target: at('/etc/hostname'), flags: READ_ONLY_BIND },
  ];
  if (rootfs !== undefined) mounts.push({ source: files.resolvConf, target: at('/etc/resolv.conf'), flags: READ_ONLY_BIND });
  return mounts;
}

/** Builds the `--launch_info` JSON of a container. */
export function buildLaunchInfo(spec: LaunchSpec): JsonObject {
  const command: JsonObject =
    spec.command.shell
      ? { shell: true, value: spec.command.value }
      : { shell: false, value: spec.command.value, arguments: [...spec.command.arguments] };
  const info: JsonObject = {
    command,
    environment: { variables: spec.environment.map(({ name, value }) => ({ name, value, type: 'VALUE' })) },
    clone_namespaces: cloneNamespaces(spec.isolateNetwork),
    mounts: [
      ...(spec.rootfs === undefined ? hostFilesystemMounts(spec.readOnlyProc ?? false) : rootfsMounts(spec.rootfs, spec.readOnlyProc ?? true)),
      ...(spec.rootfs === undefined || spec.sandbox === undefined ? [] : [sandboxMount(spec.sandbox, spec.rootfs)]),
      ...(spec.etcFiles === undefined ? [] : etcMounts(spec.etcFiles, spec.rootfs)),
      ...(spec.rootfs === undefined ? (spec.readOnlyMounts ?? []).map((path): Mount => ({ source: path, target: path, flags: READ_ONLY_BIND })) : []),
    ].map(mountJson),
  };
  if (spec.rootfs !== undefined) {
    info['rootfs'] = spec.rootfs;
    info['file_operations'] = DEVICE_LINKS.map(([source, name]) => ({
      operation: 'SYMLINK',
      symlink: { source, target: join(spec.rootfs!, 'dev', name) },
    }));
  }
  if (spec.maskedPaths !== undefined && spec.maskedPaths.length > 0) {
    info['masked_paths'] = spec.maskedPaths.map((path) => (spec.rootfs === undefined ? path : join(spec.rootfs, path)));
  }
  if (spec.seccompProfile !== undefined) info['seccomp_profile'] = spec.seccompProfile;
  if (spec.workingDirectory !== undefined) info['working_directory'] = spec.workingDirectory;
  if (spec.user !== undefined) info['user'] = spec.user;
  if (spec.effectiveCapabilities !== undefined) info['effective_capabilities'] = { capabilities: [...spec.effectiveCapabilities] };
  if (spec.boundingCapabilities !== undefined) info['bounding_capabilities'] = { capabilities: [...spec.boundingCapabilities] };
  if (spec.rlimits !== undefined) {
    info['rlimits'] = {
      rlimits: spec.rlimits.map((limit): JsonValue => {
        const json: JsonObject = { type: limit.type };
        if (limit.soft !== undefined) json['soft'] = limit.soft;
        if (limit.hard !== undefined) json['hard'] = limit.hard;
        return json;
      }),
    };
  }
  return info;
}
