// A command task's environment, as Mesos's agent and command executor make
// it: the agent's own (but for our helper's flags), the executor's
// variables (MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID, MESOS_DIRECTORY,
// MESOS_SANDBOX, MESOS_SLAVE_ID, MESOS_CHECKPOINT), the command's own, and
// MESOS_ALLOCATION_ROLE last. A later value of a name replaces an earlier
// one. Pure.
export interface ExecutorIds {
  readonly frameworkId: string;
  readonly executorId: string;
  readonly sandbox: string;
  /** The sandbox as a task in a root filesystem of its own sees it (MESOS_SANDBOX; MESOS_DIRECTORY stays the agent's path). */
  readonly sandboxInContainer?: string;
  readonly agentId: string;
  readonly role: string;
}

const FLAG_PREFIX = 'MESOS_CONTAINERIZER_';

export function taskEnvironment(
  agent: NodeJS.ProcessEnv,
  ids: ExecutorIds,
  own: ReadonlyArray<{ readonly name: string; readonly value: string }>,
): Array<{ name: string; value: string }> {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(agent)) {
    if (value !== undefined && !name.startsWith(FLAG_PREFIX)) values.set(name, value);
  }
  values.set('MESOS_FRAMEWORK_ID', ids.frameworkId);
  values.set('MESOS_EXECUTOR_ID', ids.executorId);
  values.set('MESOS_DIRECTORY', ids.sandbox);
  values.set('MESOS_SANDBOX', ids.sandboxInContainer ?? ids.sandbox);
  values.set('MESOS_SLAVE_ID', ids.agentId);
  values.set('MESOS_CHECKPOINT', '0');
  for (const { name, value } of own) values.set(name, value);
  values.set('MESOS_ALLOCATION_ROLE', ids.role);
  return [...values].map(([name, value]) => ({ name, value }));
}
