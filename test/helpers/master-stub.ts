// A stand-in for the master, for agent tests: it takes an agent's
// registration, hands back an AgentLink that records every status update
// (resends included), and acknowledges updates when the test says so, or
// all of them as they come with `autoAck`.
import type { Agent, AgentLink, AgentRegistration, AgentStatusUpdate } from '../../src/master/agents';
import type { FrameworkInfo, TaskInfo, TaskState } from '../../src/master/types';

export interface Received extends AgentStatusUpdate {
  /** Milliseconds since the stub was made. */
  readonly at: number;
}

export class MasterStub {
  readonly updates: Received[] = [];
  registration: AgentRegistration | undefined;
  agent: Agent | undefined;
  unregistered = false;
  private readonly started = Date.now();
  private readonly waiters: Array<() => void> = [];
  private count = 0;

  constructor(
    private readonly autoAck = false,
    readonly agentId = 'stub-master-S0',
  ) {}

  readonly register = (registration: AgentRegistration, agent: Agent): AgentLink => {
    this.registration = registration;
    this.agent = agent;
    const stub = this;
    return {
      agentId: this.agentId,
      statusUpdate(update) {
        stub.updates.push({ ...update, at: Date.now() - stub.started });
        if (stub.autoAck) setImmediate(() => stub.ack(update));
        for (const wake of stub.waiters.splice(0)) wake();
      },
      executorMessage() {},
      executorExited() {},
      unregister() {
        stub.unregistered = true;
      },
    };
  };

  ack(update: AgentStatusUpdate): void {
    this.agent!.acknowledge(update.framework_id, update.status.task_id.value, update.status.uuid!);
  }

  /** The updates of a task, resends included, in the order received. */
  of(taskId: string): Received[] {
    return this.updates.filter((update) => update.status.task_id.value === taskId);
  }

  /** The states of a task's distinct updates (each uuid once). */
  states(taskId: string): TaskState[] {
    const seen = new Set<string>();
    return this.of(taskId)
      .filter((update) => !seen.has(update.status.uuid!) && seen.add(update.status.uuid!) !== undefined)
      .map((update) => update.status.state);
  }

  /** Waits for an update that `match` accepts (already received or to come). */
  async waitFor(what: string, match: (update: Received) => boolean, timeoutMs = 20_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.updates.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.updates.map((u) => [u.status.task_id.value, u.status.state]))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the task's update in `state`. */
  waitForState(taskId: string, state: TaskState, timeoutMs?: number): Promise<Received> {
    return this.waitFor(`${taskId} ${state}`, (update) => update.status.task_id.value === taskId && update.status.state === state, timeoutMs);
  }

  /** Waits for the task's terminal update. */
  waitForEnd(taskId: string, timeoutMs?: number): Promise<Received> {
    const terminal = ['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED'];
    return this.waitFor(`${taskId} to end`, (update) => update.status.task_id.value === taskId && terminal.includes(update.status.state), timeoutMs);
  }

  /** A fresh task id, for tests that run many. */
  taskId(prefix: string): string {
    return `${prefix}-${++this.count}`;
  }
}

export function framework(id: string, capabilities: string[] = ['TASK_KILLING_STATE']): FrameworkInfo {
  return { id: { value: id }, user: 'root', name: 'test', capabilities: capabilities.map((type) => ({ type: type as never })) };
}

export function commandTask(taskId: string, command: string, more: Partial<TaskInfo> = {}): TaskInfo {
  return {
    name: taskId,
    task_id: { value: taskId },
    agent_id: { value: 'stub-master-S0' },
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: 0.5 } },
      { name: 'mem', type: 'SCALAR', scalar: { value: 64 } },
    ],
    command: { shell: true, value: command },
    ...more,
  };
}
