// One task in a container on this machine, without a master: what an
// agent's Mesos containerizer does for a task, through our own
// `mesos-containerizer` (see ../supervision/), in mount, pid, uts, ipc
// and cgroup namespaces of its own, and a network namespace with only
// loopback unless the host's network is asked for. Its runtime directory is
// <tmp>/mesos-execute-<container id>, its cgroups mesos-execute-<container
// id> under ours; both go when the task ends, however it ends.
//
//   import { launchTask } from '../src/agent/standalone/task'; // e.g. from test/
//   const task = launchTask({ name: 'hello', command: 'echo hello' });
//   task.on('status', (status) => console.log(status.state));
//   const final = await task.done; // TASK_FINISHED
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { checkRootfs } from '../rootfs';
import { ContainerConfigError, containerConfig, DEFAULT_PIDS_LIMIT } from '../container-config';
import type { TaskCommand, TaskRLimit } from '../launch-info';
import { Container } from '../supervision/container';
import type { TaskOutput } from '../supervision/helper';
import { terminalUpdate } from '../terminal-update';
import { randomUuid } from '../uuid';
import { complain } from '../../subcommand/output';
import { formatResources, type TaskResources } from './resources';
import type { TaskSource, TaskState, TaskStatus } from './status';

export type { TaskReason, TaskSource, TaskState, TaskStatus } from './status';
export { isTerminal } from './status';
export type { TaskResources } from './resources';
export type { TaskRLimit } from '../launch-info';
export type { TaskOutput } from '../supervision/helper';
export { catchesEverySignal } from '../supervision/container';

export interface TaskOptions {
  /** The task's name, and its id unless `taskId` is given (as mesos-execute does). */
  readonly name: string;
  /** A shell command, or with `shell: false` the program to exec. */
  readonly command: string;
  /** Run `command` through `sh -c` (the default), or exec it with `arguments`. */
  readonly shell?: boolean;
  /** With `shell: false`: the argv, argv[0] included; defaults to [command]. */
  readonly arguments?: readonly string[];
  /** Variables set for the task on top of what it inherits. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Whether the task starts from this process's environment (default true, as Mesos's agent does). */
  readonly inheritEnvironment?: boolean;
  /** cpus and mem are enforced through cgroups where the machine has the controllers. */
  readonly resources?: TaskResources;
  /** The most processes the task may have at once (the pids cgroup); default 4096. */
  readonly pidsLimit?: number;
  /** A root filesystem directory; without one the task sees the host's files in private namespaces. */
  readonly rootfs?: string;
  /** The user to run the task as (looked up on the host). */
  readonly user?: string;
  /** The task's working directory (inside the rootfs if it has one); default: ours, or / with a rootfs. */
  readonly workingDirectory?: string;
  /** The container's hostname; default: its container id, as Mesos does. Needs network 'isolated'. */
  readonly hostname?: string;
  /** 'isolated' (default): a network namespace with only loopback. 'host': the host's network. */
  readonly network?: 'isolated' | 'host';
  /** Capability names as in Mesos (`NET_RAW`, `SYS_ADMIN`, ...). */
  readonly effectiveCapabilities?: readonly string[];
  readonly boundingCapabilities?: readonly string[];
  readonly rlimits?: readonly TaskRLimit[];
  /** How long a killed task has between SIGTERM and SIGKILL (default 3000 ms, Mesos's). */
  readonly killGracePeriodMs?: number;
  readonly stdout?: TaskOutput;
  readonly stderr?: TaskOutput;
  readonly taskId?: string;
  /** The id this agent reports; default: one random id per process. */
  readonly agentId?: string;
  /** Called with every status update, as the 'status' event is emitted. */
  readonly onStatus?: (status: TaskStatus) => void;
  /** What can't be honoured as asked (a limit without its cgroup controller...). Default: a line on stderr. */
  readonly onWarning?: (message: string) => void;
}

/** Options that can't describe a task; thrown by launchTask before anything starts. */
export class TaskOptionsError extends Error {}

const DEFAULT_KILL_GRACE_PERIOD_MS = 3000;
const FLAG_PREFIX = 'MESOS_CONTAINERIZER_';

let defaultAgentId: string | undefined;

