// ACCEPT (master/master.cpp accept and _accept): the offers are checked
// first (a bad set fails every task of the call: TASK_LOST, or
// TASK_DROPPED for PARTITION_AWARE frameworks); then each operation's
// resources; then, operation by operation, each task against what the
// accepted offers still hold, earlier tasks of the same call taken out.
// Whatever no task took goes back with the call's filters.
//
// This master runs tasks on command agents and offers unreserved
// resources only: LAUNCH is carried out; LAUNCH_GROUP fails its tasks;
// the reservation and volume operations are refused as Mesos refuses an
// operation it can't apply (an OPERATION_ERROR when the operation has an
// id, and nothing otherwise).
import type { Master } from '../master';
import type { AgentRecord, FrameworkRecord, OfferRecord } from '../records';
import { add, subtract, upgrade } from '../resources';
import type { Accept, Operation, OperationType, Resource, TaskInfo, TaskReason, TaskState } from '../types';
import { offersError } from '../validation/offers';
import { resourcesError } from '../validation/resources';
import { taskError } from '../validation/task';

const FIELD: Record<Exclude<OperationType, 'UNKNOWN'>, { field: keyof Operation; article: string; stop: string }> = {
  LAUNCH: { field: 'launch', article: 'A', stop: 'offer operation' },
  LAUNCH_GROUP: { field: 'launch_group', article: 'A', stop: 'offer operation' },
  RESERVE: { field: 'reserve', article: 'A', stop: 'offer operation' },
  UNRESERVE: { field: 'unreserve', article: 'An', stop: 'offer operation' },
  CREATE: { field: 'create', article: 'A', stop: 'offer operation' },
  DESTROY: { field: 'destroy', article: 'A', stop: 'offer operation' },
  GROW_VOLUME: { field: 'grow_volume', article: 'A', stop: 'operation' },
  SHRINK_VOLUME: { field: 'shrink_volume', article: 'A', stop: 'offer operation' },
  CREATE_DISK: { field: 'create_disk', article: 'A', stop: 'offer operation' },
  DESTROY_DISK: { field: 'destroy_disk', article: 'A', stop: 'offer operation' },
};

function tasksOf(operation: Operation): TaskInfo[] {
  if (operation.type === 'LAUNCH') return operation.launch?.task_infos ?? [];
  if (operation.type === 'LAUNCH_GROUP') return operation.launch_group?.task_group?.tasks ?? [];
  return [];
}

const isLaunch = (type: OperationType | undefined): boolean => type === 'LAUNCH' || type === 'LAUNCH_GROUP';

/** Mesos's validateAndUpgradeResources: the operation's field is set and its resources are valid. */
function operationResourcesError(operation: Operation): string | undefined {
  const type = operation.type ?? 'UNKNOWN';
  if (type === 'UNKNOWN') return 'Unknown offer operation';
  const { field, article, stop } = FIELD[type];
  const missing = `${article} ${type} ${stop} must have the Offer.Operation.${field} field set`;
  if (operation[field] === undefined) return type === 'GROW_VOLUME' || type === 'SHRINK_VOLUME' ? missing : `${missing}.`;
  if (type === 'LAUNCH_GROUP') {
    const executorError = resourcesError(operation.launch_group!.executor?.resources ?? []);
    if (executorError !== undefined) return executorError;
  }
  for (const task of tasksOf(operation)) {
    const error = resourcesError(task.resources ?? []) ?? resourcesError(task.executor?.resources ?? []);
    if (error !== undefined) return error;
  }
  return undefined;
}

/** Mesos's drop(): an operation that won't happen; the framework hears only if the operation has an id. */
function dropOperation(master: Master, framework: FrameworkRecord, operation: Operation, message: string): void {
  if (operation.id === undefined) return;
  master.send(framework, {
    type: 'UPDATE_OPERATION_STATUS',
    update_operation_status: { status: { operation_id: operation.id, state: 'OPERATION_ERROR', message } },
  });
}

function failTasks(
  master: Master,
  framework: FrameworkRecord,
  tasks: readonly TaskInfo[],
  state: TaskState,
  reason: TaskReason,
  message: string,
): void {
  for (const task of tasks) {
    master.forward(
      framework,
      master.masterStatus({ taskId: task.task_id.value, state, message, reason, agentId: task.agent_id.value }),
    );
  }
}

/** The offers are bad: they go back (without filters) and every task of the call fails. */
function rejectOffers(master: Master, framework: FrameworkRecord, accept: Accept, error: string): void {
  for (const { value } of accept.offer_ids ?? []) {
    const offer = master.offers.get(value);
    if (offer !== undefined) master.discardOffer(offer);
  }
  const state = master.isPartitionAware(framework) ? 'TASK_DROPPED' : 'TASK_LOST';
  for (const operation of accept.operations ?? []) {
    if (!isLaunch(operation.type)) {
      dropOperation(master, framework, operation, `Operation attempted with invalid offers: ${error}`);
      continue;
    }
    failTasks(master, framework, tasksOf(operation), state, 'REASON_INVALID_OFFERS', `Task launched with invalid offers: ${error}`);
  }
}

