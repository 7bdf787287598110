// The calls a scheduler sends, as Call messages: the type, the framework
// id and the one sub-message the type names ({"type":"KILL",
// "framework_id":..,"kill":{..}}). Pure functions: sending is the
// Scheduler's.
import type { mesos } from '../proto/v1';
import type {
  Call,
  CallType,
  Filters,
  FrameworkInfo,
  Id,
  KillPolicy,
  Operation,
  ReconcileTask,
  Request,
  TaskInfo,
  TaskStatus,
} from './types';

/** The message form of an id given either way. */
export function toId(id: Id): { value: string } {
  return typeof id === 'string' ? { value: id } : { value: id.value };
}

/** The Call field that holds a type's sub-message: "ACCEPT" -> "accept". */
export function bodyField(type: CallType): keyof Call {
  return type.toLowerCase() as keyof Call;
}

/** A call of `type` for `frameworkId`, with `body` as its sub-message (none for TEARDOWN, say). */
export function makeCall(type: CallType, frameworkId: string | undefined, body?: object): Call {
  const call: Record<string, unknown> = { type };
  if (frameworkId !== undefined) call.framework_id = { value: frameworkId };
  if (body !== undefined) call[bodyField(type)] = body;
  return call as Call;
}

export function subscribeBody(framework: FrameworkInfo, suppressedRoles?: readonly string[]): mesos.v1.scheduler.Call.Subscribe {
  return {
    framework_info: framework,
    ...(suppressedRoles !== undefined ? { suppressed_roles: [...suppressedRoles] } : {}),
  };
}

export function acceptBody(offerIds: readonly Id[], operations: readonly Operation[], filters?: Filters): mesos.v1.scheduler.Call.Accept {
  return {
    offer_ids: offerIds.map(toId),
    operations: [...operations],
    ...(filters !== undefined ? { filters } : {}),
  };
}

export function launchOperation(taskInfos: readonly TaskInfo[]): Operation {
  return { type: 'LAUNCH', launch: { task_infos: [...taskInfos] } };
}

export function declineBody(offerIds: readonly Id[], filters?: Filters): mesos.v1.scheduler.Call.Decline {
  return { offer_ids: offerIds.map(toId), ...(filters !== undefined ? { filters } : {}) };
}

/** REVIVE and SUPPRESS: no roles means all of the framework's. */
export function rolesBody(roles?: readonly string[]): { roles?: string[] } {
  return roles !== undefined && roles.length > 0 ? { roles: [...roles] } : {};
}

export function killBody(taskId: Id, agentId?: Id, killPolicy?: KillPolicy): mesos.v1.scheduler.Call.Kill {
  return {
    task_id: toId(taskId),
    ...(agentId !== undefined ? { agent_id: toId(agentId) } : {}),
    ...(killPolicy !== undefined ? { kill_policy: killPolicy } : {}),
  };
}

/** ACKNOWLEDGE for an update; undefined for one without a uuid, which is never acknowledged. */
export function acknowledgeBody(status: TaskStatus): mesos.v1.scheduler.Call.Acknowledge | undefined {
  if (status.uuid === undefined || status.uuid.length === 0) return undefined;
  if (status.agent_id === undefined) return undefined;
  return { agent_id: toId(status.agent_id), task_id: toId(status.task_id), uuid: status.uuid };
}

export function reconcileBody(tasks: ReadonlyArray<ReconcileTask | { task_id: Id; agent_id?: Id }> = []): mesos.v1.scheduler.Call.Reconcile {
  if (tasks.length === 0) return {};
  return {
    tasks: tasks.map((task) => ({
      task_id: toId(task.task_id),
      ...(task.agent_id !== undefined ? { agent_id: toId(task.agent_id) } : {}),
    })),
  };
}

export function shutdownBody(executorId: Id, agentId: Id): mesos.v1.scheduler.Call.Shutdown {
  return { executor_id: toId(executorId), agent_id: toId(agentId) };
}

export function messageBody(agentId: Id, executorId: Id, data: Uint8Array | string): mesos.v1.scheduler.Call.Message {
  return {
    agent_id: toId(agentId),
    executor_id: toId(executorId),
    data: typeof data === 'string' ? new Uint8Array(Buffer.from(data, 'utf8')) : data,
  };
}

export function requestBody(requests: readonly Request[]): mesos.v1.scheduler.Call.Request {
  return requests.length > 0 ? { requests: [...requests] } : {};
}

export function updateFrameworkBody(
  framework: FrameworkInfo,
  suppressedRoles?: readonly string[],
): mesos.v1.scheduler.Call.UpdateFramework {
  return {
    framework_info: framework,
    ...(suppressedRoles !== undefined ? { suppressed_roles: [...suppressedRoles] } : {}),
  };
}