/** This process's agent id: "<uuid>-S0", the form Mesos gives agents. */
export function localAgentId(): string {
  defaultAgentId ??= `${randomUuid()}-S0`;
  return defaultAgentId;
}

export interface Task {
  on(event: 'status', listener: (status: TaskStatus) => void): this;
  once(event: 'status', listener: (status: TaskStatus) => void): this;
  off(event: 'status', listener: (status: TaskStatus) => void): this;
}

/** One task on the embedded agent; see launchTask. */
export class Task extends EventEmitter {
  readonly taskId: string;
  readonly agentId: string;
  /** The container's id, a UUID; also its default hostname. */
  readonly containerId: string;
  /** The final status update, once the task is over and everything it used is cleaned up. */
  readonly done: Promise<TaskStatus>;
  /** The task's stdout and stderr when asked for as 'pipe'. */
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;

  private lastState: TaskState = 'TASK_STAGING';
  private readonly container: Container;
  private readonly gracePeriodMs: number;

  constructor(private readonly options: TaskOptions) {
    super();
    this.taskId = options.taskId ?? options.name;
    this.agentId = options.agentId ?? localAgentId();
    this.containerId = randomUuid();
    const warn = options.onWarning ?? ((message: string) => complain(message));
    this.gracePeriodMs = options.killGracePeriodMs ?? DEFAULT_KILL_GRACE_PERIOD_MS;
    const checked = checkOptions(options);
    const resources = options.resources ?? {};
    if (resources.disk !== undefined) warn(`Cannot enforce the disk limit (disk:${resources.disk}): disk quotas are not implemented`);
    let config;
    try {
      config = containerConfig({
        containerId: this.containerId,
        // Named after the container, so that the launch info can point into it before it exists.
        runtimeDirectory: join(tmpdir(), `mesos-execute-${this.containerId}`),
        command: checked.command,
        environment: taskEnvironment(options, this.taskId),
        ...(checked.rootfs === undefined ? {} : { rootfs: checked.rootfs }),
        ...(checked.workingDirectory === undefined ? {} : { workingDirectory: checked.workingDirectory }),
        ...(options.user === undefined ? {} : { user: options.user }),
        network: options.network === 'host' ? { isolated: false } : { isolated: true, hostname: options.hostname ?? this.containerId },
        ...(options.effectiveCapabilities === undefined ? {} : { effectiveCapabilities: options.effectiveCapabilities }),
        ...(options.boundingCapabilities === undefined ? {} : { boundingCapabilities: options.boundingCapabilities }),
        ...(options.rlimits === undefined ? {} : { rlimits: options.rlimits }),
        // A developer's `cpus: 0.5` is a limit: half a cpu at most.
        ...(resources.cpus === undefined ? {} : { cpus: resources.cpus, cpuQuota: true }),
        ...(resources.mem === undefined ? {} : { memMb: resources.mem }),
        pidsLimit: options.pidsLimit ?? DEFAULT_PIDS_LIMIT,
        cgroups: { name: `mesos-execute-${this.containerId}` },
        stdout: options.stdout ?? 'inherit',
        stderr: options.stderr ?? 'inherit',
        warn,
        onStarting: () => this.update('TASK_STARTING', 'SOURCE_EXECUTOR'),
        onRunning: () => this.update('TASK_RUNNING', 'SOURCE_EXECUTOR'),
      });
    } catch (error) {
      if (error instanceof ContainerConfigError) throw new TaskOptionsError(error.message);
      throw error;
    }
    // The helper starts now, so that its stdout and stderr streams exist when launchTask returns.
    this.container = new Container(config);
    this.stdout = this.container.stdout;
    this.stderr = this.container.stderr;
    this.done = this.container.ended.then((end) => {
      const { state, source, reason, message, waitStatus, limitationMemMb } = terminalUpdate(end);
      return this.update(state, source, {
        ...(reason === undefined ? {} : { reason }),
        message,
        ...(waitStatus === undefined ? {} : { waitStatus }),
        ...(limitationMemMb === undefined ? {} : { limitation: { mem: limitationMemMb } }),
      });
    });
  }

  /** The latest state reported. */
  get state(): TaskState {
    return this.lastState;
  }

  /** The pid (in our pid namespace) of the container's first process, once it exists. */
  get pid(): number | undefined {
    return this.container.pid;
  }

