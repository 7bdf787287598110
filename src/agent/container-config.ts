// A task's container, from what it runs to what supervision needs: the
// launch info (checked as the helper would check it, and against what the
// kernel's execve takes, before anything starts), the paths in its runtime
// directory, its cgroups and limits, and the namespaces to clone. Throws
// ContainerConfigError, one line, for a task that can't be run.
import { join } from 'node:path';
import { parseLaunchInfo } from '../launch/launch-info';
import { cgroupMounts, readMounts } from './cgroups/hierarchies';
import type { CgroupPlacement } from './cgroups/container';
import { execSizeProblem, ownStackLimit } from './exec-limits';
import type { JsonObject } from '../subcommand/flags';
import { buildLaunchInfo, cloneNamespaces, type EtcFiles, type TaskCommand, type TaskRLimit } from './launch-info';
import type { ContainerConfig } from './supervision/container';
import type { TaskOutput } from './supervision/helper';

/** The pids limit a container gets unless told otherwise: enough for any honest task, not for a fork bomb. */
export const DEFAULT_PIDS_LIMIT = 4096;

export class ContainerConfigError extends Error {}

export interface TaskContainer {
  readonly containerId: string;
  readonly runtimeDirectory: string;
  readonly command: TaskCommand;
  readonly environment: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly rootfs?: string;
  /** The sandbox and where it is bound in the rootfs. */
  readonly sandbox?: { readonly source: string; readonly target: string };
  readonly workingDirectory?: string;
  readonly user?: string;
  /**
   * A network namespace of its own with only loopback, and then this
   * hostname; or the host's network. With `networkFiles` its /etc files
   * are someone else's business (the CNI networks' setup), not launch's.
   */
  readonly network:
    | { readonly isolated: true; readonly hostname: string; readonly networkFiles?: 'external' }
    | { readonly isolated: false };
  /** Steps of the container's isolation between its clone and its go-ahead (see ContainerConfig). */
  readonly isolation?: ContainerConfig['isolation'];
  readonly effectiveCapabilities?: readonly string[];
  readonly boundingCapabilities?: readonly string[];
  readonly rlimits?: readonly TaskRLimit[];
  /** The provisioner's overlay of the rootfs, mounted as the container's mount namespace is made; the maskings, /proc's read-only parts, the seccomp profile. */
  readonly rootfsOverlay?: { readonly target: string; readonly options: string };
  readonly maskedPaths?: readonly string[];
  readonly readOnlyProc?: boolean;
  readonly seccompProfile?: JsonObject;
  readonly cpus?: number;
  /** `cpus` as a hard limit too (Mesos's --cgroups_enable_cfs), not only a share. */
  readonly cpuQuota?: boolean;
  readonly memMb?: number;
  readonly pidsLimit: number;
  readonly cgroups: CgroupPlacement;
  readonly stdout: TaskOutput;
  readonly stderr: TaskOutput;
  readonly stderrReadable?: number;
  readonly warn: (message: string) => void;
  readonly onStarting?: () => void;
  readonly onRunning?: () => void;
}

/**
 * The host's cgroup mount points, each once, deepest first: a bind of one
 * over itself then covers a deeper one, which stays out of reach too.
 */
function hostCgroupMounts(): string[] {
  try {
    const points = [...new Set(cgroupMounts(readMounts()).map((mount) => mount.mountPoint))];
    return points.sort((a, b) => b.split('/').length - a.split('/').length);
  } catch {
    return [];
  }
}

export function containerConfig(task: TaskContainer): ContainerConfig {
  const problem = execSizeProblem(task, ownStackLimit());
  if (problem !== undefined) throw new ContainerConfigError(problem);
  const etcFiles: EtcFiles | undefined = task.network.isolated && task.network.networkFiles === undefined
    ? {
        hosts: join(task.runtimeDirectory, 'hosts'),
        hostname: join(task.runtimeDirectory, 'hostname'),
        resolvConf: join(task.runtimeDirectory, 'resolv.conf'),
      }
    : undefined;
  const launchInfo = buildLaunchInfo({
    command: task.command,
    environment: task.environment,
    ...(task.rootfs === undefined ? {} : { rootfs: task.rootfs }),
    ...(task.sandbox === undefined ? {} : { sandbox: task.sandbox }),
    ...(task.workingDirectory === undefined ? {} : { workingDirectory: task.workingDirectory }),
    ...(task.user === undefined ? {} : { user: task.user }),
    isolateNetwork: task.network.isolated,
    ...(task.effectiveCapabilities === undefined ? {} : { effectiveCapabilities: task.effectiveCapabilities }),
    ...(task.boundingCapabilities === undefined ? {} : { boundingCapabilities: task.boundingCapabilities }),
    ...(task.rlimits === undefined ? {} : { rlimits: task.rlimits }),
    ...(etcFiles === undefined ? {} : { etcFiles }),
    readOnlyMounts: hostCgroupMounts(),
    ...(task.maskedPaths === undefined ? {} : { maskedPaths: task.maskedPaths }),
    ...(task.readOnlyProc === undefined ? {} : { readOnlyProc: task.readOnlyProc }),
    ...(task.seccompProfile === undefined ? {} : { seccompProfile: task.seccompProfile }),
  });
  // The helper would refuse a bad launch info after the container exists: refuse it here.
  try {
    parseLaunchInfo(launchInfo, 'task');
  } catch (error) {
    throw new ContainerConfigError((error as Error).message);
  }
  return {
    containerId: task.containerId,
    runtimeDirectory: task.runtimeDirectory,
    launchInfo,
    cloneFlags: cloneNamespaces(task.network.isolated).reduce((sum, flag) => sum | flag, 0),
    ...(task.rootfsOverlay === undefined ? {} : { overlay: task.rootfsOverlay }),
    ...(task.network.isolated ? { hostname: task.network.hostname } : {}),
    ...(etcFiles === undefined || !task.network.isolated
      ? {}
      : { etc: { files: etcFiles, hostname: task.network.hostname, ...(task.rootfs === undefined ? {} : { rootfs: task.rootfs }) } }),
    ...(task.isolation === undefined ? {} : { isolation: task.isolation }),
    cgroups: task.cgroups,
    limits: {
      ...(task.memMb === undefined ? {} : { memoryBytes: task.memMb * 1024 * 1024 }),
      ...(task.cpus === undefined ? {} : { cpus: task.cpus, cpuQuota: task.cpuQuota ?? false }),
      pids: task.pidsLimit,
    },
    stdout: task.stdout,
    stderr: task.stderr,
    ...(task.stderrReadable === undefined ? {} : { stderrReadable: task.stderrReadable }),
    warn: task.warn,
    ...(task.onStarting === undefined ? {} : { onStarting: task.onStarting }),
    ...(task.onRunning === undefined ? {} : { onRunning: task.onRunning }),
  };
}
