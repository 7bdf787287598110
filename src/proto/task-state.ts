// Which task states are final: after one of them a task does not change
// again (Mesos's protobuf::isTerminalState). One list for the master, the
// agent, the scheduler client and mesos-execute.
const TERMINAL: ReadonlySet<string> = new Set([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_LOST',
  'TASK_ERROR',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);

export function isTerminal(state: string): boolean {
  return TERMINAL.has(state);
}
