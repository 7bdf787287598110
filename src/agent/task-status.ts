// The v1 TaskStatus of an update the agent sends: the task's ids, a uuid
// of its own, the time, the container's id and first pid. Pure but for
// the uuid and the clock.
import type { TaskState, TaskStatus } from '../master/types';
import type { TerminalUpdate } from './terminal-update';
import { statusUpdateUuid } from './uuid';

export type StatusFields = Partial<TaskStatus> & Pick<TaskStatus, 'state'>;

export interface StatusIds {
  readonly agentId: string;
  readonly taskId: string;
  readonly containerId?: string;
  readonly executorPid?: number;
  /** The container's networks and addresses (ContainerStatus.network_infos). */
  readonly networkInfos?: ReadonlyArray<Record<string, unknown>>;
}

export function taskStatus(ids: StatusIds, fields: StatusFields): TaskStatus {
  return {
    task_id: { value: ids.taskId },
    agent_id: { value: ids.agentId },
    // A command task's executor id is its task id.
    executor_id: { value: ids.taskId },
    timestamp: Date.now() / 1000,
    uuid: statusUpdateUuid(),
    ...(ids.containerId === undefined
      ? {}
      : {
          container_status: {
            container_id: { value: ids.containerId },
            ...(ids.executorPid === undefined ? {} : { executor_pid: ids.executorPid }),
            ...(ids.networkInfos === undefined ? {} : { network_infos: [...ids.networkInfos] }),
          },
        }),
    ...fields,
  };
}

/** A terminal update's fields, the memory limitation as Mesos's TaskResourceLimitation. */
export function terminalFields(update: TerminalUpdate): StatusFields & { state: TaskState } {
  return {
    state: update.state,
    source: update.source,
    ...(update.reason === undefined ? {} : { reason: update.reason }),
    message: update.message,
    ...(update.limitationMemMb === undefined
      ? {}
      : { limitation: { resources: [{ name: 'mem', type: 'SCALAR', scalar: { value: update.limitationMemMb } }] } }),
  };
}
