// The life of one container, as the agent supervises it: its runtime
// directory (the helper opens its status file there first thing), its
// cgroups, its /etc files and the helper, started in its cgroups and
// namespaces and waiting on the control pipe; then the go-ahead, the word
// that the task itself was exec'd, kills (SIGTERM, SIGKILL after the grace
// period), the memory limit, and the end: what is known of how the task
// ended (ending.ts). Everything the container used is removed when it
// ends, however it ends; what the task should be told is
// terminal-update.ts's business.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { JsonObject } from '../../subcommand/flags';
import { type CgroupLimits, type CgroupPlacement, ContainerCgroups } from '../cgroups/container';
import { writeEtcFiles } from '../etc-files';
import type { EtcFiles } from '../launch-info';
import { type ContainerEnd, containerEnd } from './ending';
import { ExecNotification, type NotifyState } from './exec-notify';
import { type Exit, type Helper, LaunchError, startHelper, type TaskOutput } from './helper';
import { GracefulKill } from './grace';
import { lastLine } from './last-words';
import { alive, readStatus } from './procfs';

export type { ContainerEnd } from './ending';
export { catchesEverySignal } from './procfs';

const OOM_POLL_INTERVAL_MS = 200;

export interface ContainerConfig {
  readonly containerId: string;
  /** Made here, removed at the end. */
  readonly runtimeDirectory: string;
  readonly launchInfo: JsonObject;
  readonly cloneFlags: number;
  readonly hostname?: string;
  /** The overlay of the container's root, mounted in its mount namespace as it is made (see helper.ts). */
  readonly overlay?: { readonly target: string; readonly options: string };
  /** The container's /etc files, written into the runtime directory before the go-ahead. */
  readonly etc?: { readonly files: EtcFiles; readonly hostname: string; readonly rootfs?: string };
  readonly cgroups: CgroupPlacement;
  readonly limits: CgroupLimits;
  readonly stdout: TaskOutput;
  readonly stderr: TaskOutput;
  /** A descriptor, open for reading, of the file the container's stderr goes to, if it is one: the helper's last words are read there (the caller closes it). */
  readonly stderrReadable?: number;
  readonly warn: (message: string) => void;
  /**
   * Steps between the helper's start and its go-ahead, given the helper's
   * pid and its parent's, the clone program's (joining the container's
   * networks: the pid is the helper's only while it is that one's child),
   * and their undoing once the
   * helper is gone, whatever happened: before the runtime directory goes.
   * A failure of `isolate` fails the launch with its message.
   */
  readonly isolation?: {
    isolate(pid: number, parentPid: number): Promise<void>;
    /** The container is being killed: `isolate` is to stop soon. */
    abort?(): void;
    cleanup(): Promise<readonly string[]>;
  };
  /** The helper has been given the go-ahead. */
  readonly onStarting?: () => void;
  /** The task itself has been exec'd; called before the end for a task that ran, once. */
  readonly onRunning?: () => void;
}

type Phase = 'launching' | 'starting' | 'running' | 'done';

/** Containers still running, should our process exit under them. */
const live = new Set<Container>();
process.on('exit', () => {
  for (const container of live) {
    try {
      container.abandon();
    } catch {
      // Exiting anyway: the rest still gets its chance.
    }
  }
});

