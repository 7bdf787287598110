// The master's side of an agent (master/master.cpp registerSlave,
// statusUpdate, executorMessage, exitedExecutor, unregisterSlave).
import type { Agent, AgentLink, AgentRegistration, AgentStatusUpdate } from './agents';
import { decodeBase64 } from './codec/base64';
import { isUuidBytes } from './ids';
import type { Master } from './master';

function statusUpdate(master: Master, agentId: string, update: AgentStatusUpdate): void {
  const agent = master.agents.get(agentId);
  if (agent === undefined) return; // a removed agent's updates are ignored
  const uuid = update.status.uuid;
  if (uuid === undefined || !isUuidBytes(decodeBase64(uuid))) return;
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
  const record = master.newAgentRecord(registration, agentId, agent, master.agents.size + 1);
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
      if (live()) master.removeAgent(record, 'the agent unregistered');
    },
  };
}
