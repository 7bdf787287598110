// Removing a tree a task could write in (its sandbox, a work directory
// holding sandboxes, a writable layer): through directory fds, following no
// link and entering no other filesystem, never by path names, which a
// task's user could swap for a link meanwhile. The addon's walk does it in
// the process, up to 128 levels; a tree deeper than that (which a task can
// make, and which must not stop the next start), or a path it won't take,
// goes to GNU rm, which takes any depth the same way, at the cost of a
// process (some 10 ms from a process of our size).
import { spawnSync } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { removeTree } from '../../native/libc';

const RM = '/bin/rm';

/** Removes `path` and all it holds; nothing there is not an error. Throws, one line, with the first word of why. */
export function removeTaskTree(path: string): void {
  try {
    removeTree(dirname(path), basename(path));
    return;
  } catch {
    // Too deep, a link on the way there, another filesystem inside: rm says which.
  }
  const run = spawnSync(RM, ['-rf', '--one-file-system', '--', path], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (run.error !== undefined) throw new Error(`Failed to remove '${path}': ${run.error.message}`);
  if (run.status !== 0) {
    const why = run.stderr.split('\n').find((line) => line.trim() !== '') ?? `${RM} ended with ${run.signal ?? `status ${run.status}`}`;
    throw new Error(`Failed to remove '${path}': ${why.replace(/^\/bin\/rm: /, '')}`);
  }
}
