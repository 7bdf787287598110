// Everything an agent makes lives under its work directory:
//
//   <work_dir>/run/<container id>/          runtime directories (--runtime_dir)
//   <work_dir>/slaves/<agent id>/frameworks/<framework id>/executors/<executor id>/runs/<container id>/
//                                           sandboxes, with the task's stdout and stderr
//   <work_dir>/meta/cgroups                 the agent's own cgroups, one path a line
//   <work_dir>/meta/agent.pid               the agent that holds the directory
//   <work_dir>/provisioner/containers/<container id>/
//                                           root filesystems: writable layers, copies
//
// and its containers' cgroups sit under a cgroup of the agent's, named
// after the work directory. On start an agent takes the directory over from
// a predecessor that is gone, and removes what it left: its containers'
// cgroups with whatever still runs in them and every cgroup nested there,
// its runtime directories and its sandboxes.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { removeTaskTree } from './remove-tree';
import { join } from 'node:path';
import { findHierarchy, readMounts, readOwnCgroups, type Controller } from './cgroups/hierarchies';
import { destroyTree } from './cgroups/tree';
import { createPidFile, livePid } from './pid-file';
import { sha256Hex } from './sha256';
import { removeRootfsLeftovers } from './provisioner/backend/index';
import { hostBackendSystem } from './provisioner/backend/system';

export interface WorkDir {
  readonly root: string;
  readonly runtimeDir: string;
  readonly cgroupsRecord: string;
  readonly lockFile: string;
  readonly provisionerDir: string;
  sandbox(agentId: string, frameworkId: string, executorId: string, containerId: string): string;
  readonly sandboxes: string;
}

export function workDirOf(root: string, runtimeDir?: string): WorkDir {
  const meta = join(root, 'meta');
  return {
    root,
    runtimeDir: runtimeDir ?? join(root, 'run'),
    cgroupsRecord: join(meta, 'cgroups'),
    lockFile: join(meta, 'agent.pid'),
    provisionerDir: join(root, 'provisioner'),
    sandboxes: join(root, 'slaves'),
    sandbox: (agentId, frameworkId, executorId, containerId) =>
      join(root, 'slaves', agentId, 'frameworks', frameworkId, 'executors', executorId, 'runs', containerId),
  };
}

/** The agent's own cgroup name for a work directory: the same for every agent that uses it. */
export function cgroupsRootFor(workDir: string): string {
  return `mesos-agent-${sha256Hex(Buffer.from(realpathSync(workDir), 'utf8')).slice(0, 16)}`;
}

/** Where the agent's own cgroups would be now, one per hierarchy. */
export function agentCgroups(root: string): string[] {
  const mounts = readMounts();
  const own = readOwnCgroups();
  const controllers: Controller[] = ['memory', 'cpu', 'pids'];
  const paths = controllers.map((controller) => findHierarchy(controller, mounts, own)).filter((hierarchy) => hierarchy !== undefined);
  return [...new Set(paths.map((hierarchy) => join(hierarchy.parent, root)))];
}

/**
 * Takes the work directory for this process; throws when a live agent holds
 * it. Returns the release.
 */
export function lockWorkDir(workDir: WorkDir): () => void {
  mkdirSync(join(workDir.lockFile, '..'), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      createPidFile(workDir.lockFile);
      return () => rmSync(workDir.lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const holder = livePid(workDir.lockFile);
    if (holder !== undefined) throw new Error(`The work directory '${workDir.root}' is in use by the agent with pid ${holder}`);
    // Its agent is gone.
    rmSync(workDir.lockFile, { force: true });
  }
}

/** Notes an agent cgroup before it is made, so that a successor finds it wherever this agent ran. */
export function recordCgroup(workDir: WorkDir, path: string): void {
  appendFileSync(workDir.cgroupsRecord, `${path}\n`);
}

/**
 * Removes what a predecessor left: the cgroups it recorded and those where
 * this agent's would be (killing what runs there), runtime directories,
 * sandboxes and its containers' root filesystems. Resolves with the failures, one line each.
 */
export async function removeLeftovers(workDir: WorkDir, cgroupsRoot: string): Promise<string[]> {
  const failures: string[] = [];
  let recorded: string[] = [];
  try {
    recorded = readFileSync(workDir.cgroupsRecord, 'utf8').split('\n').filter((line) => line.startsWith('/'));
  } catch {
    // Nothing recorded.
  }
  let current: string[] = [];
  try {
    current = agentCgroups(cgroupsRoot);
  } catch (error) {
    failures.push(`Failed to find the agent's cgroups: ${(error as Error).message}`);
  }
  for (const path of new Set([...recorded, ...current])) failures.push(...(await destroyTree(path)));
  if (failures.length === 0) rmSync(workDir.cgroupsRecord, { force: true });
  mkdirSync(workDir.runtimeDir, { recursive: true });
  // The runtime directory may be a mount point of its own: only what is inside goes.
  for (const name of readdirSync(workDir.runtimeDir)) {
    try {
      rmSync(join(workDir.runtimeDir, name), { recursive: true, force: true });
    } catch (error) {
      failures.push(`Failed to remove '${join(workDir.runtimeDir, name)}': ${(error as Error).message}`);
    }
  }
  // A process of a task's user may still be about while its cgroups stay: its sandbox stays too.
  if (failures.length > 0) {
    failures.push(`Kept the sandboxes under '${workDir.sandboxes}': what ran there may not all be gone`);
  } else {
    try {
      removeTaskTree(workDir.sandboxes);
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  // Overlays were mounted in their containers' own mount namespaces, gone with them: only files are left.
  if (existsSync(workDir.provisionerDir)) failures.push(...removeRootfsLeftovers(realpathSync(workDir.provisionerDir), hostBackendSystem));
  return failures;
}
