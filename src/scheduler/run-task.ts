// One task through a master, as mesos-execute runs it (src/cli/execute.cpp):
//
// - a framework of the current user named "mesos-execute instance", with
//   RESERVATION_REFINEMENT, TASK_KILLING_STATE and REVOCABLE_RESOURCES
//   (and PARTITION_AWARE unless told otherwise), subscribed until the
//   master takes it;
// - the first offer whose resources, reservations aside, contain the
//   task's gets it: ACCEPT with one LAUNCH and no filters, the task's
//   agent set to the offer's and its resources the offer's own (those
//   reserved for the framework's role first, then unreserved ones);
// - every other offer, before the launch or after it, is declined, and
//   each decline is followed by a SUPPRESS, so offers stop coming (as with
//   mesos-execute, an unfitting first offer leaves the task waiting);
// - every update with a uuid is acknowledged; with `killAfterMs`, the task
//   is killed that long after TASK_RUNNING;
// - the first terminal update ends it: `done` resolves with that status
//   (whatever the state), once its acknowledgement is answered, and the
//   client stops without TEARDOWN. An ERROR event rejects `done` with
//   mesos-execute's words ("Received an ERROR event: <message>").
//
// kill() asks the master to kill the task (again after a resubscription,
// until a terminal update comes); before the launch it cancels the run.
import { EventEmitter } from 'node:events';
import { userInfo } from 'node:os';
import type { ContentType } from './content-type';
import { contains, find, toUnreserved, unallocate } from './resources';
import { Scheduler, type SchedulerOptions } from './scheduler';
import { isTerminal } from '../proto/task-state';
import type { AgentID, FrameworkCapability, FrameworkInfo, KillPolicy, Offer, TaskInfo, TaskStatus } from './types';

export interface RunTaskOptions {
  /** `HOST:PORT` or `http://HOST:PORT`. */
  readonly master: string;
  /** Default 'json'. */
  readonly contentType?: ContentType;
  /** Fields over mesos-execute's FrameworkInfo (user, name, role, capabilities...). */
  readonly framework?: Partial<FrameworkInfo>;
  /** Adds PARTITION_AWARE to the framework's capabilities; default true, as mesos-execute's --partition_aware. */
  readonly partitionAware?: boolean;
  /** The task; `agent_id` is the offer's, `resources` are what it needs. */
  readonly task: Omit<TaskInfo, 'agent_id'> & { readonly agent_id?: AgentID };
  /** Kill the task this long after TASK_RUNNING (mesos-execute's --kill_after). */
  readonly killAfterMs?: number;
  /** The client's intervals and limits. */
  readonly scheduler?: Omit<SchedulerOptions, 'master' | 'framework' | 'contentType'>;
}

export interface TaskRunEvents {
  /** Subscribed (again, after a lost connection) with this framework id. */
  subscribed: [frameworkId: string];
  /** The task went to this agent in an ACCEPT of `offer`. */
  submitted: [agentId: string, offer: Offer];
  /** An offer declined (then SUPPRESS). */
  declined: [offer: Offer];
  /** An update for the task. */
  status: [status: TaskStatus];
  /** A KILL is on its way. */
  killing: [taskId: string, agentId: string];
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/** mesos-execute's FrameworkInfo, with `extra` over it. */
export function executeFramework(extra: Partial<FrameworkInfo> = {}, partitionAware = true): FrameworkInfo {
  const capabilities: FrameworkCapability[] = ['RESERVATION_REFINEMENT', 'TASK_KILLING_STATE', 'REVOCABLE_RESOURCES'];
  if (partitionAware) capabilities.push('PARTITION_AWARE');
  return {
    user: currentUser(),
    name: 'mesos-execute instance',
    role: '*',
    capabilities: capabilities.map((type) => ({ type })),
    ...extra,
  };
}

export class TaskRun extends EventEmitter<TaskRunEvents> {
  readonly scheduler: Scheduler;
  /** The first terminal status; rejects on an ERROR event, stop() or kill() before the launch. */
  readonly done: Promise<TaskStatus>;
  private resolveDone!: (status: TaskStatus) => void;
  private rejectDone!: (error: Error) => void;
  private readonly framework: FrameworkInfo;
  private readonly task: RunTaskOptions['task'];
  private readonly taskId: string;
  private readonly killAfterMs: number | undefined;
  private agentId: string | undefined;
  private launched = false;
  private killRequested = false;
  private killPolicy: KillPolicy | undefined;
  private finished = false;
  /** A terminal update came; `done` waits for its acknowledgement. */
  private ending = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(options: RunTaskOptions) {
    super();
    this.done = new Promise<TaskStatus>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // A caller who never awaits `done` should not see an unhandled rejection.
    this.done.catch(() => {});
    this.framework = executeFramework(options.framework, options.partitionAware ?? true);
    this.task = options.task;
    this.taskId = options.task.task_id.value;
    this.killAfterMs = options.killAfterMs;
    this.scheduler = new Scheduler({
      ...options.scheduler,
      master: options.master,
      framework: this.framework,
      contentType: options.contentType ?? 'json',
    });
    this.scheduler.on('subscribed', (subscribed) => this.subscribed(subscribed.framework_id.value));
    this.scheduler.on('offers', (offers) => this.offers(offers));
    this.scheduler.on('update', (status) => this.update(status));
    this.scheduler.on('error', (error) => {
      if (error.fatal) this.finish(new Error(error.fromMaster ? `Received an ERROR event: ${error.message}` : error.message));
    });
    this.scheduler.start().catch(() => {});
  }

