// Where the machine's cgroup controllers are: the cgroup filesystems in our
// mount table and our own cgroups (/proc/self/cgroup). A container's cgroups
// go under our own, so whatever bounds the agent also bounds its containers;
// on cgroup v2 (preferred) under the nearest ancestor that hands the
// controller down, on v1 under our cgroup of the controller's hierarchy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Controller = 'memory' | 'cpu' | 'pids';

export interface MountEntry {
  readonly root: string;
  readonly mountPoint: string;
  readonly fsType: string;
  readonly superOptions: readonly string[];
}

export interface OwnCgroup {
  /** The v1 controllers of the hierarchy; none for cgroup v2. */
  readonly controllers: readonly string[];
  readonly path: string;
}

export interface Hierarchy {
  readonly version: 1 | 2;
  /** The directory under which the container's cgroups are made. */
  readonly parent: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** The entries of a mountinfo file's text. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
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

/** The lines "id:controllers:path" of /proc/<pid>/cgroup. */
export function parseProcCgroup(text: string): OwnCgroup[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const first = line.indexOf(':');
      const second = line.indexOf(':', first + 1);
      return { controllers: line.slice(first + 1, second).split(',').filter((name) => name !== ''), path: line.slice(second + 1) };
    });
}

export const readMounts = (): MountEntry[] => parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
export const readOwnCgroups = (): OwnCgroup[] => parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8'));

/** The cgroup filesystems of a mount table: what a container must not be able to write. */
export function cgroupMounts(mounts: readonly MountEntry[]): MountEntry[] {
  return mounts.filter((mount) => mount.fsType === 'cgroup' || mount.fsType === 'cgroup2');
}

/** Where our own cgroup at `path` (as /proc/self/cgroup names it) is under a mount. */
function directoryOf(mount: MountEntry, path: string): string {
  const root = mount.root === '/' ? '' : mount.root;
  if (root !== '' && path !== root && !path.startsWith(`${root}/`)) return mount.mountPoint;
  return join(mount.mountPoint, path.slice(root.length));
}

function words(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split(/\s+/).filter((word) => word !== '');
  } catch {
    return [];
  }
}

/** Where a container's cgroup for `controller` goes; undefined when the machine has no usable one. */
export function findHierarchy(controller: Controller, mounts: readonly MountEntry[], own: readonly OwnCgroup[]): Hierarchy | undefined {
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
