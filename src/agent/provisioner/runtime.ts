// An image's config applied to a task's CommandInfo, by the rules of
// Mesos's docker runtime isolator:
// - a shell command runs as given (it must have a value);
// - a command with a value runs as given, the image's Entrypoint and Cmd ignored;
// - a command without one runs the image's Entrypoint (argv: the entrypoint,
//   then the task's arguments, or the image's Cmd when the task gives none),
//   or, with no Entrypoint, Cmd[0] (argv: Cmd[0], then the task's arguments,
//   or the rest of Cmd when it gives none); neither is an error.
// The image's Env comes first and the task's own variables override it; its
// WorkingDir becomes the working directory. Its User is reported, not
// applied: Mesos only warns about it and runs the task as it would anyway.
// Pure: no I/O.
import type { CommandInfo, EnvironmentVariable } from '../../master/types';
import type { RuntimeConfig } from './manifest';

export interface ImageLaunch {
  /** The command to run, with the image's environment under the task's. */
  command: CommandInfo;
  /** The image's WorkingDir, when it names one. */
  workingDirectory?: string;
  /** The image's User, when it names one (Mesos does not switch to it). */
  imageUser?: string;
}

export class RuntimeError extends Error {}

export function imageLaunch(runtime: RuntimeConfig, task: CommandInfo, options: { ignoreRuntime?: boolean } = {}): ImageLaunch {
  const shell = task.shell ?? true;
  if (shell && (task.value === undefined || task.value === '')) throw new RuntimeError('Shell specified but no command value provided');
  if (options.ignoreRuntime === true) return { command: task };
  const command: CommandInfo = { ...task, shell };
  if (!shell && task.value === undefined) {
    const given = task.arguments ?? [];
    const entrypoint = runtime.entrypoint ?? [];
    const cmd = runtime.cmd ?? [];
    if (entrypoint.length > 0) {
      command.value = entrypoint[0];
      command.arguments = [...entrypoint, ...(given.length > 0 ? given : cmd)];
    } else if (cmd.length > 0) {
      command.value = cmd[0];
      command.arguments = [cmd[0], ...(given.length > 0 ? given : cmd.slice(1))];
    } else {
      throw new RuntimeError('No executable is found: the task gives no command and the image neither Entrypoint nor Cmd');
    }
  }
  const variables = new Map<string, EnvironmentVariable>();
  for (const entry of runtime.env ?? []) {
    // Docker's NAME=VALUE; an entry without '=' is skipped, as Mesos does.
    const equals = entry.indexOf('=');
    if (equals <= 0) continue;
    const name = entry.slice(0, equals);
    variables.set(name, { name, type: 'VALUE', value: entry.slice(equals + 1) });
  }
  for (const variable of task.environment?.variables ?? []) {
    variables.delete(variable.name);
    variables.set(variable.name, variable);
  }
  if (variables.size > 0) command.environment = { ...task.environment, variables: [...variables.values()] };
  const launch: ImageLaunch = { command };
  if (runtime.workingDir !== undefined && runtime.workingDir !== '') launch.workingDirectory = runtime.workingDir;
  if (runtime.user !== undefined && runtime.user !== '') launch.imageUser = runtime.user;
  return launch;
}
