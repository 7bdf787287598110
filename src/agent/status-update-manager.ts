// The agent's status update manager, with Mesos's rules
// (task_status_update_manager.cpp): one stream per task; an update is
// forwarded only when every earlier one of its task has been acknowledged,
// so one is in flight per task; an unacknowledged update is resent after
// 10 s, then after twice as long each time, up to 10 min. The stream ends
// when its terminal update is acknowledged. Updates carry their own uuid;
// a resent update is the same update, uuid included.
import type { AgentStatusUpdate } from '../master/agents';
import type { TaskStatus } from '../master/types';

export const STATUS_UPDATE_RETRY_INTERVAL_MIN_MS = 10_000;
export const STATUS_UPDATE_RETRY_INTERVAL_MAX_MS = 600_000;

import { isTerminal as isTerminalState } from '../proto/task-state';

/** An acknowledgement that matches nothing in flight; the message is Mesos's. */
export class AcknowledgementError extends Error {}

export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  // Retries alone never keep the process alive.
  set: (callback, ms) => setTimeout(callback, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface StatusUpdateManagerOptions {
  /** Sends an update to the master. */
  readonly forward: (update: AgentStatusUpdate) => void;
  readonly retryIntervalMinMs?: number;
  readonly retryIntervalMaxMs?: number;
  readonly timers?: Timers;
  /** Told when the master's link throws; the update is resent as if it had been lost. */
  readonly warn?: (message: string) => void;
}

interface Stream {
  readonly frameworkId: string;
  readonly taskId: string;
  readonly pending: TaskStatus[];
  readonly received: Set<string>;
  readonly acknowledged: Set<string>;
  timer?: unknown;
}

const key = (frameworkId: string, taskId: string) => JSON.stringify([frameworkId, taskId]);

export class StatusUpdateManager {
  private readonly streams = new Map<string, Stream>();
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly timers: Timers;

  constructor(private readonly options: StatusUpdateManagerOptions) {
    this.minMs = options.retryIntervalMinMs ?? STATUS_UPDATE_RETRY_INTERVAL_MIN_MS;
    this.maxMs = options.retryIntervalMaxMs ?? STATUS_UPDATE_RETRY_INTERVAL_MAX_MS;
    this.timers = options.timers ?? realTimers;
  }

  /**
   * Queues an update (it must have its uuid) and forwards it at once if
   * nothing of its task is in flight. An update already received is ignored.
   */
  update(frameworkId: string, status: TaskStatus): void {
    const uuid = status.uuid;
    if (uuid === undefined) throw new Error("Task status update is missing 'uuid'");
    const id = key(frameworkId, status.task_id.value);
    let stream = this.streams.get(id);
    if (stream === undefined) {
      stream = { frameworkId, taskId: status.task_id.value, pending: [], received: new Set(), acknowledged: new Set() };
      this.streams.set(id, stream);
    }
    if (stream.received.has(uuid) || stream.acknowledged.has(uuid)) return;
    stream.received.add(uuid);
    stream.pending.push(status);
    if (stream.pending.length === 1) this.forward(stream, this.minMs);
  }

  /**
   * The framework acknowledged `uuid` for `taskId`. Returns true when that
   * was the task's terminal update (its stream is then gone). Throws
   * AcknowledgementError for one that matches nothing in flight.
   */
  acknowledge(frameworkId: string, taskId: string, uuid: string): boolean {
    const stream = this.streams.get(key(frameworkId, taskId));
    if (stream === undefined) {
      throw new AcknowledgementError(`Cannot find the task status update stream for task ${taskId} of framework ${frameworkId}`);
    }
    if (stream.acknowledged.has(uuid)) throw new AcknowledgementError('Duplicate task status acknowledgement');
    const next = stream.pending[0];
    if (next === undefined) {
      throw new AcknowledgementError(`Unexpected task status update acknowledgment (UUID: ${uuid}) for task ${taskId} of framework ${frameworkId}`);
    }
    if (next.uuid !== uuid) {
      throw new AcknowledgementError(
        `Unexpected task status update acknowledgement (received ${uuid}, expecting ${next.uuid}) for task ${taskId} of framework ${frameworkId}`,
      );
    }
    this.stopRetrying(stream);
    stream.pending.shift();
    stream.acknowledged.add(uuid);
    if (isTerminalState(next.state)) {
      this.streams.delete(key(frameworkId, taskId));
      return true;
    }
    if (stream.pending.length > 0) this.forward(stream, this.minMs);
    return false;
  }

  /** The updates of a task not yet acknowledged, oldest (the one in flight) first. */
  pending(frameworkId: string, taskId: string): readonly TaskStatus[] {
    return [...(this.streams.get(key(frameworkId, taskId))?.pending ?? [])];
  }

  /** Drops the streams of a framework: nothing more of it is sent. */
  dropFramework(frameworkId: string): void {
    for (const [id, stream] of this.streams) {
      if (stream.frameworkId !== frameworkId) continue;
      this.stopRetrying(stream);
      this.streams.delete(id);
    }
  }

  /** Stops every retry; the streams stay as they are. */
  close(): void {
    for (const stream of this.streams.values()) this.stopRetrying(stream);
  }

  private stopRetrying(stream: Stream): void {
    if (stream.timer !== undefined) this.timers.clear(stream.timer);
    stream.timer = undefined;
  }

  /** Sends the update in flight and schedules its resend after `intervalMs`, doubling each time up to the maximum. */
  private forward(stream: Stream, intervalMs: number): void {
    const status = stream.pending[0]!;
    const latest = stream.pending[stream.pending.length - 1]!.state;
    stream.timer = this.timers.set(() => {
      stream.timer = undefined;
      if (stream.pending[0] === status) this.forward(stream, Math.min(intervalMs * 2, this.maxMs));
    }, intervalMs);
    try {
      this.options.forward({
        framework_id: stream.frameworkId,
        status,
        ...(stream.pending.length > 1 ? { latest_state: latest } : {}),
      });
    } catch (error) {
      this.options.warn?.(`Failed to forward task status update for task ${stream.taskId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
