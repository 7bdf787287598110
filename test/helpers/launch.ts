// Drives `mesos-containerizer launch` the way an agent does: flags on the
// command line or as MESOS_CONTAINERIZER_* variables, a control pipe on
// inherited fds, a runtime directory for the status checkpoint.
import { execFileSync, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync, readlinkSync, realpathSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { childrenOf, type Finished, finished, hasFd, killQuietly, type Teardown, testDir, waitFor } from './process';
import { CONTAINERIZER, cleanEnv } from './run';

/** A fresh directory under the system's temp dir, removed when `t` ends. */
export function tempDir(t: Teardown, prefix = 'mc-launch-'): string {
  return testDir(t, prefix);
}

/** The flags of one launch: JSON values are rendered as JSON. */
export type LaunchFlagValues = Record<string, string | number | boolean | object>;

function render(value: string | number | boolean | object): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** `--name=value` words for the command line. */
export function flagArgs(flags: LaunchFlagValues): string[] {
  return Object.entries(flags).map(([name, value]) => `--${name}=${render(value)}`);
}

/** MESOS_CONTAINERIZER_<NAME> variables, as a modern agent passes the flags. */
export function flagEnv(flags: LaunchFlagValues): Record<string, string> {
  return Object.fromEntries(
    Object.entries(flags).map(([name, value]) => [`MESOS_CONTAINERIZER_${name.toUpperCase()}`, render(value)]),
  );
}

/** How the flags reach the helper. */
export type Via = 'command line' | 'environment';
export const VIAS: readonly Via[] = ['command line', 'environment'];

export interface Started {
  child: ChildProcess;
  /** The helper's pid (also the waiter's: it is exec'd in place). */
  pid: number;
  done: Promise<Finished>;
}

export interface StartOptions {
  via?: Via;
  /** Variables added to the (clean) environment; NODE_OPTIONS only when given here. */
  env?: Record<string, string>;
  /** stdio of the helper; the default pipes 0-2. */
  stdio?: StdioOptions;
  /** Runs the helper through `bash -c <prefix>; exec helper ...` (e.g. to open fds). */
  bashPrefix?: string;
  /** Delays reading stdout this long, so that the task meets a full pipe. */
  holdStdoutMs?: number;
}

/**
 * Starts `launch` with `flags`. The helper is killed (SIGKILL, then its
 * children by SIGKILL too) if it is still around when `t` ends.
 */
export function startLaunch(t: Teardown, flags: LaunchFlagValues, options: StartOptions = {}): Started {
  const via = options.via ?? 'command line';
  const launchArgs = ['launch', ...(via === 'command line' ? flagArgs(flags) : [])];
  const { NODE_OPTIONS: nodeOptions, ...extra } = options.env ?? {};
  const env = cleanEnv({ ...(via === 'environment' ? flagEnv(flags) : {}), ...extra });
  const stdio = options.stdio ?? ['pipe', 'pipe', 'pipe'];
  // tap's process tracking puts its preload in NODE_OPTIONS of every child
  // it sees spawned, and that preload touches process.stdout. An agent
  // sets no such thing: `env -u` drops it right before the helper starts
  // (and exec's in place, so the pid is still the helper's).
  const command = [
    '-u',
    'NODE_OPTIONS',
    ...(nodeOptions === undefined ? [] : [`NODE_OPTIONS=${nodeOptions}`]),
    ...(options.bashPrefix === undefined ? [] : ['bash', '-c', `${options.bashPrefix}\nexec "$@"`, 'bash']),
    CONTAINERIZER,
    ...launchArgs,
  ];
  const child = spawn('/usr/bin/env', command, { stdio, env });
  const done = finished(child, options.holdStdoutMs);
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    for (const stat of childrenOf(child.pid!)) killQuietly(stat.pid);
    child.kill('SIGKILL');
    await done.catch(() => undefined);
  });
  return { child, pid: child.pid!, done };
}

/** Runs `launch` to its end. */
export function launch(t: Teardown, flags: LaunchFlagValues, options: StartOptions = {}): Promise<Finished> {
  const started = startLaunch(t, flags, options);
  if (started.child.stdin && options.stdio === undefined) started.child.stdin.end();
  return started.done;
}

/** Whether `pid` runs Node (the helper), no longer the shell that opened its fds. */
function isHelper(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`) === realpathSync(process.execPath);
  } catch {
    return false;
  }
}

/**
 * The agent's control pipe, made of a named FIFO: the helper gets its read
 * end as fd 3 and a write end as fd 4 (`bashPrefix` opens them); the test
 * holds one more open end to write the byte through, or to close so that
 * the helper reads end of file.
 */
export class ControlPipe {
  readonly path: string;
  private fd: number | undefined;
  readonly flags = { pipe_read: 3, pipe_write: 4 };

  constructor(t: Teardown) {
    this.path = join(tempDir(t, 'mc-pipe-'), 'control');
    execFileSync('mkfifo', ['-m', '600', this.path]);
    // Read-write, so that opening it neither blocks here nor in the helper.
    // (Node opens it close-on-exec: the helper never inherits this end.)
    this.fd = openSync(this.path, 'r+');
    t.teardown(() => this.close());
  }

  /** For `StartOptions.bashPrefix`: opens the read end as 3, a write end as 4. */
  get bashPrefix(): string {
    return `exec 3<'${this.path}' 4>'${this.path}'`;
  }

  /** What the agent does once the container is set up. */
  send(): void {
    writeSync(this.fd!, 'x');
  }

  /** What an agent that dies does: its end closes without a byte written. */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  /**
   * Resolves once the helper at `pid` has closed the write end: it then
   * blocks on the read. The process must be the helper already, not the
   * shell before it, which has fd 3 but not yet fd 4 for an instant too.
   */
  waiting(pid: number): Promise<true> {
    return waitFor('the helper to close its write end of the control pipe', () =>
      isHelper(pid) && hasFd(pid, 3) && !hasFd(pid, 4) ? true : undefined,
    );
  }
}

/** The content of the status file of a runtime directory. */
export function statusOf(runtimeDirectory: string): string {
  return readFileSync(join(runtimeDirectory, 'status'), 'utf8');
}

/** The lines a task printed, without the empty one after the last newline. */
export function lines(text: string | Buffer): string[] {
  const s = text.toString();
  return s === '' ? [] : s.replace(/\n$/, '').split('\n');
}

/** The value of `field` in /proc/self/status-like text. */
export function statusField(text: string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(.*?)\\s*$`, 'm').exec(text)?.[1];
}

/** A shell command's CommandInfo. */
export const shell = (value: string): { shell: true; value: string } => ({ shell: true, value });

/** A CommandInfo run without a shell: `argv[0]` is the program. */
export const argvCommand = (value: string, ...args: string[]): object => ({
  arguments: [value.split('/').pop()!, ...args],
  shell: false,
  value,
});
