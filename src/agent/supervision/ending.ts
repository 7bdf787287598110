// What is known of how a container ended, from the facts the supervision
// gathered: how the helper exited, what the exec notification said, the
// status file, the helper's last line on stderr, kills and the memory
// limit. The waiter exits 0 only once it has written the status of a task
// it started, so that status is the task's; otherwise the task ran if its
// exec closed the notification without an 'F'. Pure.
import { signalDescription, termSignalOf, exitedNormally } from '../wait-status';
import type { NotifyState } from './exec-notify';
import { describeExit, type Exit } from './helper';
import { type CheckpointFailure, parseCheckpointFailure } from './last-words';

/** What is known of how a container ended. */
export interface ContainerEnd {
  /** Why the task never ran, for "Failed to launch container: ...". */
  readonly launchFailure?: string;
  /** A kill came before the task ran. */
  readonly killedDuringLaunch: boolean;
  /** The task was exec'd. */
  readonly ran: boolean;
  /** A kill was asked of the running task. */
  readonly killed: boolean;
  readonly helper: Exit;
  /** The task's raw wait status, as the helper checkpointed and vouched for it (exit 0). */
  readonly waitStatus?: number;
  /** The task ran but its status could not be checkpointed. */
  readonly checkpointFailure?: CheckpointFailure;
  /** The kernel's OOM killer struck inside the container: its limit and peak, in bytes, where known. */
  readonly memoryLimit?: { readonly limit?: number; readonly maxUsed?: number };
}

export interface EndFacts {
  readonly exit: Exit;
  readonly notified: NotifyState;
  /** The status file's wait status, if it holds one. */
  readonly checkpointed?: number;
  readonly killedDuringLaunch: boolean;
  readonly killed: boolean;
  readonly memoryLimit?: { readonly limit?: number; readonly maxUsed?: number };
  /** The helper's last line on stderr, when it can be read. */
  readonly helperWords?: string;
}

/** Why a helper that never ran the task ended, in a few words. */
function launchFailure(facts: EndFacts): string {
  const { exit, checkpointed } = facts;
  const helperSignal = exit.code !== null && exit.code > 128 ? exit.code - 128 : undefined;
  if (checkpointed !== undefined && !exitedNormally(checkpointed)) {
    return `the helper was terminated with signal ${signalDescription(termSignalOf(checkpointed))} before the task started`;
  }
  if (helperSignal !== undefined) return `the helper was terminated with signal ${signalDescription(helperSignal)}`;
  if (exit.signal !== null) return `the helper was terminated by ${exit.signal}`;
  return facts.helperWords ?? `mesos-containerizer launch ${describeExit(exit)} (see its error above)`;
}

export function containerEnd(facts: EndFacts): ContainerEnd {
  const base = { killedDuringLaunch: facts.killedDuringLaunch, killed: facts.killed, helper: facts.exit };
  if (facts.killedDuringLaunch) return { ...base, ran: false };
  const vouched = facts.exit.code === 0 && facts.checkpointed !== undefined;
  const ran = vouched || facts.notified === 'execd';
  const memoryLimit = facts.memoryLimit === undefined ? {} : { memoryLimit: facts.memoryLimit };
  if (!ran) return { ...base, ran, launchFailure: launchFailure(facts), ...memoryLimit };
  if (vouched) return { ...base, ran, waitStatus: facts.checkpointed!, ...memoryLimit };
  if (facts.exit.code !== 1) return { ...base, ran, ...memoryLimit };
  // The waiter failed after the task started: what it said is all there is.
  const words = facts.helperWords;
  const checkpointFailure = parseCheckpointFailure(words) ?? {
    reason: `mesos-containerizer exited with status 1${words === undefined ? '' : ` (${words})`}`,
  };
  return { ...base, ran, checkpointFailure, ...memoryLimit };
}
