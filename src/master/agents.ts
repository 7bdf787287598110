// How agents and the master talk, in process: an agent registers with
// what it offers and an `Agent` the master calls; it gets back an
// `AgentLink` through which it reports. The roles are Mesos's: the master
// asks the agent to run and kill tasks, passes on the framework's
// acknowledgements, executor shutdowns and messages; the agent reports
// status updates (each with a fresh uuid, one in flight per task, resent
// until acknowledged), executors' messages and their exits, and its own
// departure.
//
// The master never calls an agent from inside a call the agent is making,
// nor in the middle of its own bookkeeping: its calls to agents are
// queued and made right after (see MasterOptions.post).
import type { FrameworkInfo, KillPolicy, Resource, TaskInfo, TaskState, TaskStatus } from './types';

export interface AgentRegistration {
  readonly hostname: string;
  /** The agent's total resources, in Mesos's JSON form (see `parseResourceText` for "cpus:4;mem:1024"). */
  readonly resources: readonly Resource[];
  /** Where the agent's own HTTP server is, for offers' `url`; defaults to the master's address. */
  readonly address?: { readonly ip: string; readonly port: number };
  /** The agent's libprocess id, for offers' `url` path and its pid; default "slave(<n>)". */
  readonly processId?: string;
  readonly attributes?: ReadonlyArray<Record<string, unknown>>;
  /** Mesos agent capabilities (MULTI_ROLE, TASK_LIMITS, ...); shown in state, and checked where Mesos checks them. */
  readonly capabilities?: readonly string[];
  readonly version?: string;
}

/** What the master asks of an agent. */
export interface Agent {
  /** Launch `task` (a command task, or one with its own executor) for `framework`. */
  runTask(framework: FrameworkInfo, task: TaskInfo): void;
  /** Kill a task: with a kill policy, its grace period overrides the task's own. */
  killTask(frameworkId: string, taskId: string, killPolicy?: KillPolicy): void;
  /** The framework acknowledged the update of `taskId` with `uuid` (base64 of its 16 bytes). */
  acknowledge(frameworkId: string, taskId: string, uuid: string): void;
  /** Shut an executor down (and its tasks). */
  shutdownExecutor(frameworkId: string, executorId: string): void;
  /** The framework is gone: kill all its tasks and executors, send no updates. */
  shutdownFramework(frameworkId: string): void;
  /** Deliver a framework's message (`data` base64) to an executor; dropped if it has none. */
  frameworkMessage(frameworkId: string, executorId: string, data: string): void;
}

export interface AgentStatusUpdate {
  readonly framework_id: string;
  /** With `uuid` (base64 of 16 bytes), `agent_id`, `timestamp` and `source` set. */
  readonly status: TaskStatus;
  /** The task's latest state when `status` is an older update being retried. */
  readonly latest_state?: TaskState;
}

/** What an agent tells the master, through the link it got on registering. */
export interface AgentLink {
  readonly agentId: string;
  statusUpdate(update: AgentStatusUpdate): void;
  /** An executor's message (`data` base64) for its framework. */
  executorMessage(frameworkId: string, executorId: string, data: string): void;
  /** An executor (not a command executor) exited with a wait status. */
  executorExited(frameworkId: string, executorId: string, status: number): void;
  /** The agent leaves: its tasks are lost, its offers rescinded. */
  unregister(): void;
}
