// The embedded agent's status updates: task states, sources and reasons as
// Mesos names them (mesos.proto's TaskState, TaskStatus.Source and
// TaskStatus.Reason), and the words its command executor uses for how a
// command ended.

export type TaskState =
  | 'TASK_STAGING'
  | 'TASK_STARTING'
  | 'TASK_RUNNING'
  | 'TASK_KILLING'
  | 'TASK_FINISHED'
  | 'TASK_FAILED'
  | 'TASK_KILLED'
  | 'TASK_ERROR'
  | 'TASK_LOST';

export type TaskSource = 'SOURCE_MASTER' | 'SOURCE_AGENT' | 'SOURCE_EXECUTOR';

/** The reasons this agent gives; Mesos has many more. */
export type TaskReason =
  | 'REASON_CONTAINER_LAUNCH_FAILED'
  | 'REASON_CONTAINER_LIMITATION_MEMORY'
  | 'REASON_TASK_KILLED_DURING_LAUNCH'
  | 'REASON_EXECUTOR_TERMINATED';

export interface TaskStatus {
  readonly taskId: string;
  readonly agentId: string;
  readonly containerId: string;
  readonly state: TaskState;
  readonly source: TaskSource;
  readonly reason?: TaskReason;
  readonly message?: string;
  /** Seconds since the epoch, as Mesos stamps updates. */
  readonly timestamp: number;
  /** Terminal updates of a task that ran: its raw wait status (as waitpid(2) gives it). */
  readonly waitStatus?: number;
  /** What the task used beyond its limit, for REASON_CONTAINER_LIMITATION_*. */
  readonly limitation?: { readonly mem?: number };
}

export { isTerminal } from '../../proto/task-state';

export {
  describeWaitStatus,
  exitCodeOf,
  exitedNormally,
  formatBytes,
  signalDescription,
  termSignalOf,
} from '../wait-status';
