// KILL, ACKNOWLEDGE, RECONCILE, SHUTDOWN and MESSAGE (master/master.cpp
// kill, acknowledge, reconcile, shutdown, message).
import type { Master } from '../master';
import type { FrameworkRecord, TaskRecord } from '../records';
import { isTerminal } from '../status';
import type { Acknowledge, Kill, Message, Reconcile, Shutdown, TaskStatus } from '../types';

/** The state a reconciliation reports: the last one forwarded with a uuid, else the task's own. */
function latestStatus(master: Master, task: TaskRecord): TaskStatus {
  const last = task.statuses[task.statuses.length - 1];
  return master.masterStatus({
    taskId: task.info.task_id.value,
    state: task.statusUpdateState ?? task.state,
    message: 'Reconciliation: Latest task state',
    reason: 'REASON_RECONCILIATION',
    agentId: task.agentId,
    executorId: task.info.executor?.executor_id.value,
    healthy: last?.healthy,
    checkStatus: last?.check_status,
    containerStatus: last?.container_status,
  });
}

export function reconcile(master: Master, framework: FrameworkRecord, call: Reconcile): void {
  const wanted = call.tasks ?? [];
  if (wanted.length === 0) {
    for (const task of framework.tasks.values()) master.forward(framework, latestStatus(master, task));
    return;
  }
  const partitionAware = master.isPartitionAware(framework);
  for (const { task_id, agent_id } of wanted) {
    const task = framework.tasks.get(task_id.value);
    if (task !== undefined) {
      master.forward(framework, latestStatus(master, task));
    } else if (agent_id !== undefined && master.agents.has(agent_id.value)) {
      master.forward(
        framework,
        master.masterStatus({
          taskId: task_id.value,
          state: partitionAware ? 'TASK_GONE' : 'TASK_LOST',
          message: 'Reconciliation: Task is unknown to the agent',
          reason: 'REASON_RECONCILIATION',
          agentId: agent_id.value,
        }),
      );
    } else {
      master.forward(
        framework,
        master.masterStatus({
          taskId: task_id.value,
          state: partitionAware ? 'TASK_UNKNOWN' : 'TASK_LOST',
          message: 'Reconciliation: Task is unknown',
          reason: 'REASON_RECONCILIATION',
          agentId: agent_id?.value,
        }),
      );
    }
  }
}

/** An unknown task is reconciled instead; a task named on the wrong agent is left alone. */
export function kill(master: Master, framework: FrameworkRecord, call: Kill): void {
  const task = framework.tasks.get(call.task_id.value);
  if (task === undefined) {
    return reconcile(master, framework, { tasks: [{ task_id: call.task_id, agent_id: call.agent_id }] });
  }
  if (call.agent_id !== undefined && call.agent_id.value !== task.agentId) return;
  const agent = master.agents.get(task.agentId);
  if (agent === undefined) return;
  master.post(() => agent.agent.killTask(framework.id, call.task_id.value, call.kill_policy));
}

/** Passed on to the agent; the acknowledgement of a terminal update also removes the task. */
export function acknowledge(master: Master, framework: FrameworkRecord, call: Acknowledge): void {
  const agent = master.agents.get(call.agent_id.value);
  if (agent === undefined) return;
  const task = agent.tasks.get(framework.id)?.get(call.task_id.value);
  if (task !== undefined) {
    if (task.statusUpdateState === undefined) return; // never forwarded by this master
    const same = Buffer.from(task.statusUpdateUuid!, 'base64').equals(Buffer.from(call.uuid, 'base64'));
    if (isTerminal(task.statusUpdateState) && same) master.removeTask(task);
  }
  const uuid = call.uuid;
  master.post(() => agent.agent.acknowledge(framework.id, call.task_id.value, uuid));
}

export function shutdown(master: Master, framework: FrameworkRecord, call: Shutdown): void {
  const agent = master.agents.get(call.agent_id.value);
  if (agent === undefined) return;
  master.post(() => agent.agent.shutdownExecutor(framework.id, call.executor_id.value));
}

/** To the agent, which drops it unless the executor exists (a command task's executor id is its task id). */
export function message(master: Master, framework: FrameworkRecord, call: Message): void {
  const agent = master.agents.get(call.agent_id.value);
  if (agent === undefined) return;
  master.post(() => agent.agent.frameworkMessage(framework.id, call.executor_id.value, call.data));
}
