// Starting `mesos-containerizer launch` as a Mesos agent does: as the first
// process of new namespaces, in the container's cgroups, with its flags in
// MESOS_CONTAINERIZER_* variables and a control pipe it waits on. The clone
// program joins the container's cgroups before it clones (so that the
// cgroup namespace is rooted there), keeps none of the fds it hands on, and
// reports the helper's pid on fd 3; 4 and 5 are the control pipe, 6 the
// write end of the exec notification FIFO.
import { spawn, type ChildProcess, type StdioNull, type StdioPipe } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { JsonObject } from '../../subcommand/flags';
import { MAX_ARG_STRLEN } from '../exec-limits';
import { clonePath, containerizerPath } from '../paths';

/** Where a task's stdout or stderr goes: ours, nowhere, a stream, or an open fd. */
export type TaskOutput = 'inherit' | StdioNull | StdioPipe | number;

const PID_FD = 3;
const PIPE_READ_FD = 4;
const PIPE_WRITE_FD = 5;
const NOTIFY_FD = 6;
const FLAG_PREFIX = 'MESOS_CONTAINERIZER_';


/** A failure to start the container; the message follows "Failed to launch container: ". */
export class LaunchError extends Error {}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface HelperSpec {
  readonly launchInfo: JsonObject;
  readonly runtimeDirectory: string;
  readonly cloneFlags: number;
  readonly hostname?: string;
  /** The container's cgroups, one directory per hierarchy. */
  readonly cgroups: readonly string[];
  /** An overlay the clone program mounts on the container's root in its new mount namespace, before the helper starts. */
  readonly overlay?: { readonly target: string; readonly options: string };
  /** The write end of the exec notification FIFO, handed to the helper as fd 6. */
  readonly notifyFd: number;
  readonly stdout: TaskOutput;
  readonly stderr: TaskOutput;
}

/** The helper, started and waiting on its control pipe. */
export interface Helper {
  readonly child: ChildProcess;
  /** Its pid, once the clone program has said it. */
  readonly pid: Promise<number>;
  readonly exited: Promise<Exit>;
  /** Writes the byte the helper waits for. */
  release(): void;
  /** Closes our ends of its sockets. */
  dispose(): void;
}

/**
 * Node's settings meant for the caller's programs, not the helper: options
 * must not change how it runs, and extra CA certificates (which Node 20
 * parses at start-up, tens of milliseconds) are of no use to a program that
 * makes no TLS connection.
 */
const NOT_FOR_THE_HELPER = new Set(['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS']);

/** Our environment for the helper's own use, without flags of ours and Node's settings. */
export function helperEnvironment(): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith(FLAG_PREFIX) && !NOT_FOR_THE_HELPER.has(name)) result[name] = value;
  }
  return result;
}

export function describeExit(exit: Exit): string {
  if (exit.signal !== null) return `was terminated by ${exit.signal}`;
  return `exited with status ${exit.code}`;
}

/**
 * The launch info as a flag: in the variable itself, as Mesos's agent
 * passes it, unless that would be more than the kernel takes in one
 * variable; then in a file of the runtime directory, which launch reads for
 * a JSON flag that starts with '/'.
 */
function launchInfoFlag(launchInfo: JsonObject, runtimeDirectory: string): string {
  const json = JSON.stringify(launchInfo);
  if (Buffer.byteLength(`${FLAG_PREFIX}LAUNCH_INFO=${json}`) < MAX_ARG_STRLEN) return json;
  const path = join(runtimeDirectory, 'launch_info.json');
  writeFileSync(path, json, { mode: 0o600 });
  return path;
}

/** Starts the helper in its namespaces and cgroups; it waits on the control pipe until `release`. Throws LaunchError. */
export function startHelper(spec: HelperSpec): Helper {
  const env = helperEnvironment();
  env[`${FLAG_PREFIX}LAUNCH_INFO`] = launchInfoFlag(spec.launchInfo, spec.runtimeDirectory);
  env[`${FLAG_PREFIX}PIPE_READ`] = String(PIPE_READ_FD);
  env[`${FLAG_PREFIX}PIPE_WRITE`] = String(PIPE_WRITE_FD);
  env[`${FLAG_PREFIX}RUNTIME_DIRECTORY`] = spec.runtimeDirectory;
  env[`${FLAG_PREFIX}EXEC_NOTIFY_FD`] = String(NOTIFY_FD);

  const hostname = spec.hostname === undefined ? [] : [`--hostname=${spec.hostname}`];
  const cgroups = spec.cgroups.map((directory) => `--cgroup=${directory}`);
  const overlay = spec.overlay === undefined ? [] : [`--overlay=${spec.overlay.target}`, `--overlay-options=${spec.overlay.options}`];
  const launch = [process.execPath, containerizerPath(), 'launch'];
  const child = spawn(clonePath(), [String(spec.cloneFlags), String(PID_FD), ...hostname, ...cgroups, ...overlay, '--', ...launch], {
    // Fds 3-5 are sockets: the pid comes back on 3; 4 and 5 are the helper's control pipe.
    stdio: ['ignore', spec.stdout, spec.stderr, 'pipe', 'pipe', 'pipe', spec.notifyFd],
    env,
    // A session of its own: a Ctrl-C at our terminal is ours to turn into a kill.
    detached: true,
  });
  const sockets = child.stdio as unknown as ReadonlyArray<Readable & Writable>;
  const pidSocket = sockets[PID_FD]!;
  const pipeRead = sockets[PIPE_READ_FD]!;
  const pipeWrite = sockets[PIPE_WRITE_FD]!;
  // Our end of the helper's write end is never used: the helper only closes its own.
  pipeWrite.destroy();
  // The helper may be gone before we write; that shows in its exit, not here.
  for (const socket of [pidSocket, pipeRead]) socket.on('error', () => undefined);

  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', reject);
  });
  const dispose = () => {
    for (const index of [PID_FD, PIPE_READ_FD, PIPE_WRITE_FD]) sockets[index]?.destroy();
  };
  if (child.pid === undefined) {
    dispose();
    exited.catch(() => undefined);
    throw new LaunchError('failed to start the helper: the clone program could not be started');
  }

  const pid = new Promise<number>((resolve, reject) => {
    let text = '';
    pidSocket.setEncoding('utf8');
    pidSocket.on('data', (chunk: string) => (text += chunk));
    exited.catch((error: Error) => reject(new LaunchError(`failed to start the helper: ${error.message}`)));
    pidSocket.once('close', () => {
      const value = Number(text.trim());
      if (/^\d+$/.test(text.trim()) && value > 0) {
        resolve(value);
        return;
      }
      // No pid: the clone program or its child failed and said why on the task's stderr.
      void exited.then(
        (exit) => reject(new LaunchError(`failed to start the helper in the container's namespaces (${describeExit(exit)})`)),
        () => undefined,
      );
    });
  });
  pid.catch(() => undefined);
  // The one byte the helper waits for; then our end is done.
  const release = () => pipeRead.end(Buffer.of(0));
  return { child, pid, exited, release, dispose };
}