/** `{ name: value }`, or nothing for an undefined value. */
function optional<Name extends string, Value>(name: Name, value: Value | undefined): { [key in Name]?: Value } {
  return (value === undefined ? {} : { [name]: value }) as { [key in Name]?: Value };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class Container {
  readonly containerId: string;
  readonly ended: Promise<ContainerEnd>;
  /** The task's stdout and stderr when asked for as 'pipe'. */
  stdout: Readable | null = null;
  stderr: Readable | null = null;

  private phase: Phase = 'launching';
  private killedDuringLaunch = false;
  private killed = false;
  private announced = false;
  private helper: Helper | undefined;
  private helperPid: number | undefined;
  private notify: ExecNotification | undefined;
  private cgroups: ContainerCgroups | undefined;
  private runtimeMade = false;
  private readonly grace = new GracefulKill(
    // The waiter forwards it to the task.
    () => this.signalHelper('SIGTERM'),
    // SIGKILL to the first process of a pid namespace ends every process in it.
    () => this.signalHelper('SIGKILL'),
  );
  private oomWatch: NodeJS.Timeout | undefined;
  private oomDetected = false;

  constructor(private readonly config: ContainerConfig) {
    this.containerId = config.containerId;
    let failure: unknown;
    try {
      this.start();
    } catch (error) {
      failure = error;
    }
    live.add(this);
    this.ended = this.run(failure).finally(() => live.delete(this));
  }

  /** The pid (in our pid namespace) of the container's first process, once known. */
  get pid(): number | undefined {
    return this.helperPid;
  }

  /** The container's cgroup directories. */
  get cgroupPaths(): string[] {
    return this.cgroups?.paths ?? [];
  }

  /**
   * Kills the task: SIGTERM, then SIGKILL after `gracePeriodMs`. A later
   * kill can only bring the SIGKILL closer, as in Mesos's command executor.
   * Before the task runs the container is simply torn down. Returns true
   * when this began the kill of a running task.
   */
  kill(gracePeriodMs: number): boolean {
    if (this.phase === 'done') return false;
    if (this.phase !== 'running') {
      this.killedDuringLaunch = true;
      if (this.helperPid !== undefined) this.signalHelper('SIGKILL');
      this.config.isolation?.abort?.();
      return false;
    }
    if (!this.grace.begun) this.killed = true;
    return this.grace.kill(gracePeriodMs);
  }

  /** Ends the container now: SIGKILL, no grace. */
  destroy(): void {
    if (this.phase === 'done') return;
    if (this.phase !== 'running') {
      this.kill(0);
      return;
    }
    this.killed = true;
    this.grace.now();
  }

  /**
   * Our process is exiting with the container still on: end it and remove
   * what can be removed synchronously (the clone program also kills the
   * container when we are gone). A runtime directory with an isolation's
   * state (the CNI networks' configurations) is left for the next agent.
   */
  abandon(): void {
    this.signalHelper('SIGKILL');
    // What the isolation's undoing needs stays (its steps can't run now): the next agent undoes it from there.
    if (this.runtimeMade && this.config.isolation === undefined) rmSync(this.config.runtimeDirectory, { recursive: true, force: true });
    this.cgroups?.destroyNow();
  }

  private signalHelper(signal: NodeJS.Signals): void {
    const child = this.helper?.child;
    if (this.helperPid === undefined || child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(this.helperPid, signal);
    } catch {
      // Already gone.
    }
  }

  /** Everything up to the helper waiting on its pipe, synchronously: its streams exist when the constructor returns. */
  private start(): void {
    const config = this.config;
    mkdirSync(config.runtimeDirectory, { mode: 0o700 });
    this.runtimeMade = true;
    this.cgroups = ContainerCgroups.create(config.cgroups, config.limits, config.warn);
    if (config.etc !== undefined) writeEtcFiles(config.etc.files, config.etc.hostname, config.etc.rootfs);
    try {
      this.notify = new ExecNotification(join(config.runtimeDirectory, 'notify'));
    } catch (error) {
      throw new LaunchError(`failed to make the exec notification FIFO: ${messageOf(error)}`);
    }
    this.notify.onChange((state) => this.notified(state));
    this.helper = startHelper({
      launchInfo: config.launchInfo,
      runtimeDirectory: config.runtimeDirectory,
      cloneFlags: config.cloneFlags,
      ...(config.hostname === undefined ? {} : { hostname: config.hostname }),
      cgroups: this.cgroups.paths,
      ...(config.overlay === undefined ? {} : { overlay: config.overlay }),
      notifyFd: this.notify.writer!,
      stdout: config.stdout,
      stderr: config.stderr,
    });
    this.notify.handedOver();
    this.stdout = this.helper.child.stdout;
    this.stderr = this.helper.child.stderr;
  }

  private notified(state: NotifyState): void {
    // A helper that is gone closed its end by dying: the end will tell whether the task ran.
    if (state !== 'execd' || this.phase !== 'starting' || this.helperPid === undefined || !alive(this.helperPid)) return;
    this.phase = 'running';
    this.announce();
  }

  private announce(): void {
    if (this.announced) return;
    this.announced = true;
    this.config.onRunning?.();
  }

  private async run(failure: unknown): Promise<ContainerEnd> {
    // Callers attach to `ended` and the callbacks see every step.
    await null;
    let end: ContainerEnd;
    try {
      end = failure === undefined ? await this.supervise() : await this.failed(failure);
    } catch (error) {
      end = await this.failed(error);
    } finally {
      if (this.oomWatch !== undefined) clearInterval(this.oomWatch);
      this.grace.cancel();
      await this.cleanUp();
    }
    this.phase = 'done';
    return end;
  }

  private base(exit: Exit): Omit<ContainerEnd, 'ran'> {
    return { killedDuringLaunch: this.killedDuringLaunch, killed: this.killed, helper: exit };
  }

  /** A step of ours failed before the task could run. */
  private async failed(error: unknown): Promise<ContainerEnd> {
    const exit = await this.endHelper();
    if (this.killedDuringLaunch) return { ...this.base(exit), ran: false };
    return { ...this.base(exit), ran: false, launchFailure: messageOf(error) };
  }

  /** Kills the helper if it still runs, and waits for its end. */
  private async endHelper(): Promise<Exit> {
    const helper = this.helper;
    if (helper === undefined) return { code: null, signal: null };
    this.helperPid ??= await helper.pid.catch(() => undefined);
    this.signalHelper('SIGKILL');
    return helper.exited.catch((): Exit => ({ code: null, signal: null }));
  }

  private async supervise(): Promise<ContainerEnd> {
    const helper = this.helper!;
    const cgroups = this.cgroups!;
    let pid: number;
    try {
      pid = await helper.pid;
    } catch (error) {
      const exit = await this.endHelper();
      if (this.killedDuringLaunch) return { ...this.base(exit), ran: false };
      return { ...this.base(exit), ran: false, launchFailure: this.helperWords() ?? messageOf(error) };
    }
    this.helperPid = pid;
    if (this.killedDuringLaunch) return { ...this.base(await this.endHelper()), ran: false };
    if (this.config.isolation !== undefined) {
      try {
        await this.config.isolation.isolate(pid, helper.child.pid!);
      } catch (error) {
        const exit = await this.endHelper();
        if (this.killedDuringLaunch) return { ...this.base(exit), ran: false };
        return { ...this.base(exit), ran: false, launchFailure: messageOf(error) };
      }
      if (this.killedDuringLaunch) return { ...this.base(await this.endHelper()), ran: false };
    }
    this.phase = 'starting';
    this.config.onStarting?.();
    helper.release();
    const memoryWatched = cgroups.enforced.includes('memory');
    if (memoryWatched) {
      // As Mesos's memory isolator does: an OOM kill anywhere in the container ends the container.
      this.oomWatch = setInterval(() => {
        if (!this.oomDetected && cgroups.oomKills() > 0) {
          this.oomDetected = true;
          this.grace.now();
        }
      }, OOM_POLL_INTERVAL_MS);
    }
    const exit = await helper.exited.catch((error: Error): Exit => {
      this.config.warn(`Failed to watch the container: ${error.message}`);
      return { code: null, signal: null };
    });
    this.oomDetected ||= memoryWatched && cgroups.oomKills() > 0;
    return this.endOf(exit, this.notify!.settle());
  }

  /** The helper's last line on stderr, when it goes to a file. */
  private helperWords(): string | undefined {
    return this.config.stderrReadable === undefined ? undefined : lastLine(this.config.stderrReadable);
  }

  private endOf(exit: Exit, notified: NotifyState): ContainerEnd {
    const words = this.helperWords();
    const end = containerEnd({
      exit,
      notified,
      ...optional('checkpointed', readStatus(join(this.config.runtimeDirectory, 'status'))),
      killedDuringLaunch: this.killedDuringLaunch,
      killed: this.killed,
      ...(this.oomDetected ? { memoryLimit: this.cgroups!.memoryUsage() } : {}),
      ...optional('helperWords', words),
    });
    if (end.ran) this.announce();
    return end;
  }

  private async cleanUp(): Promise<void> {
    const helper = this.helper;
    const child = helper?.child;
    if (helper !== undefined && child !== undefined && child.exitCode === null && child.signalCode === null) {
      // Only after a failure of ours: nothing of the container may outlive our interest in it.
      if (this.helperPid !== undefined) this.signalHelper('SIGKILL');
      else child.kill('SIGKILL');
      await helper.exited.catch(() => undefined);
    }
    helper?.dispose();
    this.notify?.close();
    if (this.config.isolation !== undefined) {
      try {
        for (const failure of await this.config.isolation.cleanup()) this.config.warn(failure);
      } catch (error) {
        this.config.warn(messageOf(error));
      }
    }
    if (this.cgroups !== undefined) {
      for (const failure of await this.cgroups.destroy()) this.config.warn(failure);
    }
    if (this.runtimeMade) {
      try {
        rmSync(this.config.runtimeDirectory, { recursive: true, force: true });
      } catch (error) {
        this.config.warn(`Failed to remove the runtime directory '${this.config.runtimeDirectory}': ${messageOf(error)}`);
      }
    }
  }
}
