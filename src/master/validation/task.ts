// A task of a LAUNCH as Mesos checks it, in Mesos's order and words
// (master/validation.cpp task::validate). The first failure is the message
// of the task's TASK_ERROR (REASON_TASK_INVALID).
import { formatResources } from '../format';
import { add, contains, scalarTotal, type Resources } from '../resources';
import type { CommandInfo, ExecutorInfo, Resource, TaskInfo } from '../types';
import { idError } from './ids';
import { resourcesError, revocableMixError, singleRoleError } from './resources';

export interface TaskContext {
  readonly frameworkId: string;
  /** Whether the framework already has a task with this id (live, or terminal and unacknowledged). */
  hasTask(taskId: string): boolean;
  readonly agentId: string;
  readonly agentCapabilities: readonly string[];
  /** Whether the agent already runs this executor of the framework. */
  hasExecutor(executorId: string): boolean;
  /** What is left of the accepted offers, earlier tasks of the same ACCEPT taken out. */
  readonly available: Resources;
}

function environmentError(command: CommandInfo): string | undefined {
  for (const variable of command.environment?.variables ?? []) {
    const type = variable.type ?? 'VALUE';
    if (type === 'SECRET') {
      if (variable.secret === undefined) return `Environment variable '${variable.name}' of type 'SECRET' must have a secret set`;
      if (variable.value !== undefined) {
        return `Environment variable '${variable.name}' of type 'SECRET' must not have a value set`;
      }
    } else if (type === 'VALUE') {
      if (variable.value === undefined) return `Environment variable '${variable.name}' of type 'VALUE' must have a value set`;
      if (variable.secret !== undefined) {
        return `Environment variable '${variable.name}' of type 'VALUE' must not have a secret set`;
      }
    } else {
      return `Environment variable '${variable.name}' of type 'UNKNOWN' is not allowed`;
    }
  }
  return undefined;
}

function negative(duration: { nanoseconds: number } | undefined): boolean {
  return duration !== undefined && duration.nanoseconds < 0;
}

function resourceLimitsError(task: TaskInfo, context: TaskContext): string | undefined {
  const limits = task.limits ?? {};
  const names = Object.keys(limits);
  if (names.length === 0) return undefined;
  if (!context.agentCapabilities.includes('TASK_RESOURCE_LIMITS')) {
    return 'Agent is not capable of handling task resource limits';
  }
  if (names.some((name) => name !== 'cpus' && name !== 'mem')) {
    return "Only cpus and mem may be included in a task's resource limits";
  }
  const resources = task.resources ?? [];
  if (limits.cpus !== undefined) {
    const cpus = scalarTotal(resources, 'cpus');
    if (cpus === undefined) return 'When a CPU limit is specified, a CPU request must also be specified';
    if (limits.cpus.value < cpus) return 'The cpu limit must be greater than or equal to the cpu request';
  }
  if (limits.mem !== undefined) {
    const mem = scalarTotal(resources, 'mem');
    if (mem === undefined) return 'When a memory limit is specified, a memory request must also be specified';
    if (Number.isFinite(limits.mem.value) && limits.mem.value < mem) {
      return 'The memory limit must be greater than or equal to the memory request';
    }
  }
  return undefined;
}

