// The system calls of the agent's CNI networks, behind one narrow
// interface: files of the container's network directory, the bind mount of
// its network namespace, running a plugin (its own process group, with a
// deadline, its output bounded) and running our `network-cni-setup`.
// `realNetworkSystem` and `realConfigReader` are the real thing; tests use
// recording stand-ins.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MNT_DETACH, MS_BIND, mount, reasonOf, umount2 } from '../../../native/libc';
import { containerizerPath } from '../paths';
import { helperEnvironment } from '../supervision/helper';
import { isExecutableFile } from '../../subcommand/executable';
import { stateAndParent } from '../../subcommand/proc-stat';
import type { ConfigReader } from './config';

/** A configuration file larger than this is refused (Mesos reads any size). */
const CONFIG_LIMIT = 1024 * 1024;
/** Output of a plugin kept beyond this is dropped. */
const OUTPUT_LIMIT = 1024 * 1024;
/** How long the streams of a killed plugin may stay open, held by what it started. */
const STREAM_GRACE_MS = 1000;

export interface ProcessRun {
  /** The process could not be started: why. */
  readonly error?: string;
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** Stopped by its abort signal. */
  readonly aborted?: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SetupFlags {
  readonly pid: number;
  /** The clone program's pid: `pid` must still be its child. */
  readonly parentPid: number;
  readonly hostname: string;
  readonly rootfs?: string;
  readonly etcHostsPath: string;
  readonly etcHostnamePath: string;
  readonly etcResolvConf: string;
}

export interface NetworkSystem {
  makeDirectory(path: string): void;
  /** Writes a file of the agent's own (0600), or with `readable` one the container reads (0644). */
  writeFile(path: string, text: string, readable?: boolean): void;
  /** Removes a directory and what is in it; a missing one is fine. */
  removeDirectory(path: string): void;
  /**
   * Makes the file `target` and binds the network namespace of `pid` on it,
   * once sure that `pid` is still a live child of `parentPid` (a pid that
   * was freed may name another process by then) and is not in the agent's
   * own namespace or pid 1's.
   */
  bindNamespace(pid: number, parentPid: number, target: string): void;
  /** Detaches the bind at `target`. */
  unbindNamespace(target: string): void;
  /** Whether `path` is a bind of a namespace (not the file made for one). */
  isNamespaceBind(path: string): boolean;
  /** The names in a directory; none for a missing one. */
  list(path: string): string[];
  /** A file's text; undefined for a missing one. */
  readText(path: string): string | undefined;
  /** Runs a plugin, killed at the deadline or when `abort` fires. */
  runPlugin(plugin: string, env: Readonly<Record<string, string>>, input: string, timeoutMs: number, abort?: AbortSignal): Promise<ProcessRun>;
  /** `mesos-containerizer network-cni-setup` with these flags. */
  runSetup(flags: SetupFlags, timeoutMs: number, abort?: AbortSignal): Promise<ProcessRun>;
  /** The host's resolv.conf, copied for the container when no plugin gives name servers. */
  readonly hostResolvConf: string;
}

/** Runs `file` in a process group of its own, `input` on stdin; SIGKILL to the group at the deadline or on `abort`. */
export function runBounded(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input: string,
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<ProcessRun> {
  return new Promise((resolve) => {
    if (abort?.aborted === true) {
      resolve({ code: null, signal: null, timedOut: false, aborted: true, stdout: '', stderr: '' });
      return;
    }
    let child;
    try {
      child = spawn(file, [...args], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (error) {
      resolve({ error: reasonOf(error), code: null, signal: null, timedOut: false, stdout: '', stderr: '' });
      return;
    }
    const output = { stdout: '', stderr: '' };
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = child[name]!;
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        if (output[name].length < OUTPUT_LIMIT) output[name] += chunk.slice(0, OUTPUT_LIMIT - output[name].length);
      });
      stream.on('error', () => undefined);
    }
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(input);
    let timedOut = false;
    let aborted = false;
    let grace: NodeJS.Timeout | undefined;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Gone already.
      }
    };
    const stop = () => {
      killGroup();
      // Whatever it started that left the group may hold the pipes open: stop reading.
      grace ??= setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        finish({ code: child.exitCode, signal: child.signalCode, timedOut, aborted, ...output });
      }, STREAM_GRACE_MS);
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    abort?.addEventListener('abort', onAbort);
    let done = false;
    const finish = (run: ProcessRun) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      if (grace !== undefined) clearTimeout(grace);
      abort?.removeEventListener('abort', onAbort);
      resolve(run);
    };
    child.once('error', (error) => finish({ error: reasonOf(error), code: null, signal: null, timedOut, aborted, ...output }));
    // A plugin's children are the plugin's business: none outlives it. The
    // group goes at once when the plugin is reaped: while any member lives
    // the kernel keeps its number from a new process, so the kill can't
    // reach a group of someone else's.
    child.once('exit', () => killGroup());
    child.once('close', (code: number | null, signal: string | null) => {
      finish({ code, signal, timedOut, aborted, ...output });
    });
  });
}

