// Which task states are final: after one of them a task does not change
// again (Mesos's protobuf::isTerminalState).
import type { TaskState } from './types';

const TERMINAL: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_LOST',
  'TASK_ERROR',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);

export function isTerminal(state: TaskState): boolean {
  return TERMINAL.has(state);
}
