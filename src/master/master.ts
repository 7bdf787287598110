// The master's state machine: frameworks, agents, offers and tasks, driven
// by scheduler calls (./calls), agents (./agent-link) and a clock. Nothing
// here knows HTTP or any encoding: frameworks are FrameworkConnections
// that take Event objects.
//
// This file holds the registry and the primitives every call shares
// (sending, taking offers back, tasks, removing frameworks), the way
// Mesos's Master does (master/master.cpp); making offers is ./offers, the
// calls are ./calls.
import { Allocator } from './allocator';
import { type Clock, systemClock, type Timer } from './clock';
import { IdSequence, newUuid } from './ids';
import type { AgentRecord, FrameworkRecord, OfferRecord, TaskRecord } from './records';
import { makeOffers } from './offers';
import { add } from './resources';
import { isTerminal, masterStatus, type MasterStatus } from './status';
import type { Event, FrameworkInfo, MasterInfo, Resource, TaskInfo, TaskStatus } from './types';
import { hasCapability, rolesOf } from './validation/framework';

/** The Mesos version this master speaks as (its API and messages are 1.12.0's). */
export const MESOS_VERSION = '1.12.0';

export interface MasterOptions {
  /** Default: a random UUID. */
  readonly masterId?: string;
  /** The IPv4 address the master serves on. */
  readonly ip: string;
  readonly port: number;
  readonly hostname: string;
  readonly clock?: Clock;
  /** Between allocation cycles (Mesos's --allocation_interval); default 1 s. */
  readonly allocationIntervalMs?: number;
  /** Between heartbeats on a subscription's stream; default 15 s. */
  readonly heartbeatIntervalMs?: number;
  /** Whether frameworks may run as root (Mesos's --root_submissions); default true. */
  readonly rootSubmissions?: boolean;
  readonly maxCompletedFrameworks?: number;
  readonly maxCompletedTasksPerFramework?: number;
  /**
   * How the master calls agents: after it is done with what it is doing.
   * Default: queueMicrotask.
   */
  readonly post?: (fn: () => void) => void;
}

/** An IPv4 address as Mesos puts it in MasterInfo.ip: network order, read as a host uint32. */
export function ipAsUint32(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return 0;
  return Buffer.from(parts).readUInt32LE(0);
}

export class Master {
  readonly info: MasterInfo;
  readonly clock: Clock;
  readonly ids: IdSequence;
  readonly allocator: Allocator;
  readonly allocationIntervalMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rootSubmissions: boolean;
  readonly startTime: number;
  readonly post: (fn: () => void) => void;
  private readonly maxCompletedFrameworks: number;
  private readonly maxCompletedTasks: number;

  readonly frameworks = new Map<string, FrameworkRecord>();
  readonly completedFrameworks = new Map<string, FrameworkRecord>();
  readonly agents = new Map<string, AgentRecord>();
  readonly offers = new Map<string, OfferRecord>();

  private allocationTimer?: Timer;
  private soon?: Timer;
  private stopped = false;