function statOrNothing(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

export function realNetworkSystem(): NetworkSystem {
  return {
    makeDirectory: (path) => mkdirSync(path, { recursive: true, mode: 0o700 }),
    writeFile: (path, text, readable = false) => writeFileSync(path, text, { mode: readable ? 0o644 : 0o600 }),
    removeDirectory: (path) => rmSync(path, { recursive: true, force: true }),
    bindNamespace(pid, parentPid, target) {
      // The namespace is held first; then the process it came from is checked.
      const fd = openSync(`/proc/${pid}/ns/net`, 'r');
      try {
        const { state, ppid } = stateAndParent(readFileSync(`/proc/${pid}/stat`, 'utf8'));
        if (state === 'Z' || state === 'X' || ppid !== parentPid) throw new Error(`pid ${pid} is no longer a live child of pid ${parentPid}`);
        const namespace = fstatSync(fd);
        // Ours must be told apart; pid 1's, where this process may look at it.
        for (const [other, required] of [['/proc/self/ns/net', true], ['/proc/1/ns/net', false]] as const) {
          const known = statOrNothing(other);
          if (known === undefined && required) throw new Error("cannot tell the namespace from the agent's own");
          if (known !== undefined && known.dev === namespace.dev && known.ino === namespace.ino) {
            throw new Error(`pid ${pid} is in the host's network namespace`);
          }
        }
        closeSync(openSync(target, 'wx', 0o600));
        mount(`/proc/self/fd/${fd}`, target, null, MS_BIND);
      } finally {
        closeSync(fd);
      }
    },
    unbindNamespace: (target) => umount2(target, MNT_DETACH),
    isNamespaceBind(path) {
      // A bind of a namespace is on the kernel's nsfs, another device than its directory's.
      const file = statSync(path, { throwIfNoEntry: false });
      const dir = statSync(dirname(path), { throwIfNoEntry: false });
      return file !== undefined && dir !== undefined && file.dev !== dir.dev;
    },
    list(path) {
      try {
        return readdirSync(path).sort();
      } catch {
        return [];
      }
    },
    readText(path) {
      try {
        return readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    runPlugin: (plugin, env, input, timeoutMs, abort) => runBounded(plugin, [], { ...env }, input, timeoutMs, abort),
    runSetup(flags, timeoutMs, abort) {
      const args = [
        containerizerPath(),
        'network-cni-setup',
        `--pid=${flags.pid}`,
        `--parent_pid=${flags.parentPid}`,
        `--hostname=${flags.hostname}`,
        ...(flags.rootfs === undefined ? [] : [`--rootfs=${flags.rootfs}`]),
        `--etc_hosts_path=${flags.etcHostsPath}`,
        `--etc_hostname_path=${flags.etcHostnamePath}`,
        `--etc_resolv_conf=${flags.etcResolvConf}`,
        '--bind_host_files',
        // Files of the agent's: the container reads them, never writes them.
        '--bind_readonly',
      ];
      return runBounded(process.execPath, args, helperEnvironment(), '', timeoutMs, abort);
    },
    hostResolvConf: '/etc/resolv.conf',
  };
}

export function realConfigReader(): ConfigReader {
  return {
    exists(path) {
      try {
        statSync(path);
        return true;
      } catch {
        return false;
      }
    },
    isDirectory: (path) => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true,
    list: (path) => readdirSync(path).sort(),
    read(path) {
      const size = statSync(path).size;
      if (size > CONFIG_LIMIT) throw new Error(`larger than ${CONFIG_LIMIT} bytes`);
      return readFileSync(path, 'utf8');
    },
    isExecutable: isExecutableFile,
  };
}