function taskFieldsError(task: TaskInfo, context: TaskContext): string | undefined {
  const id = idError(task.task_id.value);
  if (id !== undefined) return id;
  if (context.hasTask(task.task_id.value)) return `Task has duplicate ID: ${task.task_id.value}`;
  if (task.agent_id.value !== context.agentId) {
    return `Task uses invalid agent ${task.agent_id.value} while agent ${context.agentId} is expected`;
  }
  if (negative(task.kill_policy?.grace_period)) return "Task's 'kill_policy.grace_period' must be non-negative";
  if (negative(task.max_completion_time)) return "Task's `max_completion_time` must be non-negative";
  const resources = task.resources ?? [];
  if (resources.length === 0) return 'Task uses no resources';
  const invalid = resourcesError(resources);
  if (invalid !== undefined) return `Task uses invalid resources: Invalid resources: ${invalid}`;
  const roles = singleRoleError(resources);
  if (roles !== undefined) return `Invalid task resources: ${roles}`;
  const mix = revocableMixError(resources);
  if (mix !== undefined) return `Task mixes revocable and non-revocable resources: ${mix}`;
  if (task.command !== undefined) {
    const environment = environmentError(task.command);
    if (environment !== undefined) return `Task's \`CommandInfo\` is invalid: ${environment}`;
  }
  return resourceLimitsError(task, context);
}

function executorError(executor: ExecutorInfo, context: TaskContext): string | undefined {
  const type = executor.type ?? 'UNKNOWN';
  if (type === 'DEFAULT' && executor.command !== undefined) {
    return "'ExecutorInfo.command' must not be set for 'DEFAULT' executor";
  }
  if (type === 'CUSTOM' && executor.command === undefined) return "'ExecutorInfo.command' must be set for 'CUSTOM' executor";
  const id = idError(executor.executor_id.value);
  if (id !== undefined) return id;
  if (negative(executor.shutdown_grace_period as { nanoseconds: number } | undefined)) {
    return "ExecutorInfo's 'shutdown_grace_period' must be non-negative";
  }
  if (executor.command !== undefined) {
    const environment = environmentError(executor.command);
    if (environment !== undefined) return `Executor's \`CommandInfo\` is invalid: ${environment}`;
  }
  if (executor.framework_id === undefined) return "'ExecutorInfo.framework_id' must be set";
  if (executor.framework_id.value !== context.frameworkId) {
    return `ExecutorInfo has an invalid FrameworkID (Actual: ${executor.framework_id.value} vs Expected: ${context.frameworkId})`;
  }
  const resources = executor.resources ?? [];
  const invalid = resourcesError(resources);
  if (invalid !== undefined) return `Executor uses invalid resources: Invalid resources: ${invalid}`;
  const roles = resources.length === 0 ? undefined : singleRoleError(resources);
  if (roles !== undefined) return `Invalid executor resources: ${roles}`;
  const mix = revocableMixError(resources);
  if (mix !== undefined) return `Executor mixes revocable and non-revocable resources: ${mix}`;
  if (type !== 'UNKNOWN' && type !== 'CUSTOM') return "'ExecutorInfo.type' must be 'CUSTOM'";
  if (executor.command === undefined) return "'ExecutorInfo.command' must be set";
  return undefined;
}

/**
 * The first reason `task` can't launch, or undefined. Its resources (and
 * its executor's) must already carry the offer's allocation role.
 */
export function taskError(task: TaskInfo, context: TaskContext): string | undefined {
  const fields = taskFieldsError(task, context);
  if (fields !== undefined) return fields;

  if ((task.executor !== undefined) === (task.command !== undefined)) {
    return 'Task should have at least one (but not both) of CommandInfo or ExecutorInfo present';
  }
  let total: Resource[] = add([], task.resources ?? []);
  if (task.executor !== undefined) {
    const executor = executorError(task.executor, context);
    if (executor !== undefined) return executor;
    if (!context.hasExecutor(task.executor.executor_id.value)) total = add(total, task.executor.resources ?? []);
  }
  const combined = revocableMixError(total);
  if (combined !== undefined) return `Task and its executor mix revocable and non-revocable resources: ${combined}`;
  if (!contains(context.available, total)) {
    return `Total resources ${formatResources(total)} required by task and its executor is more than available ${formatResources(context.available)}`;
  }
  const linux = (task.container as { linux_info?: { share_cgroups?: boolean } } | undefined)?.linux_info;
  if (linux?.share_cgroups === false) return "Only tasks in a task group may have 'share_cgroups' set to 'false'";
  return undefined;
}
