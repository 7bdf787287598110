// Node modules that cost start-up time, loaded only by the paths that use
// them: child_process alone adds about a millisecond to every launch.
import type * as ChildProcess from 'node:child_process';
import type * as Os from 'node:os';

let childProcess: typeof ChildProcess | undefined;

export function spawnSync(...args: Parameters<typeof ChildProcess.spawnSync>): ReturnType<typeof ChildProcess.spawnSync> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  childProcess ??= require('node:child_process') as typeof ChildProcess;
  return childProcess.spawnSync(...args);
}

let os: typeof Os | undefined;

/** The number of the signal Node calls `name` ('SIGKILL' is 9), if it knows one. */
export function signalNumber(name: string): number | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  os ??= require('node:os') as typeof Os;
  return (os.constants.signals as Record<string, number | undefined>)[name];
}
