// Task states and the status updates the master makes itself
// (common/protobuf_utils.cpp createStatusUpdate): no uuid, so that no
// scheduler acknowledges them.
import type { Id, TaskReason, TaskSource, TaskState, TaskStatus } from './types';

export { isTerminal } from '../proto/task-state';

export interface MasterStatus {
  readonly taskId: string;
  readonly state: TaskState;
  readonly message: string;
  readonly reason: TaskReason;
  readonly agentId?: string;
  readonly executorId?: string;
  readonly source?: TaskSource;
  readonly healthy?: boolean;
  readonly checkStatus?: Record<string, unknown>;
  readonly containerStatus?: Record<string, unknown>;
  readonly unreachableTime?: { nanoseconds: number };
}

const id = (value: string): Id => ({ value });

/** A status of the master's making, stamped `nowMs`. */
export function masterStatus(status: MasterStatus, nowMs: number): TaskStatus {
  const out: TaskStatus = {
    task_id: id(status.taskId),
    state: status.state,
    message: status.message,
    source: status.source ?? 'SOURCE_MASTER',
    reason: status.reason,
    timestamp: nowMs / 1000,
  };
  if (status.agentId !== undefined) out.agent_id = id(status.agentId);
  if (status.executorId !== undefined) out.executor_id = id(status.executorId);
  if (status.healthy !== undefined) out.healthy = status.healthy;
  if (status.checkStatus !== undefined) out.check_status = status.checkStatus;
  if (status.containerStatus !== undefined) out.container_status = status.containerStatus;
  if (status.unreachableTime !== undefined) out.unreachable_time = status.unreachableTime;
  return out;
}
