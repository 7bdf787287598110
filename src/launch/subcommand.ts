// `launch`: become the container. Open the status checkpoint and install the
// signal handlers first, so that every later failure is accounted for.
import { writeSync } from 'node:fs';
import { FD_CLOEXEC, F_SETFD, fcntl, installExitHandlers, O_CLOEXEC, O_CREAT, O_TRUNC, O_WRONLY, openFile, reasonOf } from '../../native/libc';
import { defineSubcommand } from '../subcommand/dispatch';
import { complain } from '../subcommand/output';
import { launchFlags } from './flags';
import { buildPlan, statusPathOf } from './plan';
import { carryOut } from './run';
import { RealLaunchSystem } from './system';

/** W_EXITCODE(1, 0): how a failed launch reads in the status file. */
const FAILURE_STATUS = 256;

function openStatus(runtimeDirectory: string): number {
  const path = statusPathOf(runtimeDirectory);
  try {
    return openFile(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600);
  } catch (error) {
    throw new Error(`Failed to open file for writing the container status '${path}': ${reasonOf(error)}`);
  }
}

function writeStatus(fd: number, status: number): void {
  try {
    writeSync(fd, String(status));
  } catch (error) {
    complain(`Failed to write container status '${status}': ${reasonOf(error)}`);
  }
}

export const launch = defineSubcommand({
  name: 'launch',
  flags: launchFlags,
  execute: (flags) => {
    let statusFd: number | undefined;
    try {
      if (flags.runtime_directory !== undefined) statusFd = openStatus(flags.runtime_directory);
      installExitHandlers(statusFd ?? -1, flags.exec_notify_fd ?? -1);
      // Not for pre-exec commands: one that left a process behind would keep it open.
      if (flags.exec_notify_fd !== undefined) keepFromChildren(flags.exec_notify_fd);
      return carryOut(buildPlan(flags), new RealLaunchSystem(), statusFd);
    } catch (error) {
      complain(error instanceof Error ? error.message : String(error));
      if (statusFd !== undefined) writeStatus(statusFd, FAILURE_STATUS);
      notifyFailure(flags.exec_notify_fd);
      return 1;
    }
  },
  // Flags we can't load are a failed launch too: checkpoint it where the
  // runtime directory can still be made out.
  onFlagError: (message, args, env) => {
    complain(message);
    const notifyFd = Number(rawFlag('exec_notify_fd', args, env));
    if (Number.isInteger(notifyFd) && notifyFd >= 0) notifyFailure(notifyFd);
    const directory = rawFlag('runtime_directory', args, env);
    if (directory !== undefined) {
      try {
        writeStatus(openStatus(directory), FAILURE_STATUS);
      } catch (error) {
        complain((error as Error).message);
      }
    }
    return 1;
  },
});

/** The text of flag `name` as given, when the flags as a whole could not be loaded. */
function rawFlag(name: string, args: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const given = new RegExp(`^--${name}=(.+)$`, 'i');
  for (const word of args) {
    const arg = word.trim();
    if (arg === '--') break;
    const match = given.exec(arg);
    if (match !== null) return match[1];
  }
  const prefix = 'MESOS_CONTAINERIZER_';
  const key = Object.keys(env).find((variable) => variable.startsWith(prefix) && variable.slice(prefix.length).toLowerCase() === name);
  return key === undefined ? undefined : env[key];
}

/** Close-on-exec: the final exec keeps it (native/exec.c clears the flag on the fds it keeps). */
function keepFromChildren(fd: number): void {
  try {
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  } catch {
    // Not open: nobody to tell, which notifyFailure finds out too.
  }
}

/** 'F' on the exec notification fd: the task will never start. */
function notifyFailure(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    writeSync(fd, 'F');
  } catch {
    // The agent is gone or the fd was never ours: nobody to tell.
  }
}
