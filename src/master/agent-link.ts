// The master's side of an agent (master/master.cpp registerSlave,
// statusUpdate, executorMessage, exitedExecutor, unregisterSlave).
import type { Agent, AgentLink, AgentRegistration, AgentStatusUpdate } from './agents';
import { isUuidBytes } from './ids';
import { type Master, MESOS_VERSION } from './master';
import type { AgentRecord } from './records';
import { add, upgrade } from './resources';

/** Removes an agent: its tasks are lost (and the frameworks told), its offers rescinded, FAILURE to every framework. */
function removeAgent(master: Master, agent: AgentRecord, cause: string): void {
  master.allocator.removeAgent(agent.id);
  for (const [frameworkId, tasks] of [...agent.tasks]) {
    const framework = master.frameworks.get(frameworkId);
    for (const task of [...tasks.values()]) {
      const status = master.masterStatus({
        taskId: task.info.task_id.value,
        state: 'TASK_LOST',
        message: `Agent ${agent.hostname} removed: ${cause}`,
        reason: 'REASON_AGENT_REMOVED',
        agentId: agent.id,
        executorId: task.info.executor?.executor_id.value,
      });
      master.updateTask(task, status);
      master.removeTask(task);
      if (framework !== undefined) master.forward(framework, status);
    }
  }
  for (const framework of master.frameworks.values()) framework.executors.delete(agent.id);
  for (const offerId of [...agent.offers]) master.rescindOffer(master.offers.get(offerId)!);
  master.agents.delete(agent.id);
  for (const framework of master.frameworks.values()) {
    master.send(framework, { type: 'FAILURE', failure: { agent_id: { value: agent.id } } });
  }
}

/** An agent's record; like Mesos's local agents, it shares the master's address unless it has its own. */
function newAgentRecord(master: Master, registration: AgentRegistration, agentId: string, agent: Agent): AgentRecord {
  const sequence = Number(agentId.slice(agentId.lastIndexOf('-S') + 2));
  const processId = registration.processId ?? `slave(${sequence + 1})`;
  const ip = registration.address?.ip ?? master.info.address!.ip!;
  const port = registration.address?.port ?? master.info.port;
  return {
    id: agentId,
    hostname: registration.hostname,
    pid: `${processId}@${ip}:${port}`,
    ip,
    port,
    processId,
    resources: add([], registration.resources.map(upgrade)),
    attributes: [...(registration.attributes ?? [])],
    capabilities: [...(registration.capabilities ?? [])],
    version: registration.version ?? MESOS_VERSION,
    agent,
    registeredTime: master.nowSeconds(),
    tasks: new Map(),
    offers: new Set(),
  };
}

function statusUpdate(master: Master, agentId: string, update: AgentStatusUpdate): void {
  const agent = master.agents.get(agentId);
  if (agent === undefined) return; // a removed agent's updates are ignored
  const uuid = update.status.uuid;
  if (uuid === undefined || !isUuidBytes(Buffer.from(uuid, 'base64'))) return;
  const status = { ...update.status, agent_id: { value: agentId } };
  const framework = master.framework(update.framework_id);
  // A disconnected framework misses the update; the agent sends it again.
  if (framework !== undefined && framework.connection !== undefined) master.forward(framework, status);
  const task = agent.tasks.get(update.framework_id)?.get(status.task_id.value);
  if (task !== undefined) master.updateTask(task, status, update.latest_state);
}

/** Registers an agent under a new id "<master id>-S<n>"; its resources are offered from the next allocation on. */
export function registerAgent(master: Master, registration: AgentRegistration, agent: Agent): AgentLink {
  const agentId = master.ids.agent();
  const record = newAgentRecord(master, registration, agentId, agent);
  master.agents.set(agentId, record);
  master.allocator.addAgent(agentId, record.resources);
  master.allocateSoon();

  const live = (): boolean => master.agents.get(agentId) === record;
  return {
    agentId,
    statusUpdate: (update) => statusUpdate(master, agentId, update),
    executorMessage(frameworkId, executorId, data) {
      const framework = master.framework(frameworkId);
      if (!live() || framework === undefined) return;
      master.send(framework, {
        type: 'MESSAGE',
        message: { agent_id: { value: agentId }, executor_id: { value: executorId }, data },
      });
    },
    executorExited(frameworkId, executorId, status) {
      const framework = master.framework(frameworkId);
      if (!live()) return;
      framework?.executors.get(agentId)?.delete(executorId);
      if (framework === undefined) return;
      master.send(framework, {
        type: 'FAILURE',
        failure: { agent_id: { value: agentId }, executor_id: { value: executorId }, status },
      });
    },
    unregister() {
      if (live()) removeAgent(master, record, 'the agent unregistered');
    },
  };
}
