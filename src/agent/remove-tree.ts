// Removing a tree a task could write in (its sandbox, a work directory
// holding sandboxes, a writable layer): with GNU rm, which walks it through
// directory fds, follows no link, stays on one filesystem and takes any
// depth. Node's recursive rmSync goes by path names (a directory a task's
// user swaps for a link meanwhile would lead it elsewhere) and by recursion
// (a deep enough tree overflows its stack, and so would stop every later
// start that removes it).
import { spawnSync } from 'node:child_process';

const RM = '/bin/rm';

/** Removes `path` and all it holds; nothing there is not an error. Throws, one line, with rm's first word of why. */
export function removeTaskTree(path: string): void {
  const run = spawnSync(RM, ['-rf', '--one-file-system', '--', path], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.error !== undefined) throw new Error(`Failed to remove '${path}': ${run.error.message}`);
  if (run.status !== 0) {
    const why = run.stderr.split('\n').find((line) => line.trim() !== '') ?? `${RM} ended with ${run.signal ?? `status ${run.status}`}`;
    throw new Error(`Failed to remove '${path}': ${why.replace(/^\/bin\/rm: /, '')}`);
  }
}
