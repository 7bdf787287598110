// Network namespaces for tests: a named "host" namespace made with `ip netns`,
// container processes in fresh net+uts+mount namespaces, and a cleanup list
// that undoes everything (in reverse) even when a test fails halfway.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Whether the tools these helpers drive are on this machine. */
export function haveTools(...names: string[]): boolean {
  return names.every((name) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0);
}

/** A short name unique to this run: fits in an interface name (15 bytes). */
export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

/** Undo actions, run last-in first-out; every one runs even if others throw. */
export class Cleanup {
  private readonly actions: Array<[string, () => void | Promise<void>]> = [];
  readonly failures: string[] = [];

  add(what: string, action: () => void | Promise<void>): void {
    this.actions.push([what, action]);
  }

  async run(): Promise<void> {
    while (this.actions.length > 0) {
      const [what, action] = this.actions.pop()!;
      try {
        await action();
      } catch (error) {
        this.failures.push(`${what}: ${(error as Error).message}`);
      }
    }
  }
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCommand(file: string, args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): CommandResult {
  const result = spawnSync(file, args, {
    encoding: 'utf8',
    timeout: 30_000,
    input: options.input,
    env: options.env ?? process.env,
  });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const NETNS_DIR = '/run/netns';

/**
 * `ip netns add NAME`; the namespace is deleted by `cleanup`. The first
 * `ip netns add` on a machine also makes /run/netns a (shared) mount point;
 * if it was not one before, it is unmounted again once no namespace is left
 * in it.
 */
export function addNetns(name: string, cleanup: Cleanup): void {
  const hadMount = mountPoints().includes(NETNS_DIR);
  if (!hadMount) {
    cleanup.add(`unmount ${NETNS_DIR}`, () => {
      if (mountPoints().includes(NETNS_DIR) && readdirSync(NETNS_DIR).length === 0) {
        execFileSync('umount', [NETNS_DIR], { stdio: ['ignore', 'ignore', 'pipe'] });
      }
    });
  }
  execFileSync('ip', ['netns', 'add', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  cleanup.add(`delete netns ${name}`, () => deleteNetns(name));
}

export function deleteNetns(name: string): void {
  execFileSync('ip', ['netns', 'delete', name], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Runs `argv` inside the named network namespace. */
export function inNetns(
  name: string,
  argv: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): CommandResult {
  return runCommand('ip', ['netns', 'exec', name, ...argv], options);
}

export interface Container {
  /** The pid of the process in the container's namespaces (`sleep`). */
  readonly pid: number;
  readonly launcher: ChildProcess;
}

function namespaceOf(pid: number | 'self', ns: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${ns}`);
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((word) => word !== '')
      .map(Number);
  } catch {
    return [];
  }
}

function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Starts `unshare --net --uts --mount --fork sleep 1000` and waits until the
 * `sleep` runs (by then unshare has made its mounts private). Killed by
 * `cleanup`.
 */
export async function startContainer(cleanup: Cleanup): Promise<Container> {
  const launcher = spawn('unshare', ['--net', '--uts', '--mount', '--fork', '--kill-child', 'sleep', '1000'], {
    stdio: 'ignore',
  });
  const launcherPid = launcher.pid;
  if (launcherPid === undefined) throw new Error('unshare did not start');
  const exited = new Promise<void>((resolve) => launcher.once('exit', () => resolve()));
  cleanup.add(`kill container launcher ${launcherPid}`, async () => {
    if (launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill('SIGKILL');
      await exited;
    }
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [child] = childrenOf(launcherPid);
    if (child !== undefined && commandOf(child) === 'sleep') {
      cleanup.add(`kill container ${child}`, () => {
        try {
          process.kill(child, 'SIGKILL');
        } catch {
          // Already gone with its launcher.
        }
      });
      for (const ns of ['net', 'uts', 'mnt']) {
        if (namespaceOf(child, ns) === namespaceOf('self', ns)) throw new Error(`container ${child} shares our ${ns} namespace`);
      }
      return { pid: child, launcher };
    }
    if (launcher.exitCode !== null || launcher.signalCode !== null) throw new Error('unshare exited early');
    if (Date.now() > deadline) throw new Error('the container process did not start in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs `argv` in the mount, UTS and network namespaces of `pid`. */
export function inContainer(pid: number, argv: readonly string[], options: { input?: string } = {}): CommandResult {
  return runCommand('nsenter', ['-t', String(pid), '-m', '-u', '-n', ...argv], options);
}

/** The mount points of this process's mount namespace, in table order. */
export function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(' ')[4]!);
}

/**
 * Runs a CNI plugin's ADD inside the host namespace `hostNs`, attaching
 * `containerPid`'s network namespace as `ifname`; registers the DEL with
 * `cleanup`. Returns the plugin's result (JSON).
 */
export function cniAdd(
  hostNs: string,
  containerPid: number,
  config: Record<string, unknown>,
  cleanup: Cleanup,
  options: { ifname?: string; pluginDir?: string; containerId?: string } = {},
): unknown {
  const pluginDir = options.pluginDir ?? '/usr/lib/cni';
  const type = config.type;
  if (typeof type !== 'string') throw new Error('the CNI config has no type');
  const env = (command: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    CNI_COMMAND: command,
    CNI_CONTAINERID: options.containerId ?? `mctest-${containerPid}`,
    CNI_NETNS: `/proc/${containerPid}/ns/net`,
    CNI_IFNAME: options.ifname ?? 'eth0',
    CNI_PATH: pluginDir,
  });
  const input = JSON.stringify(config);
  const plugin = `${pluginDir}/${type}`;
  const add = inNetns(hostNs, [plugin], { input, env: env('ADD') });
  // Registered even if ADD failed halfway: DEL is the plugin's own cleanup.
  cleanup.add(`CNI DEL in ${hostNs}`, () => {
    const del = inNetns(hostNs, [plugin], { input, env: env('DEL') });
    if (del.status !== 0) throw new Error(`CNI DEL failed: ${del.stdout}${del.stderr}`);
  });
  if (add.status !== 0) throw new Error(`CNI ADD failed (${add.status}): ${add.stdout}${add.stderr}`);
  return JSON.parse(add.stdout);
}
