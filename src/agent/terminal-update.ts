// The terminal status update of a container's task, from what is known of
// how it ended, in Mesos's words:
// - killed before it ran: TASK_KILLED, REASON_TASK_KILLED_DURING_LAUNCH,
//   "Killed before delivery to the executor" (the agent's);
// - never ran: TASK_FAILED, REASON_CONTAINER_LAUNCH_FAILED, "Failed to launch
//   container: ..." (the agent's);
// - over its memory limit: TASK_FAILED, REASON_CONTAINER_LIMITATION_MEMORY,
//   "Memory limit exceeded: ..." (the agent's, as the memory isolator's);
// - ran and its status is known: the command executor's TASK_FINISHED,
//   TASK_FAILED or (when killed) TASK_KILLED with "Command exited with
//   status N" / "Command terminated with signal <strsignal>", and, when the
//   helper could not checkpoint it, why;
// - ran and its status is lost: the agent's TASK_FAILED with
//   REASON_EXECUTOR_TERMINATED, "Executor terminated" when the helper (the
//   executor's part) was killed, or why the checkpoint failed.
// Pure.
import type { ContainerEnd } from './supervision/container';
import { describeWaitStatus, exitCodeOf, exitedNormally, formatBytes } from './wait-status';

export type TerminalState = 'TASK_FINISHED' | 'TASK_FAILED' | 'TASK_KILLED';
export type UpdateSource = 'SOURCE_AGENT' | 'SOURCE_EXECUTOR';
export type TerminalReason =
  | 'REASON_CONTAINER_LAUNCH_FAILED'
  | 'REASON_CONTAINER_LIMITATION_MEMORY'
  | 'REASON_TASK_KILLED_DURING_LAUNCH'
  | 'REASON_EXECUTOR_TERMINATED';

export interface TerminalUpdate {
  readonly state: TerminalState;
  readonly source: UpdateSource;
  readonly reason?: TerminalReason;
  readonly message: string;
  /** The task's raw wait status, when known. */
  readonly waitStatus?: number;
  /** For REASON_CONTAINER_LIMITATION_MEMORY: the memory the task used, in MB. */
  readonly limitationMemMb?: number;
}

export const KILLED_DURING_LAUNCH = 'Killed before delivery to the executor';
export const EXECUTOR_TERMINATED = 'Executor terminated';
const SIGKILL = 9;

/** The command executor's update for a command that ended with `waitStatus`. */
function commandEnded(waitStatus: number, killed: boolean, note?: string): TerminalUpdate {
  const succeeded = exitedNormally(waitStatus) && exitCodeOf(waitStatus) === 0;
  const state: TerminalState = killed ? 'TASK_KILLED' : succeeded ? 'TASK_FINISHED' : 'TASK_FAILED';
  const message = `Command ${describeWaitStatus(waitStatus)}${note === undefined ? '' : `; ${note}`}`;
  return { state, source: 'SOURCE_EXECUTOR', message, waitStatus };
}

export function terminalUpdate(end: ContainerEnd): TerminalUpdate {
  if (end.killedDuringLaunch) {
    return { state: 'TASK_KILLED', source: 'SOURCE_AGENT', reason: 'REASON_TASK_KILLED_DURING_LAUNCH', message: KILLED_DURING_LAUNCH };
  }
  if (!end.ran) {
    return {
      state: 'TASK_FAILED',
      source: 'SOURCE_AGENT',
      reason: 'REASON_CONTAINER_LAUNCH_FAILED',
      message: `Failed to launch container: ${end.launchFailure ?? 'the task was never started'}`,
    };
  }
  if (end.memoryLimit !== undefined) {
    const { limit, maxUsed } = end.memoryLimit;
    let message = 'Memory limit exceeded: ';
    if (limit !== undefined) message += `Requested: ${formatBytes(limit)} `;
    if (maxUsed !== undefined) message += `Maximum Used: ${formatBytes(maxUsed)}`;
    return {
      state: 'TASK_FAILED',
      source: 'SOURCE_AGENT',
      reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
      message: message.trimEnd(),
      ...(end.waitStatus === undefined ? {} : { waitStatus: end.waitStatus }),
      limitationMemMb: Math.floor((maxUsed ?? limit ?? 0) / (1024 * 1024)),
    };
  }
  if (end.waitStatus !== undefined) return commandEnded(end.waitStatus, end.killed);
  const failure = end.checkpointFailure;
  const note = failure === undefined ? undefined : `Failed to checkpoint the container's status: ${failure.reason}`;
  if (failure?.status !== undefined) return commandEnded(failure.status, end.killed, note);
  // Killed after the grace period: the SIGKILL ended the helper with the task, and nobody was left to checkpoint.
  if (end.killed) return commandEnded(SIGKILL, true, note);
  return {
    state: 'TASK_FAILED',
    source: 'SOURCE_AGENT',
    reason: 'REASON_EXECUTOR_TERMINATED',
    message: note ?? EXECUTOR_TERMINATED,
  };
}
