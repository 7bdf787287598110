// What the helper said last on the container's stderr, where the agent can
// read it back (a file in the sandbox, through the agent's own descriptor of
// it: the sandbox is the task's, and a name there may lead anywhere by the
// time it is read): why a launch failed, or the status the waiter could not
// checkpoint. The waiter writes its line after it has killed what was left
// of the container, so nothing of the task's comes after it.
import { fstatSync, readSync } from 'node:fs';

const TAIL_BYTES = 4096;

/** The last non-empty line of the regular file open (for reading) at `fd`, from its last 4 KiB; undefined when there is none. */
export function lastLine(fd: number): string | undefined {
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    const length = Math.min(stat.size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    const read = readSync(fd, buffer, 0, length, stat.size - length);
    const lines = buffer.subarray(0, read).toString('utf8').split('\n').map((line) => line.trim());
    return lines.reverse().find((line) => line !== '');
  } catch {
    return undefined;
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