/** The operations that pass the resource and feedback checks; the others are failed or dropped here. */
function screen(master: Master, framework: FrameworkRecord, agent: AgentRecord, operations: readonly Operation[]): Operation[] {
  const kept: Operation[] = [];
  for (const operation of operations) {
    const type = operation.type ?? 'UNKNOWN';
    let error = operationResourcesError(operation);
    if (error === undefined && type === 'RESERVE' && ((operation.reserve as { source?: unknown[] }).source ?? []).length > 0) {
      error = 'Reservation updates are not yet implemented for the scheduler API.';
    }
    if (error !== undefined) {
      if (type === 'LAUNCH') failTasks(master, framework, tasksOf(operation), 'TASK_ERROR', 'REASON_TASK_INVALID', error);
      else if (type === 'LAUNCH_GROUP') {
        failTasks(master, framework, tasksOf(operation), 'TASK_ERROR', 'REASON_TASK_GROUP_INVALID', error);
      } else if (type !== 'UNKNOWN') dropOperation(master, framework, operation, `Operation attempted with invalid resources: ${error}`);
      continue;
    }
    if (operation.id !== undefined) {
      if (isLaunch(type)) {
        const reason = type === 'LAUNCH' ? 'REASON_TASK_INVALID' : 'REASON_TASK_GROUP_INVALID';
        failTasks(master, framework, tasksOf(operation), 'TASK_ERROR', reason, `The \`id\` field cannot be set on ${type} operations`);
        continue;
      }
      if (!agent.capabilities.includes('RESOURCE_PROVIDER')) {
        dropOperation(
          master,
          framework,
          operation,
          `Operation requested feedback, but agent ${master.describeAgent(agent)} does not have the required RESOURCE_PROVIDER capability`,
        );
        continue;
      }
      if (!agent.capabilities.includes('AGENT_OPERATION_FEEDBACK')) {
        dropOperation(
          master,
          framework,
          operation,
          `Operation on agent default resources requested feedback, but agent ${master.describeAgent(agent)} does not have the required AGENT_OPERATION_FEEDBACK and RESOURCE_PROVIDER capabilities`,
        );
        continue;
      }
    }
    kept.push(operation);
  }
  return kept;
}

/** A task as the master keeps it: resources upgraded and allocated to the offer's role, the executor's framework filled in. */
function normalize(task: TaskInfo, role: string, frameworkId: string): TaskInfo {
  const place = (resources: readonly Resource[]): Resource[] =>
    resources.map((r) => {
      const out = upgrade(r);
      if (out.allocation_info === undefined) out.allocation_info = { role };
      return out;
    });
  const out: TaskInfo = { ...task, resources: place(task.resources ?? []) };
  if (task.executor !== undefined) {
    out.executor = { ...task.executor, resources: place(task.executor.resources ?? []) };
    if (out.executor.framework_id === undefined) out.executor.framework_id = { value: frameworkId };
  }
  return out;
}

function launch(
  master: Master,
  framework: FrameworkRecord,
  agent: AgentRecord,
  role: string,
  tasks: readonly TaskInfo[],
  remaining: Resource[],
): Resource[] {
  for (const given of tasks) {
    const task = normalize(given, role, framework.id);
    const executors = framework.executors.get(agent.id) ?? new Set<string>();
    const error = taskError(task, {
      frameworkId: framework.id,
      hasTask: (id) => framework.tasks.has(id),
      agentId: agent.id,
      agentCapabilities: agent.capabilities,
      hasExecutor: (id) => executors.has(id),
      available: remaining,
    });
    if (error !== undefined) {
      failTasks(master, framework, [task], 'TASK_ERROR', 'REASON_TASK_INVALID', error);
      continue;
    }
    let consumed = add([], task.resources ?? []);
    if (task.executor !== undefined && !executors.has(task.executor.executor_id.value)) {
      consumed = add(consumed, task.executor.resources ?? []);
    }
    master.addTask(framework, agent, task);
    remaining = subtract(remaining, consumed);
    const info = framework.info;
    master.post(() => agent.agent.runTask(info, task));
  }
  return remaining;
}

export function accept(master: Master, framework: FrameworkRecord, call: Accept): void {
  const offerIds = call.offer_ids ?? [];
  const error =
    offerIds.length === 0 ? 'No offers specified' : offersError(offerIds, (id) => master.offers.get(id), framework.id);
  if (error !== undefined) return rejectOffers(master, framework, call, error);

  const offers = offerIds.map(({ value }) => master.offers.get(value)!) as OfferRecord[];
  const { agentId, role } = offers[0]!;
  const agent = master.agents.get(agentId)!;
  const operations = screen(master, framework, agent, call.operations ?? []);

  let remaining = master.takeOffers(offers);
  for (const operation of operations) {
    switch (operation.type) {
      case 'LAUNCH':
        remaining = launch(master, framework, agent, role, tasksOf(operation), remaining);
        break;
      case 'LAUNCH_GROUP':
        failTasks(
          master,
          framework,
          tasksOf(operation),
          'TASK_ERROR',
          'REASON_TASK_GROUP_INVALID',
          `Task groups are not supported: agent ${agent.id} runs command tasks only`,
        );
        break;
      case 'CREATE_DISK':
      case 'DESTROY_DISK':
        dropOperation(
          master,
          framework,
          operation,
          `Not supported on agent ${master.describeAgent(agent)} because it does not have RESOURCE_PROVIDER capability`,
        );
        break;
      default:
        dropOperation(master, framework, operation, `${operation.type} operations are not supported by this master`);
    }
  }
  master.allocator.recover(framework.id, agent.id, remaining, master.clock.now(), call.filters?.refuse_seconds ?? 5);
}
