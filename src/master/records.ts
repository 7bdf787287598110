// What the master remembers: frameworks, agents, offers and tasks.
import type { Agent } from './agents';
import type { Timer } from './clock';
import type { Event, FrameworkInfo, Offer, Resource, TaskInfo, TaskState, TaskStatus } from './types';

/** A subscription's stream, as the master sees it: events go out, and it can be closed. */
export interface FrameworkConnection {
  /** The stream's id (the Mesos-Stream-Id header it was opened with). */
  readonly streamId: string;
  send(event: Event): void;
  /** Ends the stream (no more events). */
  close(): void;
}

export interface TaskRecord {
  readonly frameworkId: string;
  readonly agentId: string;
  /** The task as launched: resources in Mesos's internal form, with the offer's allocation role. */
  readonly info: TaskInfo;
  state: TaskState;
  /** The statuses seen, one per state in a row (a repeated state replaces the last), without data. */
  statuses: TaskStatus[];
  /** The state and uuid of the last update forwarded to the framework with a uuid. */
  statusUpdateState?: TaskState;
  statusUpdateUuid?: string;
}

export interface FrameworkRecord {
  readonly id: string;
  info: FrameworkInfo;
  /** The open stream; undefined when the framework is disconnected or removed. */
  connection?: FrameworkConnection;
  active: boolean;
  readonly tasks: Map<string, TaskRecord>;
  /** Removed tasks, oldest first, at most MasterOptions.maxCompletedTasksPerFramework. */
  completedTasks: TaskRecord[];
  readonly offers: Set<string>;
  /** Executors the framework has on agents: agent id -> executor ids. */
  readonly executors: Map<string, Set<string>>;
  registeredTime: number;
  reregisteredTime: number;
  unregisteredTime: number;
  heartbeat?: Timer;
  failoverTimer?: Timer;
}

export interface AgentRecord {
  readonly id: string;
  readonly hostname: string;
  readonly pid: string;
  readonly port: number;
  readonly ip: string;
  readonly processId: string;
  /** Total resources, in Mesos's internal form. */
  readonly resources: Resource[];
  readonly attributes: Array<Record<string, unknown>>;
  readonly capabilities: string[];
  readonly version: string;
  readonly agent: Agent;
  readonly registeredTime: number;
  /** framework id -> task id -> task */
  readonly tasks: Map<string, Map<string, TaskRecord>>;
  readonly offers: Set<string>;
}

export interface OfferRecord {
  readonly offer: Offer;
  readonly frameworkId: string;
  readonly agentId: string;
  readonly role: string;
  /** With the allocation role, in Mesos's internal form. */
  readonly resources: Resource[];
}
