// A task's sandbox, as Mesos's agent makes it: a directory of the work dir
// private to the task (0750) and owned by the user the task runs as. A task
// with a root filesystem of its own sees it where the agent's
// --sandbox_directory (MESOS_SANDBOX_DIRECTORY) says, which MESOS_SANDBOX
// tells it.
import { chmodSync, chownSync, closeSync, constants, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { getpwnam, reasonOf } from '../../native/libc';

export const DEFAULT_SANDBOX_DIRECTORY = '/mnt/mesos/sandbox';

/** The flag's value from the agent's environment; throws, one line, for one that can't be a place in a container. */
export function sandboxDirectory(env: NodeJS.ProcessEnv): string {
  const given = env['MESOS_SANDBOX_DIRECTORY'];
  if (given === undefined || given === '') return DEFAULT_SANDBOX_DIRECTORY;
  if (!given.startsWith('/')) throw new Error(`The sandbox directory '${given}' (--sandbox_directory) is not an absolute path`);
  const path = posix.normalize(given).replace(/\/+$/, '');
  if (path === '') throw new Error(`The sandbox directory '${given}' (--sandbox_directory) can't be the container's root`);
  return path;
}

/** The task's stdout and stderr files in its sandbox, as the agent holds them: each closed once. */
export class SandboxOutput {
  private out: number | undefined;
  private err: number | undefined;

  /** `stderr` is open for reading too: what the helper said last is read back through it. */
  constructor(stdout: number, stderr: number) {
    this.out = stdout;
    this.err = stderr;
  }

  get stdout(): number {
    if (this.out === undefined) throw new Error("The sandbox's stdout is closed");
    return this.out;
  }

  get stderr(): number {
    if (this.err === undefined) throw new Error("The sandbox's stderr is closed");
    return this.err;
  }

  /** Once the helper has its copy. */
  closeStdout(): void {
    if (this.out !== undefined) closeSync(this.out);
    this.out = undefined;
  }

  close(): void {
    this.closeStdout();
    if (this.err !== undefined) closeSync(this.err);
    this.err = undefined;
  }
}

const OUTPUT_FLAGS = constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Makes the sandbox at `path` for `user` (none: the agent's own), with its
 * stdout and stderr files when `withOutput`. The files are made and opened
 * before the sandbox is given to the user: from then on, a name in it is
 * the task's to change. The user is the host's: the sandbox is the host's
 * directory. For a task in a root filesystem of its own (`inRootfs`), the
 * directory above is root's alone: such a task reaches its sandbox through
 * its bind, and what it makes there as root (a set-uid file, a device
 * node) is out of every other host user's reach. Returns Mesos's words for
 * what failed, if anything, and then leaves nothing.
 */
export function makeSandbox(path: string, user: string | undefined, options: { withOutput: boolean; inRootfs: boolean }): { output?: SandboxOutput } | { problem: string } {
  const opened: number[] = [];
  const undo = (why: string) => {
    for (const fd of opened) closeSync(fd);
    rmSync(path, { recursive: true, force: true });
    return { problem: `Failed to create executor directory '${path}': ${why}` };
  };
  try {
    mkdirSync(path, { recursive: true });
    if (options.inRootfs) chmodSync(dirname(path), 0o700);
    chmodSync(path, 0o750);
    if (options.withOutput) {
      opened.push(openSync(join(path, 'stdout'), OUTPUT_FLAGS | constants.O_WRONLY, 0o644));
      opened.push(openSync(join(path, 'stderr'), OUTPUT_FLAGS | constants.O_RDWR, 0o644));
    }
  } catch (error) {
    return undo(`Failed to create directory: ${reasonOf(error)}`);
  }
  if (user !== undefined) {
    let entry;
    try {
      entry = getpwnam(user);
    } catch (error) {
      return undo(`Failed to chown directory to '${user}': ${reasonOf(error)}`);
    }
    if (entry === undefined) return undo(`Failed to chown directory to '${user}': No such user '${user}'`);
    try {
      chownSync(path, entry.uid, entry.gid);
    } catch (error) {
      return undo(`Failed to chown directory to '${user}': ${reasonOf(error)}`);
    }
  }
  const [stdout, stderr] = opened;
  return stdout === undefined || stderr === undefined ? {} : { output: new SandboxOutput(stdout, stderr) };
}
