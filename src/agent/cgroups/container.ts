// The container's cgroups: where the machine has a memory or cpu controller
// (cgroup v2 preferred, v1 otherwise), one cgroup per hierarchy holds the
// container and carries its limits. The cgroups are made under the agent's
// own cgroup, so whatever bounds the agent also bounds its containers (on
// v2, under the nearest ancestor that hands the controller down).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Controller = 'memory' | 'cpu';

export interface CgroupLimits {
  memoryBytes?: number;
  cpus?: number;
}

interface Hierarchy {
  readonly version: 1 | 2;
  /** The directory under which the container's cgroup is made. */
  readonly parent: string;
}

/** Mesos's floors: a container gets at least this much. */
export const MIN_MEMORY_BYTES = 32 * 1024 * 1024;
const MIN_CPU_SHARES = 2;
const CPU_SHARES_PER_CPU = 1024;
const CFS_PERIOD_US = 100_000;
const MIN_CFS_QUOTA_US = 1_000;

interface MountEntry {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

function readMounts(): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const separator = fields.indexOf('-');
    if (separator < 6 || fields.length < separator + 4) continue;
    entries.push({
      root: unescapeMountPath(fields[3]!),
      mountPoint: unescapeMountPath(fields[4]!),
      fsType: fields[separator + 1]!,
      superOptions: fields[separator + 3]!.split(','),
    });
  }
  return entries;
}

/** /proc/self/cgroup: hierarchy lines "id:controllers:path". */
function readOwnCgroups(): Array<{ controllers: string[]; path: string }> {
  return readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const first = line.indexOf(':');
      const second = line.indexOf(':', first + 1);
      return { controllers: line.slice(first + 1, second).split(',').filter((name) => name !== ''), path: line.slice(second + 1) };
    });
}