  /**
   * Kills the task: SIGTERM, then SIGKILL after the grace period (the
   * task's, unless a shorter one is given; a later kill can only hurry an
   * earlier one). Before the task has started the container is simply torn
   * down. Does nothing once the task is over.
   */
  kill(gracePeriodMs?: number): void {
    const grace = Math.min(gracePeriodMs ?? this.gracePeriodMs, this.gracePeriodMs);
    if (this.container.kill(grace)) this.update('TASK_KILLING', 'SOURCE_EXECUTOR');
  }

  private update(state: TaskState, source: TaskSource, details: Partial<TaskStatus> = {}): TaskStatus {
    const status: TaskStatus = {
      taskId: this.taskId,
      agentId: this.agentId,
      containerId: this.containerId,
      state,
      source,
      timestamp: Date.now() / 1000,
      ...details,
    };
    this.lastState = state;
    for (const listener of [this.options.onStatus, (value: TaskStatus) => this.emit('status', value)]) {
      try {
        listener?.(status);
      } catch (error) {
        // A failing listener must not stop the cleanup: it surfaces on its own.
        setImmediate(() => {
          throw error;
        });
      }
    }
    return status;
  }
}

function taskEnvironment(options: TaskOptions, taskId: string): Array<{ name: string; value: string }> {
  const values = new Map<string, string>();
  if (options.inheritEnvironment ?? true) {
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && !name.startsWith(FLAG_PREFIX)) values.set(name, value);
    }
  }
  values.set('MESOS_TASK_ID', taskId);
  for (const [name, value] of Object.entries(options.environment ?? {})) values.set(name, value);
  return [...values].map(([name, value]) => ({ name, value }));
}

interface CheckedOptions {
  command: TaskCommand;
  rootfs?: string;
  workingDirectory?: string;
}

function checkOptions(options: TaskOptions): CheckedOptions {
  const refuse = (message: string): never => {
    throw new TaskOptionsError(message);
  };
  if (options.name === '') refuse('The task needs a name');
  if (options.command === '') refuse('The task needs a command');
  const command: TaskCommand =
    options.shell ?? true
      ? { shell: true, value: options.command }
      : { shell: false, value: options.command, arguments: options.arguments ?? [options.command] };
  if (options.arguments !== undefined && (options.shell ?? true)) refuse('Arguments are only for a task with shell: false');
  const resources = options.resources ?? {};
  for (const name of ['cpus', 'mem', 'disk'] as const) {
    const value = resources[name];
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
      refuse(`Invalid resources '${formatResources(resources)}': ${name} must be a positive number`);
    }
  }
  if (options.pidsLimit !== undefined && !(Number.isInteger(options.pidsLimit) && options.pidsLimit > 0)) {
    refuse('The pids limit must be a positive integer');
  }
  if (options.killGracePeriodMs !== undefined && !(options.killGracePeriodMs >= 0)) refuse('The kill grace period must not be negative');
  if (options.hostname !== undefined) {
    if (options.network === 'host') refuse('A hostname needs a network namespace of its own (network: isolated)');
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/.test(options.hostname)) refuse(`Invalid hostname '${options.hostname}'`);
  }
  const checked: CheckedOptions = { command };
  if (options.rootfs !== undefined) {
    const rootfs = checkRootfs(options.rootfs);
    if (rootfs.problem !== undefined) refuse(rootfs.problem);
    checked.rootfs = rootfs.path!;
  }
  const workingDirectory = options.workingDirectory ?? (options.rootfs === undefined ? process.cwd() : undefined);
  if (workingDirectory !== undefined) {
    if (!workingDirectory.startsWith('/')) refuse(`The working directory '${workingDirectory}' is not an absolute path`);
    checked.workingDirectory = workingDirectory;
  }
  return checked;
}

/** Starts a task on the embedded agent. Throws TaskOptionsError for options that can't describe a task. */
export function launchTask(options: TaskOptions): Task {
  return new Task(options);
}

/** Runs a task to its end; resolves with its final status (TASK_FINISHED, TASK_FAILED, TASK_KILLED). */
export function runTask(options: TaskOptions): Promise<TaskStatus> {
  return launchTask(options).done;
}