  constructor(options: MasterOptions) {
    this.clock = options.clock ?? systemClock;
    const id = options.masterId ?? newUuid();
    this.ids = new IdSequence(id);
    this.allocationIntervalMs = options.allocationIntervalMs ?? 1000;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 15_000;
    this.rootSubmissions = options.rootSubmissions ?? true;
    this.maxCompletedFrameworks = options.maxCompletedFrameworks ?? 50;
    this.maxCompletedTasks = options.maxCompletedTasksPerFramework ?? 1000;
    const post = options.post ?? queueMicrotask;
    // An agent that throws is the agent's failure, not the master's.
    this.post = (fn) =>
      post(() => {
        try {
          fn();
        } catch (error) {
          process.emitWarning(`An agent call failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      });
    this.allocator = new Allocator(this.allocationIntervalMs);
    this.startTime = this.clock.now() / 1000;
    this.info = {
      id,
      ip: ipAsUint32(options.ip),
      port: options.port,
      pid: `master@${options.ip}:${options.port}`,
      hostname: options.hostname,
      version: MESOS_VERSION,
      address: { hostname: options.hostname, ip: options.ip, port: options.port },
      capabilities: [{ type: 'AGENT_UPDATE' }, { type: 'AGENT_DRAINING' }, { type: 'QUOTA_V2' }],
    };
  }

  get pid(): string {
    return this.info.pid!;
  }

  nowSeconds(): number {
    return this.clock.now() / 1000;
  }

  /** Starts the allocation cycle. */
  start(): void {
    const cycle = (): void => {
      if (this.stopped) return;
      this.allocate();
      this.allocationTimer = this.clock.after(this.allocationIntervalMs, cycle);
    };
    this.allocationTimer = this.clock.after(this.allocationIntervalMs, cycle);
  }

  /** Stops every timer and ends every stream. */
  stop(): void {
    this.stopped = true;
    this.allocationTimer?.cancel();
    this.soon?.cancel();
    for (const framework of this.frameworks.values()) {
      framework.heartbeat?.cancel();
      framework.failoverTimer?.cancel();
      framework.connection?.close();
      framework.connection = undefined;
    }
  }

  /** An allocation right after the current work, as Mesos's allocator does on new frameworks, agents and revives. */
  allocateSoon(): void {
    if (this.stopped || this.soon !== undefined) return;
    this.soon = this.clock.after(0, () => {
      this.soon = undefined;
      this.allocate();
    });
  }

  // -------------------------------------------------------------------------
  // Frameworks

  framework(id: string): FrameworkRecord | undefined {
    return this.frameworks.get(id);
  }

  isPartitionAware(framework: FrameworkRecord): boolean {
    return hasCapability(framework.info, 'PARTITION_AWARE');
  }

  send(framework: FrameworkRecord, event: Event): void {
    framework.connection?.send(event);
  }

  /** A task status to the framework; one with a uuid is remembered as the update awaiting its acknowledgement. */
  forward(framework: FrameworkRecord, status: TaskStatus): void {
    const task = framework.tasks.get(status.task_id.value);
    if (task !== undefined && status.uuid !== undefined) {
      task.statusUpdateState = status.state;
      task.statusUpdateUuid = status.uuid;
    }
    this.send(framework, { type: 'UPDATE', update: { status } });
  }

  masterStatus(status: MasterStatus): TaskStatus {
    return masterStatus(status, this.clock.now());
  }

  startHeartbeat(framework: FrameworkRecord): void {
    framework.heartbeat?.cancel();
    const beat = (): void => {
      if (framework.connection === undefined) return;
      this.send(framework, { type: 'HEARTBEAT' });
      framework.heartbeat = this.clock.after(this.heartbeatIntervalMs, beat);
    };
    beat();
  }

  /** Closes the framework's stream, if it has one. */
  closeConnection(framework: FrameworkRecord): void {
    framework.heartbeat?.cancel();
    framework.heartbeat = undefined;
    const connection = framework.connection;
    framework.connection = undefined;
    connection?.close();
  }

  allocatorOptions(info: FrameworkInfo, suppressedRoles: readonly string[]) {
    return {
      roles: rolesOf(info),
      suppressedRoles,
      capabilities: (info.capabilities ?? []).flatMap((c) => (c.type === undefined ? [] : [c.type])),
    };
  }

  /** No more offers for the framework; its outstanding ones are rescinded (with RESCIND events) or just taken back. */
  deactivate(framework: FrameworkRecord, rescind: boolean): void {
    framework.active = false;
    this.allocator.setActive(framework.id, false);
    for (const offerId of [...framework.offers]) {
      const offer = this.offers.get(offerId)!;
      if (rescind) this.rescindOffer(offer);
      else this.discardOffer(offer);
    }
  }

  /** Removes the framework: its tasks are killed on their agents and marked TASK_KILLED, it moves to the completed ones. */
  removeFramework(framework: FrameworkRecord): void {
    if (framework.active) this.deactivate(framework, false);
    for (const agent of this.agents.values()) this.post(() => agent.agent.shutdownFramework(framework.id));
    for (const task of [...framework.tasks.values()]) {
      this.updateTask(
        task,
        this.masterStatus({
          taskId: task.info.task_id.value,
          state: 'TASK_KILLED',
          message: `Framework ${framework.id} removed`,
          reason: 'REASON_FRAMEWORK_REMOVED',
          agentId: task.agentId,
          executorId: task.info.executor?.executor_id.value,
        }),
      );
      this.removeTask(task);
    }
    framework.executors.clear();
    framework.failoverTimer?.cancel();
    framework.failoverTimer = undefined;
    this.closeConnection(framework);
    framework.unregisteredTime = this.nowSeconds();
    this.allocator.removeFramework(framework.id);
    this.frameworks.delete(framework.id);
    this.completedFrameworks.set(framework.id, framework);
    while (this.completedFrameworks.size > this.maxCompletedFrameworks) {
      this.completedFrameworks.delete(this.completedFrameworks.keys().next().value!);
    }
  }

  // -------------------------------------------------------------------------
  // Offers

  private removeOfferRecord(offer: OfferRecord): void {
    this.offers.delete(offer.offer.id.value);
    this.frameworks.get(offer.frameworkId)?.offers.delete(offer.offer.id.value);
    this.agents.get(offer.agentId)?.offers.delete(offer.offer.id.value);
  }

  /** Takes an offer back, its resources free again (with a filter when `refuseSeconds` is given). */
  discardOffer(offer: OfferRecord, refuseSeconds?: number): void {
    this.removeOfferRecord(offer);
    this.allocator.recover(offer.frameworkId, offer.agentId, offer.resources, this.clock.now(), refuseSeconds);
  }

  /** Takes an offer back and tells the framework (RESCIND). */
  rescindOffer(offer: OfferRecord): void {
    const framework = this.frameworks.get(offer.frameworkId);
    if (framework !== undefined) this.send(framework, { type: 'RESCIND', rescind: { offer_id: { value: offer.offer.id.value } } });
    this.discardOffer(offer);
  }

  /** Removes offers that an ACCEPT uses, without giving their resources back; returns their total. */
  takeOffers(offers: readonly OfferRecord[]): Resource[] {
    let total: Resource[] = [];
    for (const offer of offers) {
      this.removeOfferRecord(offer);
      total = add(total, offer.resources);
    }
    return total;
  }

  /** One allocation cycle: offers go out, one OFFERS event per framework. */
  allocate(): void {
    if (!this.stopped) makeOffers(this);
  }

  // -------------------------------------------------------------------------
  // Tasks

  addTask(framework: FrameworkRecord, agent: AgentRecord, info: TaskInfo): TaskRecord {
    const task: TaskRecord = { frameworkId: framework.id, agentId: agent.id, info, state: 'TASK_STAGING', statuses: [] };
    framework.tasks.set(info.task_id.value, task);
    const byFramework = agent.tasks.get(framework.id) ?? new Map<string, TaskRecord>();
    byFramework.set(info.task_id.value, task);
    agent.tasks.set(framework.id, byFramework);
    if (info.executor !== undefined) {
      const executors = framework.executors.get(agent.id) ?? new Set<string>();
      executors.add(info.executor.executor_id.value);
      framework.executors.set(agent.id, executors);
    }
    return task;
  }

  /** The resources a task holds until it ends. */
  taskResources(task: TaskRecord): Resource[] {
    return add([], task.info.resources ?? []);
  }

  /** Records a status of the task; when the task ends, its resources are free again. */
  updateTask(task: TaskRecord, status: TaskStatus, latestState?: TaskStatus['state']): void {
    const state = latestState ?? status.state;
    const ending = !isTerminal(task.state) && task.state !== 'TASK_UNREACHABLE' && (isTerminal(state) || state === 'TASK_UNREACHABLE');
    if (!isTerminal(task.state)) task.state = state;
    const kept: TaskStatus = { ...status };
    delete kept.data;
    const last = task.statuses[task.statuses.length - 1];
    if (last !== undefined && last.state === status.state) task.statuses[task.statuses.length - 1] = kept;
    else task.statuses.push(kept);
    if (ending) this.allocator.recover(task.frameworkId, task.agentId, this.taskResources(task), this.clock.now());
  }

  /** Forgets a task (its terminal update was acknowledged, or its framework or agent went). */
  removeTask(task: TaskRecord): void {
    if (!isTerminal(task.state) && task.state !== 'TASK_UNREACHABLE') {
      this.allocator.recover(task.frameworkId, task.agentId, this.taskResources(task), this.clock.now());
    }
    const framework = this.frameworks.get(task.frameworkId);
    if (framework !== undefined && framework.tasks.get(task.info.task_id.value) === task) {
      framework.tasks.delete(task.info.task_id.value);
      framework.completedTasks.push(task);
      if (framework.completedTasks.length > this.maxCompletedTasks) framework.completedTasks.shift();
    }
    const agent = this.agents.get(task.agentId);
    const byFramework = agent?.tasks.get(task.frameworkId);
    byFramework?.delete(task.info.task_id.value);
    if (byFramework !== undefined && byFramework.size === 0) agent!.tasks.delete(task.frameworkId);
  }

  // -------------------------------------------------------------------------
  // Agents

  /** "<id> at <pid> (<hostname>)", as Mesos names an agent in messages. */
  describeAgent(agent: AgentRecord): string {
    return `${agent.id} at ${agent.pid} (${agent.hostname})`;
  }

  /** The resources an agent's tasks hold. */
  usedResources(agent: AgentRecord): Resource[] {
    let used: Resource[] = [];
    for (const tasks of agent.tasks.values()) {
      for (const task of tasks.values()) {
        if (!isTerminal(task.state) && task.state !== 'TASK_UNREACHABLE') used = add(used, this.taskResources(task));
      }
    }
    return used;
  }

  offeredResources(agent: AgentRecord): Resource[] {
    let offered: Resource[] = [];
    for (const offerId of agent.offers) offered = add(offered, this.offers.get(offerId)!.resources);
    return offered;
  }
}