/** Where our own cgroup at `path` (as /proc/self/cgroup names it) is under a mount. */
function directoryOf(mount: MountEntry, path: string): string {
  const root = mount.root === '/' ? '' : mount.root;
  if (root !== '' && path !== root && !path.startsWith(`${root}/`)) return mount.mountPoint;
  return join(mount.mountPoint, path.slice(root.length));
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function words(path: string): string[] {
  return (readText(path) ?? '').split(/\s+/).filter((word) => word !== '');
}

function findHierarchy(controller: Controller, mounts: readonly MountEntry[], own: ReturnType<typeof readOwnCgroups>): Hierarchy | undefined {
  const unified = mounts.find((mount) => mount.fsType === 'cgroup2');
  const ownUnified = own.find((entry) => entry.controllers.length === 0 && entry.path.startsWith('/'));
  if (unified !== undefined && ownUnified !== undefined) {
    // A child cgroup gets a v2 controller only from a parent that hands it down.
    for (let directory = directoryOf(unified, ownUnified.path); ; directory = join(directory, '..')) {
      if (words(join(directory, 'cgroup.subtree_control')).includes(controller)) return { version: 2, parent: directory };
      if (directory === unified.mountPoint || directory === '/') break;
    }
  }
  const legacy = mounts.find((mount) => mount.fsType === 'cgroup' && mount.superOptions.includes(controller));
  const ownLegacy = own.find((entry) => entry.controllers.includes(controller));
  if (legacy !== undefined && ownLegacy !== undefined) return { version: 1, parent: directoryOf(legacy, ownLegacy.path) };
  return undefined;
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? message : message.replace(/^[A-Z]+: /, '');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ContainerCgroups {
  /** Controller -> the container's cgroup directory for it. */
  private readonly directories = new Map<Controller, { path: string; version: 1 | 2 }>();
  /** Every directory made, in the order made. */
  private readonly made: string[] = [];

  private constructor(readonly limits: CgroupLimits) {}

  /**
   * Makes the cgroups and writes the limits. What can't be enforced is said
   * through `warn` (one line each); nothing here is fatal.
   */
  static create(name: string, limits: CgroupLimits, warn: (message: string) => void): ContainerCgroups {
    const cgroups = new ContainerCgroups(limits);
    const wanted: Array<[Controller, string]> = [];
    if (limits.memoryBytes !== undefined) wanted.push(['memory', 'the memory limit']);
    if (limits.cpus !== undefined) wanted.push(['cpu', 'the cpu limit']);
    if (wanted.length === 0) return cgroups;

    let mounts: MountEntry[];
    let own: ReturnType<typeof readOwnCgroups>;
    try {
      mounts = readMounts();
      own = readOwnCgroups();
    } catch (error) {
      warn(`Cannot enforce ${wanted.map(([, what]) => what).join(' or ')}: cgroups are not readable: ${reason(error)}`);
      return cgroups;
    }
    for (const [controller, what] of wanted) {
      const hierarchy = findHierarchy(controller, mounts, own);
      if (hierarchy === undefined) {
        warn(`Cannot enforce ${what}: this machine has no usable '${controller}' cgroup controller`);
        continue;
      }
      const path = join(hierarchy.parent, name);
      const otherV2 = [...cgroups.directories.values()].find((entry) => entry.version === 2 && entry.path !== path);
      if (hierarchy.version === 2 && otherV2 !== undefined) {
        // A process belongs to one cgroup of a v2 hierarchy only.
        warn(`Cannot enforce ${what}: the '${controller}' controller is handed down elsewhere than '${otherV2.path}'`);
        continue;
      }
      try {
        if (!cgroups.made.includes(path)) {
          mkdirSync(path);
          cgroups.made.push(path);
        }
        cgroups.directories.set(controller, { path, version: hierarchy.version });
        cgroups.writeLimits(controller);
      } catch (error) {
        cgroups.directories.delete(controller);
        warn(`Cannot enforce ${what} through cgroup '${path}': ${reason(error)}`);
      }
    }
    return cgroups;
  }

  /** The controllers that enforce a limit for this container. */
  get enforced(): Controller[] {
    return [...this.directories.keys()];
  }

  private writeLimits(controller: Controller): void {
    const { path, version } = this.directories.get(controller)!;
    const write = (file: string, value: string | number) => writeFileSync(join(path, file), String(value));
    if (controller === 'memory') {
      const bytes = Math.max(Math.floor(this.limits.memoryBytes!), MIN_MEMORY_BYTES);
      if (version === 2) {
        write('memory.max', bytes);
        // Swap would let the task run past its limit instead of being stopped.
        if (existsSync(join(path, 'memory.swap.max'))) write('memory.swap.max', 0);
      } else {
        write('memory.limit_in_bytes', bytes);
        if (existsSync(join(path, 'memory.memsw.limit_in_bytes'))) write('memory.memsw.limit_in_bytes', bytes);
      }
      return;
    }
    const cpus = this.limits.cpus!;
    const shares = Math.max(Math.floor(CPU_SHARES_PER_CPU * cpus), MIN_CPU_SHARES);
    const quota = Math.max(Math.floor(CFS_PERIOD_US * cpus), MIN_CFS_QUOTA_US);
    if (version === 2) {
      // cgroup v2's weight (1..10000) for the same share of the machine as v1's shares.
      write('cpu.weight', Math.min(10_000, Math.max(1, 1 + Math.floor(((shares - 2) * 9999) / 262142))));
      write('cpu.max', `${quota} ${CFS_PERIOD_US}`);
    } else {
      write('cpu.shares', shares);
      write('cpu.cfs_period_us', CFS_PERIOD_US);
      write('cpu.cfs_quota_us', quota);
    }
  }

  /** Moves `pid` (and so everything it starts) into every cgroup of the container. */
  attach(pid: number): void {
    for (const path of this.made) {
      try {
        writeFileSync(join(path, 'cgroup.procs'), String(pid));
      } catch (error) {
        throw new Error(`Failed to move pid ${pid} into cgroup '${path}': ${reason(error)}`);
      }
    }
  }

  /** How many times the kernel's OOM killer struck inside the container. */
  oomKills(): number {
    const memory = this.directories.get('memory');
    if (memory === undefined) return 0;
    const file = memory.version === 2 ? 'memory.events' : 'memory.oom_control';
    const match = /^oom_kill (\d+)$/m.exec(readText(join(memory.path, file)) ?? '');
    return match === null ? 0 : Number(match[1]);
  }

  /** The memory limit and the most the container used, in bytes, where the kernel tells. */
  memoryUsage(): { limit?: number; maxUsed?: number } {
    const memory = this.directories.get('memory');
    if (memory === undefined) return {};
    const number = (file: string) => {
      const text = readText(join(memory.path, file))?.trim();
      return text === undefined || !/^\d+$/.test(text) ? undefined : Number(text);
    };
    const limit = number(memory.version === 2 ? 'memory.max' : 'memory.limit_in_bytes');
    const maxUsed = number(memory.version === 2 ? 'memory.peak' : 'memory.max_usage_in_bytes');
    return { ...(limit === undefined ? {} : { limit }), ...(maxUsed === undefined ? {} : { maxUsed }) };
  }

  /** One synchronous try at removing the cgroups, for a process about to exit. */
  removeNow(): void {
    for (const path of [...this.made].reverse()) {
      try {
        rmdirSync(path);
      } catch {
        // Still busy: its processes are being killed as we go.
      }
    }
  }

  /**
   * Removes the cgroups. A cgroup can only go once its last process is gone;
   * stragglers (there should be none once the pid namespace is gone) are
   * killed. Returns the paths that could not be removed.
   */
  async destroy(): Promise<string[]> {
    const left: string[] = [];
    for (const path of [...this.made].reverse()) {
      let removed = false;
      for (let attempt = 0; attempt < 100 && !removed; attempt++) {
        try {
          rmdirSync(path);
          removed = true;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') {
            removed = true;
            break;
          }
          if (code !== 'EBUSY') break;
          for (const pid of words(join(path, 'cgroup.procs'))) {
            try {
              process.kill(Number(pid), 'SIGKILL');
            } catch {
              // Already gone.
            }
          }
          await sleep(20);
        }
      }
      if (!removed) left.push(path);
    }
    this.made.length = 0;
    this.directories.clear();
    return left;
  }
}
