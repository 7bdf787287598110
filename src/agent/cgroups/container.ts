// A container's cgroups: one per hierarchy that holds a controller it has a
// limit for (memory, cpu, pids), named after the container, optionally
// under a cgroup of the agent's own (Mesos's --cgroups_root) so that a
// successor can find what a dead agent left. They are made before the
// container's first process exists: it is started in them, so that its
// cgroup namespace is rooted there.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Controller, findHierarchy, type Hierarchy, readMounts, readOwnCgroups } from './hierarchies';
import { type CgroupLimits, controllersFor, LIMIT_NAMES, limitWrites } from './limits';
import { destroyTree, destroyTreeNow } from './tree';

export type { CgroupLimits } from './limits';

export interface CgroupPlacement {
  /** The container's cgroup name. */
  readonly name: string;
  /** A cgroup of the agent's, between its own and the container's; made when missing. */
  readonly root?: string;
  /** Told of each agent cgroup before it is made. */
  readonly onRoot?: (path: string) => void;
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^[A-Z]+: ([^,]*),.*$/s, '$1');
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The agent cgroup under `parent`, made if missing; on v2 it hands `controllers` down. */
function ensureRoot(hierarchy: Hierarchy, placement: CgroupPlacement, controllers: readonly Controller[]): string {
  const root = join(hierarchy.parent, placement.root!);
  if (!existsSync(root)) {
    placement.onRoot?.(root);
    mkdirSync(root, { recursive: true });
  }
  if (hierarchy.version === 2) {
    writeFileSync(join(root, 'cgroup.subtree_control'), controllers.map((controller) => `+${controller}`).join(' '));
  }
  return root;
}

export class ContainerCgroups {
  /** Controller -> the container's cgroup directory for it. */
  private readonly directories = new Map<Controller, { path: string; version: 1 | 2 }>();
  /** Every directory made, in the order made. */
  private readonly made: string[] = [];

  private constructor() {}

  /**
   * Makes the cgroups and writes the limits. What can't be enforced is said
   * through `warn` (one line each); nothing here is fatal.
   */
  static create(placement: CgroupPlacement, limits: CgroupLimits, warn: (message: string) => void): ContainerCgroups {
    const cgroups = new ContainerCgroups();
    const wanted = controllersFor(limits);
    if (wanted.length === 0) return cgroups;
    let mounts: ReturnType<typeof readMounts>;
    let own: ReturnType<typeof readOwnCgroups>;
    try {
      mounts = readMounts();
      own = readOwnCgroups();
    } catch (error) {
      warn(`Cannot enforce ${wanted.map((controller) => LIMIT_NAMES[controller]).join(' or ')}: cgroups are not readable: ${reason(error)}`);
      return cgroups;
    }
    const hierarchies = new Map<Controller, Hierarchy>();
    for (const controller of wanted) {
      const hierarchy = findHierarchy(controller, mounts, own);
      if (hierarchy === undefined) warn(`Cannot enforce ${LIMIT_NAMES[controller]}: this machine has no usable '${controller}' cgroup controller`);
      else hierarchies.set(controller, hierarchy);
    }
    for (const [controller, hierarchy] of hierarchies) {
      let path = join(hierarchy.parent, placement.name);
      try {
        if (placement.root !== undefined) {
          const handedDown = [...hierarchies].filter(([, other]) => other.parent === hierarchy.parent).map(([name]) => name);
          path = join(ensureRoot(hierarchy, placement, handedDown), placement.name);
        }
        const otherV2 = [...cgroups.directories.values()].find((entry) => entry.version === 2 && entry.path !== path);
        if (hierarchy.version === 2 && otherV2 !== undefined) {
          // A process belongs to one cgroup of a v2 hierarchy only.
          warn(`Cannot enforce ${LIMIT_NAMES[controller]}: the '${controller}' controller is handed down elsewhere than '${otherV2.path}'`);
          continue;
        }
        if (!cgroups.made.includes(path)) {
          mkdirSync(path);
          cgroups.made.push(path);
        }
        cgroups.directories.set(controller, { path, version: hierarchy.version });
        for (const { file, value, optional } of limitWrites(controller, hierarchy.version, limits)) {
          if (optional === true && !existsSync(join(path, file))) continue;
          writeFileSync(join(path, file), value);
        }
      } catch (error) {
        cgroups.directories.delete(controller);
        warn(`Cannot enforce ${LIMIT_NAMES[controller]} through cgroup '${path}': ${reason(error)}`);
      }
    }
    return cgroups;
  }

  /** The controllers that enforce a limit for this container. */
  get enforced(): Controller[] {
    return [...this.directories.keys()];
  }

  /** The container's cgroup directories, one per hierarchy. */
  get paths(): string[] {
    return [...this.made];
  }

  /** The container's cgroup for `controller`, if it has one. */
  pathOf(controller: Controller): string | undefined {
    return this.directories.get(controller)?.path;
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
  destroyNow(): void {
    for (const path of [...this.made].reverse()) destroyTreeNow(path);
  }

  /**
   * Kills whatever is left in the cgroups (there should be nothing once the
   * pid namespace is gone) and removes them with every cgroup the task made
   * inside. Resolves with the failures, one line each.
   */
  async destroy(): Promise<string[]> {
    const failures: string[] = [];
    for (const path of [...this.made].reverse()) failures.push(...(await destroyTree(path)));
    this.made.length = 0;
    this.directories.clear();
    return failures;
  }
}
