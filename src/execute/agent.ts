// The embedded agent: runs one task on this machine the way a Mesos agent's
// Mesos containerizer does, through our own `mesos-containerizer`. For each
// task it makes a runtime directory and a control pipe, starts
// `mesos-containerizer launch` as pid 1 of new mount, pid, uts and ipc
// namespaces (and a network namespace with only loopback, up, unless the
// host's network is asked for; the clone program sets the hostname there),
// hands it its flags as MESOS_CONTAINERIZER_* variables, with the
// container's /etc/hosts and /etc/hostname among its mounts. While the
// helper's Node starts, it makes the cgroups and writes those files; then it
// puts the helper in the cgroups, releases the pipe and, when the helper is
// gone, reads the task's wait status from <runtime dir>/status. Everything
// it made is removed when the task ends, however it ends.
//
//   import { launchTask } from '../src/execute/agent'; // e.g. from test/
//   const task = launchTask({ name: 'hello', command: 'echo hello' });
//   task.on('status', (status) => console.log(status.state));
//   const final = await task.done; // TASK_FINISHED
import { spawn, type ChildProcess, type StdioNull, type StdioPipe } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { lstatSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { parseLaunchInfo } from '../launch/launch-info';
import type { JsonObject } from '../subcommand/flags';
import { complain } from '../subcommand/output';
import { ContainerCgroups } from './cgroups';
import { buildLaunchInfo, cloneNamespaces, type EtcFiles, type TaskCommand, type TaskRLimit } from './container';
import { clonePath, containerizerPath } from './paths';
import { formatResources, type TaskResources } from './resources';
import {
  describeWaitStatus,
  exitCodeOf,
  exitedNormally,
  formatBytes,
  signalDescription,
  termSignalOf,
  type TaskSource,
  type TaskState,
  type TaskStatus,
} from './status';
import { randomUuid } from './uuid';

export type { TaskReason, TaskSource, TaskState, TaskStatus } from './status';
export { isTerminal } from './status';
export type { TaskResources } from './resources';
export type { TaskRLimit } from './container';

/** Where a task's stdout or stderr goes: ours, nowhere, a stream on the Task, or an open fd. */
export type TaskOutput = 'inherit' | StdioNull | StdioPipe | number;

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
const OOM_POLL_INTERVAL_MS = 200;
const TERM_RETRY_MS = 10;
/** The fds of the helper, as the agent hands them over. */
const PID_FD = 3;
const PIPE_READ_FD = 4;
const PIPE_WRITE_FD = 5;
const FLAG_PREFIX = 'MESOS_CONTAINERIZER_';

let defaultAgentId: string | undefined;

/** Clean-ups of the tasks still running, should our process exit under them. */
const whenProcessExits = new Set<() => void>();
process.on('exit', () => {
  for (const abandon of whenProcessExits) {
    try {
      abandon();
    } catch {
      // Exiting anyway: the rest still gets its chance.
    }
  }
});

/** This process's agent id: "<uuid>-S0", the form Mesos gives agents. */
export function localAgentId(): string {
  defaultAgentId ??= `${randomUuid()}-S0`;
  return defaultAgentId;
}

/** A failure to start the container; the message follows "Failed to launch container: ". */
class LaunchError extends Error {}

type Phase = 'launching' | 'running' | 'done';

/** A terminal update before it is stamped with the task's ids. */
type TerminalUpdate = Pick<TaskStatus, 'state' | 'source'> &
  Partial<Pick<TaskStatus, 'reason' | 'message' | 'waitStatus' | 'limitation'>>;

/** What a task made on the machine, for the cleanup. */
interface Made {
  runtimeDirectory?: string;
  cgroups?: ContainerCgroups;
  exited?: Promise<Exit>;
  oomWatch?: NodeJS.Timeout;
}

function launchFailure(error: unknown): TerminalUpdate {
  return {
    state: 'TASK_FAILED',
    source: 'SOURCE_AGENT',
    reason: 'REASON_CONTAINER_LAUNCH_FAILED',
    message: `Failed to launch container: ${error instanceof Error ? error.message : String(error)}`,
  };
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The helper, started and waiting on its control pipe. */
interface Started {
  /** Its pid, once the clone program has said it. */
  pid: Promise<number>;
  exited: Promise<Exit>;
  /** Writes the byte the helper waits for. */
  release(): void;
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
  stdout: Readable | null = null;
  stderr: Readable | null = null;

  private phase: Phase = 'launching';
  private lastState: TaskState = 'TASK_STAGING';
  private killRequested = false;
  private helperPid: number | undefined;
  private clone: ChildProcess | undefined;
  private escalation: NodeJS.Timeout | undefined;
  private termRetry: NodeJS.Timeout | undefined;
  private readonly launchInfo: JsonObject;
  private readonly hostname: string | undefined;
  private readonly rootfs: string | undefined;
  private readonly runtimeDirectory: string;
  private readonly etcFiles: EtcFiles | undefined;
  private readonly gracePeriodMs: number;
  private readonly warn: (message: string) => void;

  constructor(private readonly options: TaskOptions) {
    super();
    this.taskId = options.taskId ?? options.name;
    this.agentId = options.agentId ?? localAgentId();
    this.containerId = randomUuid();
    this.warn = options.onWarning ?? ((message) => complain(message));
    this.gracePeriodMs = options.killGracePeriodMs ?? DEFAULT_KILL_GRACE_PERIOD_MS;
    const checked = checkOptions(options);
    this.rootfs = checked.rootfs;
    const isolateNetwork = options.network !== 'host';
    this.hostname = isolateNetwork ? (options.hostname ?? this.containerId) : undefined;
    // Named after the container, so that the launch info can point into it before it exists.
    this.runtimeDirectory = join(tmpdir(), `mesos-execute-${this.containerId}`);
    this.etcFiles =
      this.hostname === undefined
        ? undefined
        : {
            hosts: join(this.runtimeDirectory, 'hosts'),
            hostname: join(this.runtimeDirectory, 'hostname'),
            resolvConf: join(this.runtimeDirectory, 'resolv.conf'),
          };
    this.launchInfo = buildLaunchInfo({
      command: checked.command,
      environment: taskEnvironment(options, this.taskId),
      ...(checked.rootfs === undefined ? {} : { rootfs: checked.rootfs }),
      ...(checked.workingDirectory === undefined ? {} : { workingDirectory: checked.workingDirectory }),
      ...(options.user === undefined ? {} : { user: options.user }),
      isolateNetwork,
      ...(options.effectiveCapabilities === undefined ? {} : { effectiveCapabilities: options.effectiveCapabilities }),
      ...(options.boundingCapabilities === undefined ? {} : { boundingCapabilities: options.boundingCapabilities }),
      ...(options.rlimits === undefined ? {} : { rlimits: options.rlimits }),
      ...(this.etcFiles === undefined ? {} : { etcFiles: this.etcFiles }),
    });
    // The helper would refuse a bad launch info after the container exists: refuse it here.
    try {
      parseLaunchInfo(this.launchInfo, 'task');
    } catch (error) {
      throw new TaskOptionsError((error as Error).message);
    }
    // The helper starts now, so that its stdout and stderr streams exist when launchTask returns.
    const made: Made = {};
    let started: Started | undefined;
    let startFailure: unknown;
    try {
      started = this.start(made);
    } catch (error) {
      startFailure = error;
    }
    const abandon = () => this.abandon(made);
    whenProcessExits.add(abandon);
    this.done = this.run(made, started, startFailure).finally(() => whenProcessExits.delete(abandon));
  }

  /**
   * Our process is exiting with the task still on: end the container and
   * remove what can be removed synchronously (the clone program also kills
   * the container when we are gone).
   */
  private abandon(made: Made): void {
    this.signalHelper('SIGKILL');
    if (made.runtimeDirectory !== undefined) rmSync(made.runtimeDirectory, { recursive: true, force: true });
    made.cgroups?.removeNow();
  }

  /** The latest state reported. */
  get state(): TaskState {
    return this.lastState;
  }

  /** The pid (in our pid namespace) of the container's first process, once it exists. */
  get pid(): number | undefined {
    return this.helperPid;
  }

  /**
   * Kills the task: SIGTERM, then SIGKILL after the grace period (the
   * task's, unless a shorter one is given). Before the task has started the
   * container is simply torn down. Does nothing once the task is over.
   */
  kill(gracePeriodMs?: number): void {
    if (this.phase === 'done') return;
    if (this.phase === 'launching') {
      this.killRequested = true;
      // The launch stops at its next step; the helper waits on the pipe until then.
      if (this.helperPid !== undefined) this.signalHelper('SIGKILL');
      return;
    }
    const grace = Math.min(gracePeriodMs ?? this.gracePeriodMs, this.gracePeriodMs);
    if (this.killRequested) {
      // A second kill can only hurry the first.
      if (gracePeriodMs !== undefined && gracePeriodMs <= 0) this.escalate();
      return;
    }
    this.killRequested = true;
    this.update('TASK_KILLING', 'SOURCE_EXECUTOR');
    if (grace <= 0) {
      this.escalate();
      return;
    }
    this.escalation = setTimeout(() => this.escalate(), grace);
    this.terminate();
  }

  /**
   * SIGTERM to the helper, which forwards it to the task. The first process
   * of a pid namespace only gets the signals it handles, and handlers Node
   * installs at start-up re-raise the signal, which such a process ignores:
   * the signal waits until the helper catches every signal, as `launch` and
   * its waiter do once they run.
   */
  private terminate(): void {
    this.termRetry = undefined;
    if (this.phase === 'done' || this.escalation === undefined || this.helperPid === undefined) return;
    if (catchesEverySignal(this.helperPid)) this.signalHelper('SIGTERM');
    else this.termRetry = setTimeout(() => this.terminate(), TERM_RETRY_MS);
  }

  private escalate(): void {
    if (this.escalation !== undefined) clearTimeout(this.escalation);
    if (this.termRetry !== undefined) clearTimeout(this.termRetry);
    this.escalation = undefined;
    this.termRetry = undefined;
    // SIGKILL to the first process of a pid namespace ends every process in it.
    this.signalHelper('SIGKILL');
  }

  private signalHelper(signal: NodeJS.Signals): void {
    const clone = this.clone;
    if (this.helperPid === undefined || clone === undefined || clone.exitCode !== null || clone.signalCode !== null) return;
    try {
      process.kill(this.helperPid, signal);
    } catch {
      // Already gone.
    }
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

  private async run(made: Made, started: Started | undefined, startFailure: unknown): Promise<TaskStatus> {
    // Listeners attached right after launchTask() returns see every update.
    await null;
    let outcome: TerminalUpdate;
    try {
      outcome = started === undefined ? launchFailure(startFailure) : await this.launchAndWait(made, started);
    } catch (error) {
      outcome = launchFailure(error);
    } finally {
      if (made.oomWatch !== undefined) clearInterval(made.oomWatch);
      if (this.escalation !== undefined) clearTimeout(this.escalation);
      if (this.termRetry !== undefined) clearTimeout(this.termRetry);
      await this.cleanUp(made);
    }
    this.phase = 'done';
    const { state, source, ...details } = outcome;
    return this.update(state, source, details);
  }

  /**
   * The synchronous part of the launch: the runtime directory (the helper
   * opens its status file there first thing) and the helper. Everything
   * else is done while the helper's Node starts up.
   */
  private start(made: Made): Started {
    mkdirSync(this.runtimeDirectory, { mode: 0o700 });
    made.runtimeDirectory = this.runtimeDirectory;
    const started = this.startHelper(this.runtimeDirectory);
    made.exited = started.exited;
    return started;
  }

  private async launchAndWait(made: Made, started: Started): Promise<TerminalUpdate> {
    const runtimeDirectory = made.runtimeDirectory!;
    // The helper changes nothing until the pipe is released: these can't come too late.
    const cgroups = (made.cgroups = this.createCgroups());
    try {
      if (this.etcFiles !== undefined) writeEtcFiles(this.etcFiles, this.hostname!, this.rootfs);
      const pid = await started.pid;
      this.helperPid = pid;
      if (this.killRequested) return await this.killedDuringLaunch(started);
      cgroups.attach(pid);
    } catch (error) {
      // A kill tears the container down under the steps still running: they fail for that reason.
      if (this.killRequested) return await this.killedDuringLaunch(started);
      await this.endHelper(started);
      return launchFailure(error);
    }
    this.update('TASK_STARTING', 'SOURCE_EXECUTOR');
    started.release();
    this.phase = 'running';
    this.update('TASK_RUNNING', 'SOURCE_EXECUTOR');

    const memoryWatched = cgroups.enforced.includes('memory');
    let oomDetected = false;
    if (memoryWatched) {
      // As Mesos's memory isolator does: an OOM kill anywhere in the container ends the container.
      made.oomWatch = setInterval(() => {
        if (!oomDetected && cgroups.oomKills() > 0) {
          oomDetected = true;
          this.escalate();
        }
      }, OOM_POLL_INTERVAL_MS);
    }
    const exit = await started.exited.catch((error: Error): Exit => {
      this.warn(`Failed to watch the container: ${error.message}`);
      return { code: null, signal: null };
    });
    oomDetected ||= memoryWatched && cgroups.oomKills() > 0;
    return this.terminalUpdate(exit, readStatus(runtimeDirectory), oomDetected ? cgroups : undefined);
  }

  private createCgroups(): ContainerCgroups {
    const resources = this.options.resources ?? {};
    if (resources.disk !== undefined) this.warn(`Cannot enforce the disk limit (disk:${resources.disk}): disk quotas are not implemented`);
    return ContainerCgroups.create(
      `mesos-execute-${this.containerId}`,
      {
        ...(resources.mem === undefined ? {} : { memoryBytes: resources.mem * 1024 * 1024 }),
        ...(resources.cpus === undefined ? {} : { cpus: resources.cpus }),
      },
      (message) => this.warn(message),
    );
  }

  /** Starts the helper in its namespaces; it waits on the control pipe until `release`. */
  private startHelper(runtimeDirectory: string): Started {
    const env = helperEnvironment();
    env[`${FLAG_PREFIX}LAUNCH_INFO`] = JSON.stringify(this.launchInfo);
    env[`${FLAG_PREFIX}PIPE_READ`] = String(PIPE_READ_FD);
    env[`${FLAG_PREFIX}PIPE_WRITE`] = String(PIPE_WRITE_FD);
    env[`${FLAG_PREFIX}RUNTIME_DIRECTORY`] = runtimeDirectory;

    const flags = cloneNamespaces(this.options.network !== 'host').reduce((sum, flag) => sum | flag, 0);
    const hostname = this.hostname === undefined ? [] : [`--hostname=${this.hostname}`];
    const clone = spawn(
      clonePath(),
      [String(flags), String(PID_FD), ...hostname, '--', process.execPath, containerizerPath(), 'launch'],
      {
        // Fds 3-5 are sockets: the pid comes back on 3; 4 and 5 are the helper's control pipe.
        stdio: ['ignore', this.options.stdout ?? 'inherit', this.options.stderr ?? 'inherit', 'pipe', 'pipe', 'pipe'],
        env,
        // A session of its own: a Ctrl-C at our terminal is ours to turn into a kill.
        detached: true,
      },
    );
    this.clone = clone;
    this.stdout = clone.stdout;
    this.stderr = clone.stderr;
    const sockets = clone.stdio as unknown as ReadonlyArray<Readable & Writable>;
    const pidSocket = sockets[PID_FD]!;
    const pipeRead = sockets[PIPE_READ_FD]!;
    const pipeWrite = sockets[PIPE_WRITE_FD]!;
    // Our end of the helper's write end is never used: the helper only closes its own.
    pipeWrite.destroy();
    // The helper may be gone before we write; that shows in its exit, not here.
    for (const socket of [pidSocket, pipeRead]) socket.on('error', () => undefined);

    const exited = new Promise<Exit>((resolve, reject) => {
      clone.once('exit', (code, signal) => resolve({ code, signal }));
      clone.once('error', reject);
    });
    const pid = new Promise<number>((resolve, reject) => {
      let text = '';
      pidSocket.setEncoding('utf8');
      pidSocket.on('data', (chunk: string) => (text += chunk));
      // Not started at all: there may be no socket events to wait for.
      exited.catch((error: Error) => reject(new LaunchError(`failed to start the clone program: ${error.message}`)));
      pidSocket.once('close', () => {
        const value = Number(text.trim());
        if (/^\d+$/.test(text.trim()) && value > 0) {
          resolve(value);
          return;
        }
        // No pid: the clone program or its child failed and said why on the task's stderr.
        void exited.then(
          (exit) => reject(new LaunchError(`failed to start the helper in the container's namespaces (${describeExit(exit)})`)),
          () => undefined,
        );
      });
    });
    const release = () => {
      // The one byte the helper waits for; then our end is done.
      pipeRead.end(Buffer.of(0));
    };
    return { pid, exited, release };
  }

  /**
   * Kills the helper and waits for its end. A step may fail before its pid
   * is known: the pid comes soon after, or the clone program ends by itself.
   */
  private async endHelper(started: Started): Promise<void> {
    this.helperPid ??= await started.pid.catch(() => undefined);
    this.signalHelper('SIGKILL');
    await started.exited.catch(() => undefined);
  }

  private async killedDuringLaunch(started: Started): Promise<TerminalUpdate> {
    await this.endHelper(started);
    return {
      state: 'TASK_KILLED',
      source: 'SOURCE_AGENT',
      reason: 'REASON_TASK_KILLED_DURING_LAUNCH',
      message: 'Killed before the task was started',
    };
  }

  /** The terminal update, from how the helper ended and the status it checkpointed. */
  private terminalUpdate(exit: Exit, waitStatus: number | undefined, oomCgroups: ContainerCgroups | undefined): TerminalUpdate {
    if (oomCgroups !== undefined) {
      const { limit, maxUsed } = oomCgroups.memoryUsage();
      let message = 'Memory limit exceeded: ';
      if (limit !== undefined) message += `Requested: ${formatBytes(limit)} `;
      if (maxUsed !== undefined) message += `Maximum Used: ${formatBytes(maxUsed)}`;
      return {
        state: 'TASK_FAILED',
        source: 'SOURCE_AGENT',
        reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
        message: message.trimEnd(),
        ...(waitStatus === undefined ? {} : { waitStatus }),
        limitation: { mem: Math.floor((maxUsed ?? limit ?? 0) / (1024 * 1024)) },
      };
    }
    // The helper's waiter exits 0 after checkpointing the task's status; anything else is the helper's own end.
    if (exit.code === 0 && waitStatus !== undefined) {
      const succeeded = exitedNormally(waitStatus) && exitCodeOf(waitStatus) === 0;
      const state: TaskState = succeeded ? 'TASK_FINISHED' : this.killRequested ? 'TASK_KILLED' : 'TASK_FAILED';
      return { state, source: 'SOURCE_EXECUTOR', message: `Command ${describeWaitStatus(waitStatus)}`, waitStatus };
    }
    const helperSignal = exit.code !== null && exit.code > 128 ? exit.code - 128 : undefined;
    if (this.killRequested) {
      // Killed before the task was exec'd (the helper checkpointed the signal), or the
      // whole container was, after the grace period (nobody was left to checkpoint it).
      const status = waitStatus ?? helperSignal ?? 9;
      return { state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', message: `Command ${describeWaitStatus(status)}`, waitStatus: status };
    }
    let why: string;
    if (waitStatus !== undefined && !exitedNormally(waitStatus)) {
      why = `the helper was terminated with signal ${signalDescription(termSignalOf(waitStatus))} before the task started`;
    } else if (helperSignal !== undefined) {
      why = `the helper was terminated with signal ${signalDescription(helperSignal)}`;
    } else {
      why = `mesos-containerizer launch ${describeExit(exit)} (see its error above)`;
    }
    return { state: 'TASK_FAILED', source: 'SOURCE_AGENT', reason: 'REASON_CONTAINER_LAUNCH_FAILED', message: `Failed to launch container: ${why}` };
  }

  private async cleanUp(made: Made): Promise<void> {
    const clone = this.clone;
    if (made.exited !== undefined && clone !== undefined && clone.exitCode === null && clone.signalCode === null) {
      // Only after a failure of ours: nothing of the container may outlive our interest in it.
      if (this.helperPid !== undefined) this.signalHelper('SIGKILL');
      else clone.kill('SIGKILL');
      await made.exited.catch(() => undefined);
    }
    const sockets = (clone?.stdio ?? []) as unknown as ReadonlyArray<Readable | null | undefined>;
    for (const index of [PID_FD, PIPE_READ_FD, PIPE_WRITE_FD]) sockets[index]?.destroy();
    if (made.cgroups !== undefined) {
      for (const path of await made.cgroups.destroy()) this.warn(`Failed to remove cgroup '${path}'`);
    }
    if (made.runtimeDirectory !== undefined) {
      try {
        rmSync(made.runtimeDirectory, { recursive: true, force: true });
      } catch (error) {
        this.warn(`Failed to remove the runtime directory '${made.runtimeDirectory}': ${(error as Error).message}`);
      }
    }
  }
}

function describeExit(exit: Exit): string {
  if (exit.signal !== null) return `was terminated by ${exit.signal}`;
  return `exited with status ${exit.code}`;
}

/**
 * Whether `pid` handles every signal from 1 to 31 but SIGKILL, SIGCHLD and
 * SIGSTOP (SigCgt in /proc/<pid>/status): what the helper does once it runs.
 */
export function catchesEverySignal(pid: number): boolean {
  const uncatchable = (1n << 8n) | (1n << 16n) | (1n << 18n);
  const wanted = ((1n << 31n) - 1n) & ~uncatchable;
  try {
    const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return mask !== undefined && (BigInt(`0x${mask}`) & wanted) === wanted;
  } catch {
    return false;
  }
}

/** The decimal wait status the helper checkpointed, if it did. */
function readStatus(runtimeDirectory: string): number | undefined {
  try {
    const text = readFileSync(join(runtimeDirectory, 'status'), 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
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
  if (options.killGracePeriodMs !== undefined && !(options.killGracePeriodMs >= 0)) refuse('The kill grace period must not be negative');
  if (options.hostname !== undefined) {
    if (options.network === 'host') refuse('A hostname needs a network namespace of its own (network: isolated)');
    if (!/^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$/.test(options.hostname)) refuse(`Invalid hostname '${options.hostname}'`);
  }
  const checked: CheckedOptions = { command };
  if (options.rootfs !== undefined) {
    let real: string;
    try {
      real = realpathSync(options.rootfs);
    } catch {
      return refuse(`Root filesystem '${options.rootfs}' does not exist`);
    }
    if (!statSync(real).isDirectory()) refuse(`Root filesystem '${options.rootfs}' is not a directory`);
    if (real === '/') refuse(`Root filesystem '${options.rootfs}' is the host's own root: leave --rootfs out instead`);
    checked.rootfs = real;
  }
  const workingDirectory = options.workingDirectory ?? (options.rootfs === undefined ? process.cwd() : undefined);
  if (workingDirectory !== undefined) {
    if (!workingDirectory.startsWith('/')) refuse(`The working directory '${workingDirectory}' is not an absolute path`);
    checked.workingDirectory = workingDirectory;
  }
  return checked;
}

/**
 * The container's /etc/hosts and /etc/hostname and, with a rootfs, the
 * host's name servers, as Mesos's network isolators write them; launch binds
 * them over the container's own (see container.ts).
 */
function writeEtcFiles(files: EtcFiles, hostname: string, rootfs: string | undefined): void {
  writeFileSync(files.hosts, `127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n127.0.1.1 ${hostname}\n`);
  writeFileSync(files.hostname, `${hostname}\n`);
  if (rootfs === undefined) return;
  let nameservers = '';
  try {
    nameservers = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // Loopback only: no name server could be reached anyway.
  }
  writeFileSync(files.resolvConf, nameservers);
  replaceEtcSymlinks(rootfs);
}

/**
 * A symlink where a file is bound in the rootfs would take the bind
 * wherever it leads: as Mesos does, it becomes an empty file. An /etc that
 * leads out of the rootfs is left alone, for launch to refuse.
 */
function replaceEtcSymlinks(rootfs: string): void {
  let etc: string;
  try {
    etc = realpathSync(join(rootfs, 'etc'));
  } catch {
    return;
  }
  if (!etc.startsWith(`${rootfs}/`)) return;
  for (const name of ['hosts', 'hostname', 'resolv.conf']) {
    const path = join(etc, name);
    try {
      if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() !== true) continue;
      unlinkSync(path);
      // Exclusive: nothing put there meanwhile is followed.
      writeFileSync(path, '', { flag: 'wx' });
    } catch (error) {
      const why = (error as Error).message.replace(/^[A-Z]+: ([^,]*),.*$/s, '$1');
      throw new LaunchError(`failed to make '${path}' a plain file to bind over: ${why}`);
    }
  }
}

/**
 * Node's settings meant for the caller's programs, not the helper: options
 * must not change how it runs, and extra CA certificates (which Node 20
 * parses at start-up, tens of milliseconds) are of no use to a program that
 * makes no TLS connection.
 */
const NOT_FOR_THE_HELPER = new Set(['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS']);

/**
 * Our environment for the helper's own use, without flags of ours and
 * Node's settings. (The task gets the full environment through the launch
 * info.)
 */
function helperEnvironment(): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith(FLAG_PREFIX) && !NOT_FOR_THE_HELPER.has(name)) result[name] = value;
  }
  return result;
}

/** Starts a task on the embedded agent. Throws TaskOptionsError for options that can't describe a task. */
export function launchTask(options: TaskOptions): Task {
  return new Task(options);
}

/** Runs a task to its end; resolves with its final status (TASK_FINISHED, TASK_FAILED, TASK_KILLED). */
export function runTask(options: TaskOptions): Promise<TaskStatus> {
  return launchTask(options).done;
}
