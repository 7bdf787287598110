// What the kernel's execve takes, checked before a container is started:
// each argument and each environment entry ("NAME=value") at most
// MAX_ARG_STRLEN bytes with its NUL, and all of them with their pointers
// within a quarter of the stack limit (at least 128 KiB, at most 6 MiB).
// The task is exec'd twice (the helper execs its waiter with the task's
// arguments and environment, the waiter execs the task), under the agent's
// stack limit and then the task's own. Pure but for reading our own limit.
import { readFileSync } from 'node:fs';
import type { TaskCommand, TaskRLimit } from './launch-info';

/** The kernel's limit on one string of argv or envp, its NUL included. */
export const MAX_ARG_STRLEN = 32 * 4096;
/** The floor and the ceiling of what execve takes in all. */
const ARG_MAX = 32 * 4096;
const STACK_CEILING = ((8 * 1024 * 1024) / 4) * 3;
/** What the helper adds for its waiter: its name, two fds and the program's path. */
const HELPER_OVERHEAD = 4 * 8 + 64 + 4096;
/** The addon that execs the waiter takes at most this many strings of each kind. */
const MAX_STRINGS = 65536;

const bytes = (text: string) => Buffer.byteLength(text, 'utf8') + 1;

/** The soft stack limit of this process, in bytes; undefined for unlimited. */
export function ownStackLimit(): number | undefined {
  try {
    const match = /^Max stack size\s+(\d+|unlimited)\s/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match === null || match[1] === 'unlimited' ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** What execve takes in all under a soft stack limit of `stack` bytes. */
export function execLimit(stack: number | undefined): number {
  return Math.max(Math.min(STACK_CEILING, stack === undefined ? STACK_CEILING : Math.floor(stack / 4)), ARG_MAX);
}

function taskStackLimit(rlimits: readonly TaskRLimit[] | undefined): number | undefined {
  const stack = rlimits?.find((limit) => limit.type === 'RLMT_STACK');
  if (stack?.soft === undefined) return undefined;
  const soft = Number(stack.soft);
  return Number.isFinite(soft) && soft < 2 ** 62 ? soft : undefined;
}

export interface ExecSpec {
  readonly command: TaskCommand;
  readonly environment: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  readonly rlimits?: readonly TaskRLimit[];
}

/**
 * Why the kernel would refuse to exec the task, in one line; undefined when
 * it fits. `agentStack` is the agent's soft stack limit (undefined: none).
 */
export function execSizeProblem(spec: ExecSpec, agentStack: number | undefined): string | undefined {
  const argv = spec.command.shell ? ['sh', '-c', spec.command.value] : [...spec.command.arguments];
  const most = MAX_ARG_STRLEN - 1;
  if (spec.command.shell && bytes(spec.command.value) > MAX_ARG_STRLEN) {
    return `The command is ${bytes(spec.command.value) - 1} bytes: the kernel takes at most ${most} bytes in one argument (MAX_ARG_STRLEN)`;
  }
  for (const [index, argument] of argv.entries()) {
    if (bytes(argument) > MAX_ARG_STRLEN) {
      return `Argument ${index} of the command is ${bytes(argument) - 1} bytes: the kernel takes at most ${most} bytes in one argument (MAX_ARG_STRLEN)`;
    }
  }
  if (!spec.command.shell && bytes(spec.command.value) > MAX_ARG_STRLEN) {
    return `The command's path is ${bytes(spec.command.value) - 1} bytes: the kernel takes at most ${most} bytes in one argument (MAX_ARG_STRLEN)`;
  }
  for (const { name, value } of spec.environment) {
    const size = bytes(`${name}=${value}`);
    if (size > MAX_ARG_STRLEN) {
      return `The environment variable '${name}' is ${size - 1} bytes with its name: the kernel takes at most ${most} bytes in one variable (MAX_ARG_STRLEN)`;
    }
  }
  if (argv.length + 4 > MAX_STRINGS) return `The command has ${argv.length} arguments: at most ${MAX_STRINGS - 4} can be passed`;
  if (spec.environment.length + 1 > MAX_STRINGS) return `The command has ${spec.environment.length} environment variables: at most ${MAX_STRINGS - 1} can be passed`;
  const strings = [...argv, ...spec.environment.map(({ name, value }) => `${name}=${value}`)];
  const total = strings.reduce((sum, text) => sum + bytes(text) + 8, HELPER_OVERHEAD);
  const stacks = [agentStack, taskStackLimit(spec.rlimits)].filter((stack): stack is number => stack !== undefined);
  const limit = execLimit(stacks.length === 0 ? undefined : Math.min(...stacks));
  if (total > limit) {
    return `The command and its environment take ${total} bytes: the kernel takes at most ${limit} bytes in all (a quarter of the stack limit)`;
  }
  return undefined;
}