  /**
   * Kills the task (before its launch: cancels the run). Resolves once the
   * master has the KILL. `gracePeriodMs` overrides the task's kill policy
   * (0: SIGKILL at once), as KILL's own kill_policy does.
   */
  async kill(gracePeriodMs?: number): Promise<void> {
    if (this.finished || this.ending) return;
    this.killRequested = true;
    if (gracePeriodMs !== undefined) {
      this.killPolicy = { grace_period: { nanoseconds: BigInt(Math.max(0, Math.round(gracePeriodMs * 1e6))) } };
    }
    if (!this.launched) {
      this.finish(new Error(`Task '${this.taskId}' was killed before it was launched`));
      return;
    }
    await this.sendKill();
  }

  /** Stops the client; `done` rejects unless the task has already ended. */
  stop(): void {
    this.finish(new Error(`Stopped before task '${this.taskId}' finished`));
  }

  private subscribed(frameworkId: string): void {
    this.emit('subscribed', frameworkId);
    // A KILL lost with the old connection is sent again.
    if (this.killRequested && this.launched && !this.finished && !this.ending) this.sendKill().catch(() => {});
  }

  private sendKill(): Promise<void> {
    const agentId = this.agentId!;
    this.emit('killing', this.taskId, agentId);
    return this.scheduler.kill(this.taskId, agentId, this.killPolicy).then(() => undefined);
  }

  private offers(offers: readonly Offer[]): void {
    const multiRole = (this.framework.capabilities ?? []).some((c) => c.type === 'MULTI_ROLE');
    const wanted = this.task.resources ?? [];
    for (const offer of offers) {
      if (this.finished) return;
      const offered = multiRole ? [...(offer.resources ?? [])] : unallocate(offer.resources ?? []);
      const resources = !this.launched && !this.killRequested && contains(toUnreserved(offered), wanted)
        ? find(offered, wanted, this.framework.role ?? '*')
        : undefined;
      if (resources === undefined) {
        this.scheduler.decline([offer.id]).catch(() => {});
        this.scheduler.suppress().catch(() => {});
        this.emit('declined', offer);
        continue;
      }
      const task: TaskInfo = { ...this.task, agent_id: { value: offer.agent_id.value }, resources };
      this.launched = true;
      this.agentId = offer.agent_id.value;
      this.scheduler.launch([offer.id], [task]).catch((error: Error) => this.finish(error));
      this.emit('submitted', offer.agent_id.value, offer);
    }
  }

  private update(status: TaskStatus): void {
    const ack = this.scheduler.acknowledge(status).catch(() => undefined);
    if (status.task_id.value !== this.taskId || this.finished || this.ending) return;
    this.emit('status', status);
    if (status.state === 'TASK_RUNNING' && this.killAfterMs !== undefined && this.killTimer === undefined) {
      this.killTimer = setTimeout(() => {
        this.killRequested = true;
        this.sendKill().catch(() => {});
      }, this.killAfterMs);
    }
    if (isTerminal(status.state)) {
      this.ending = true;
      clearTimeout(this.killTimer);
      void ack.then(() => this.finish(status));
    }
  }

  private finish(outcome: TaskStatus | Error): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.killTimer);
    this.scheduler.stop();
    if (outcome instanceof Error) this.rejectDone(outcome);
    else this.resolveDone(outcome);
  }
}

/** Runs one task as mesos-execute does; see TaskRun. */
export function runTask(options: RunTaskOptions): TaskRun {
  return new TaskRun(options);
}
