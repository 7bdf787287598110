// Carries a launch plan out, step by step in Mesos's order, through one
// narrow interface to the system. Unit tests hand in a recording stand-in;
// the real one is in ./system.ts.
import type { CommandInfo } from './launch-info';
import { DEFAULT_PATH, type LaunchPlan } from './plan';

export interface UserIds {
  uid: number;
  gid: number;
  /** Every group of the user from the host's databases (getgrouplist). */
  groups: number[];
}

export interface Program {
  path: string;
  argv: string[];
}

/** Everything `launch` asks of the system, and nothing else. */
export interface LaunchSystem {
  closeFd(fd: number): void;
  /** Blocks until one byte arrives; false at end of file. */
  readByte(fd: number): boolean;
  /** Makes stdin, the terminal the agent opened for us, the controlling terminal. */
  takeTerminal(): void;
  unshareMount(): void;
  /** An informational line on stdout, as Mesos prints them. */
  note(line: string): void;
  /** Runs a pre-exec command to its end; returns why it failed, if it did. */
  runCommand(command: CommandInfo): string | undefined;
  /** The user's ids, or undefined when there is no such user. */
  lookupUser(name: string): UserIds | undefined;
  getuid(): number;
  /** Opens what must survive a root change (the waiter program). */
  prepareWaiter(): void;
  makeDirectories(path: string): void;
  chdir(path: string): void;
  setgid(gid: number): void;
  setgroups(gids: readonly number[]): void;
  setuid(uid: number): void;
  isExecutableFile(path: string): boolean;
  /** The helper's own environment, as NAME=value strings. */
  inheritedEnvironment(): string[];
  /**
   * Replaces this process with the task. With a status fd, a small waiter
   * stays as the task's parent and checkpoints its wait status there.
   */
  exec(program: Program, environment: readonly string[], statusFd: number | undefined): never;
}

/** A failure of the launch: one line for stderr, exit status 1. */
export class LaunchFailure extends Error {}

function attempt<T>(what: string, action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw new LaunchFailure(`${what}: ${(error as Error).message}`);
  }
}

export function carryOut(plan: LaunchPlan, system: LaunchSystem, statusFd?: number): never {
  if (plan.pipe !== undefined) synchronize(plan.pipe, system);

  if (plan.ttySlavePath !== undefined) attempt('Failed to prepare tty', () => system.takeTerminal());

  if (plan.unshareMount) attempt('Failed to unshare mount namespace', () => system.unshareMount());

  for (const { command, json } of plan.preExecCommands) {
    system.note(`Executing pre-exec command '${json}'`);
    if (command.value === undefined) {
      throw new LaunchFailure("The 'value' of a preparation command is not specified");
    }
    const failure = system.runCommand(command);
    if (failure !== undefined) throw new LaunchFailure(`Failed to execute pre-exec command '${json}': ${failure}`);
  }

  // Look the user up while the host's /etc/passwd and /etc/group are in reach.
  const ids = plan.user === undefined ? undefined : lookupIds(plan.user, plan.supplementaryGroups, system);

  if (statusFd !== undefined) attempt('Failed to prepare the process that waits for the task', () => system.prepareWaiter());

  if (plan.workingDirectory !== undefined) {
    const directory = plan.workingDirectory;
    try {
      system.makeDirectories(directory);
    } catch (error) {
      // Not fatal: the chdir below says whether the directory is usable.
      system.note(`Failed to create working directory '${directory}': ${(error as Error).message}`);
    }
    attempt(`Failed to chdir into current working directory '${directory}'`, () => system.chdir(directory));
  }

  if (ids !== undefined) {
    attempt('Failed to set gid', () => system.setgid(ids.gid));
    attempt('Failed to set supplementary groups', () => system.setgroups(ids.groups));
    attempt('Failed to set uid', () => system.setuid(ids.uid));
  }

  for (const name of plan.overwrittenVariables) system.note(`Overwriting environment variable '${name}'`);
  const environment =
    plan.environment?.map(({ name, value }) => `${name}=${value}`) ?? withoutFlags(system.inheritedEnvironment());
  const program = resolveProgram(plan.command, plan.workingDirectory, searchPath(environment), system);
  return system.exec(program, environment, statusFd);
}

function synchronize(pipe: { read: number; write: number }, system: LaunchSystem): void {
  attempt('Failed to close pipe[1]', () => system.closeFd(pipe.write));
  let received: boolean;
  try {
    received = system.readByte(pipe.read);
  } catch {
    received = false;
  }
  if (!received) throw new LaunchFailure("Failed to synchronize with agent (it's probably exited)");
  attempt('Failed to close pipe[0]', () => system.closeFd(pipe.read));
}

function lookupIds(user: string, supplementaryGroups: readonly number[], system: LaunchSystem): UserIds | undefined {
  let ids: UserIds | undefined;
  try {
    ids = system.lookupUser(user);
  } catch (error) {
    throw new LaunchFailure(`Failed to get the uid of user '${user}': ${(error as Error).message}`);
  }
  if (ids === undefined) throw new LaunchFailure(`Failed to get the uid of user '${user}': not found`);
  // Nothing to change when we already are that user.
  if (ids.uid === system.getuid() && supplementaryGroups.length === 0) return undefined;
  return { ...ids, groups: [...new Set([...ids.groups, ...supplementaryGroups])] };
}

/** The agent hands us our flags in the environment; the task must not see them. */
function withoutFlags(environment: readonly string[]): string[] {
  return environment.filter((entry) => !entry.startsWith('MESOS_CONTAINERIZER_'));
}

function searchPath(environment: readonly string[]): string {
  const entry = environment.findLast((variable) => variable.startsWith('PATH='));
  return entry === undefined ? DEFAULT_PATH : entry.slice('PATH='.length);
}

/**
 * What to exec: `sh -c value` for a shell command, else `value` with its
 * arguments. A name without a slash is searched in PATH; a relative value
 * is also tried in the working directory.
 */
export function resolveProgram(
  command: CommandInfo,
  workingDirectory: string | undefined,
  path: string,
  system: Pick<LaunchSystem, 'isExecutableFile'>,
): Program {
  const value = command.value!;
  if (command.shell) return { path: lookPath('sh', path, system), argv: ['sh', '-c', value] };
  const argv = command.arguments.length > 0 ? command.arguments : [value];
  if (!value.startsWith('/') && workingDirectory !== undefined) {
    const candidate = `${workingDirectory.replace(/\/+$/, '')}/${value}`;
    if (system.isExecutableFile(candidate)) return { path: candidate, argv };
  }
  return { path: lookPath(value, path, system), argv };
}

function lookPath(name: string, path: string, system: Pick<LaunchSystem, 'isExecutableFile'>): string {
  if (name.includes('/')) return name;
  for (const directory of path.split(':')) {
    const candidate = `${directory === '' ? '.' : directory}/${name}`;
    if (system.isExecutableFile(candidate)) return candidate;
  }
  // execve will then say what is wrong (usually ENOENT).
  return name;
}
