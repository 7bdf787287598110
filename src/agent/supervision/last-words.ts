// What the helper said last on the container's stderr, where the agent can
// read it back (a file in the sandbox): why a launch failed, or the status
// the waiter could not checkpoint. The waiter writes its line after it has
// killed what was left of the container, so nothing of the task's comes
// after it.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const TAIL_BYTES = 4096;

/** The last non-empty line of the file at `path`, from its last 4 KiB; undefined when there is none. */
export function lastLine(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.subarray(0, read).toString('utf8').split('\n').map((line) => line.trim());
    return lines.reverse().find((line) => line !== '');
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export interface CheckpointFailure {
  /** The wait status the waiter had, when it said. */
  readonly status?: number;
  readonly reason: string;
}

/** The waiter's "Failed to write container status '768': No space left on device". */
export function parseCheckpointFailure(line: string | undefined): CheckpointFailure | undefined {
  const match = /^Failed to write container status '(\d+)': (.+)$/.exec(line ?? '');
  if (match === null) return undefined;
  return { status: Number(match[1]), reason: match[2]! };
}
