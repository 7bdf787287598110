// A local cluster's work directory, laid out as Mesos's local::launch lays
// it out:
//
//   <work_dir>/master/            the master's (empty: it keeps nothing)
//   <work_dir>/agents/<i>/work/   agent i's work directory (--work_dir)
//   <work_dir>/agents/<i>/run/    agent i's runtime directories (--runtime_dir)
//   <work_dir>/cluster.pid        the cluster's process, in a fresh directory
//
// Mesos's default is <TMPDIR or /tmp>/mesos/work itself. Here, without a
// directory given, each cluster gets a fresh one under it, so that several
// can run at once, and removes it when it stops; the last one out also
// removes <TMPDIR>/mesos/work and <TMPDIR>/mesos when they are left empty
// (and any parent above that it made itself). A directory that was given
// stays, sandboxes and all, as Mesos's does. A cluster killed before it
// could remove its fresh directory (SIGKILL) leaves it behind, its
// containers' cgroups recorded in it: the next cluster to start removes
// it, and kills what still runs in those cgroups.
import { closeSync, constants, existsSync, fchmodSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { reasonOf } from '../../native/libc';
import { createPidFile, livePid } from '../agent/pid-file';
import { removeTaskTree } from '../agent/remove-tree';
import { cgroupsRootFor, lockWorkDir, removeLeftovers, workDirOf } from '../agent/work-dir';

const FRESH_PREFIX = 'local-';
const OWNER_FILE = 'cluster.pid';

export interface ClusterWorkDir {
  readonly root: string;
  /** Whether the cluster made it (and removes it at the end). */
  readonly fresh: boolean;
  readonly master: string;
  agentWorkDir(index: number): string;
  agentRuntimeDir(index: number): string;
  /** Removes what was made for the cluster; throws on the first failure. */
  remove(): void;
}

/** Mesos's default work directory: <TMPDIR or /tmp>/mesos/work. */
export function defaultWorkDir(env: NodeJS.ProcessEnv): string {
  const temp = env['TMPDIR'] !== undefined && env['TMPDIR'] !== '' ? env['TMPDIR'] : '/tmp';
  return join(resolve(temp), 'mesos', 'work');
}

/** The directories from `first` (made by a recursive mkdir) down to `last`, deepest first. */
function madeChain(first: string | undefined, last: string): string[] {
  if (first === undefined) return [];
  const chain: string[] = [];
  for (let directory = last; ; directory = dirname(directory)) {
    chain.push(directory);
    if (directory === first || dirname(directory) === directory) return chain;
  }
}

/**
 * Refuses `<TMPDIR>/mesos` and `<TMPDIR>/mesos/work` unless they are ours
 * alone: whoever else may rename or replace what is in them could swap the
 * fresh directory for a link under our hands (TMPDIR is everyone's).
 */
function checkOurOwn(parent: string): void {
  const uid = process.getuid?.() ?? 0;
  for (const path of [dirname(parent), parent]) {
    const stat = lstatSync(path);
    if (!stat.isDirectory()) throw new Error(`'${path}' is not a directory`);
    const othersWrite = (stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0;
    if (stat.uid !== uid || othersWrite) {
      throw new Error(`'${path}' is not ours alone (owner ${stat.uid}, mode ${(stat.mode & 0o7777).toString(8)}): remove it, or give a work directory`);
    }
  }
}

/** Open to pass through, as Mesos's work dir: a task of another user reaches its sandbox (0750, its own) by its path. */
function openToPassThrough(root: string): void {
  const fd = openSync(root, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    fchmodSync(fd, 0o755);
  } finally {
    closeSync(fd);
  }
}

/** A fresh directory under `parent` (Mesos's default), and the parents to remove once empty, deepest first. */
function freshUnder(parent: string): { root: string; parents: string[] } {
  for (let attempt = 0; ; attempt++) {
    const made = madeChain(mkdirSync(parent, { recursive: true, mode: 0o755 }), parent);
    checkOurOwn(parent);
    const parents = [...new Set([parent, dirname(parent), ...made])].sort((a, b) => b.length - a.length);
    try {
      const root = mkdtempSync(join(parent, FRESH_PREFIX));
      openToPassThrough(root);
      createPidFile(join(root, OWNER_FILE));
      return { root, parents };
    } catch (error) {
      // Another cluster removed the empty parent meanwhile: make it again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 3) throw error;
    }
  }
}

/** Removes each directory of `chain` while it is empty, deepest first. */
function removeEmpty(chain: readonly string[]): void {
  for (const directory of chain) {
    try {
      rmdirSync(directory);
    } catch {
      // In use by another cluster (or gone): it stays.
      return;
    }
  }
}

/** The work directory `given`, or a fresh one under Mesos's default; with its layout made. */
export function prepareWorkDir(given: string | undefined, agents: number, env: NodeJS.ProcessEnv): ClusterWorkDir {
  const fresh = given === undefined;
  let made: { root: string; parents: string[] };
  try {
    made = fresh ? freshUnder(defaultWorkDir(env)) : { root: resolve(given), parents: [] };
  } catch (error) {
    throw new Error(`Failed to create a work directory under '${defaultWorkDir(env)}': ${reasonOf(error)}`);
  }
  const { root, parents } = made;
  const layout: ClusterWorkDir = {
    root,
    fresh,
    master: join(root, 'master'),
    agentWorkDir: (index) => join(root, 'agents', String(index), 'work'),
    agentRuntimeDir: (index) => join(root, 'agents', String(index), 'run'),
    remove() {
      if (!fresh) return;
      removeTaskTree(root);
      removeEmpty(parents);
    },
  };
  try {
    mkdirSync(layout.master, { recursive: true });
    for (let index = 0; index < agents; index++) {
      mkdirSync(layout.agentWorkDir(index), { recursive: true });
      mkdirSync(layout.agentRuntimeDir(index), { recursive: true });
    }
  } catch (error) {
    layout.remove();
    throw new Error(`Failed to create the work directory '${root}': ${reasonOf(error)}`);
  }
  return layout;
}

/** The agents' lock files under a cluster's directory. */
function agentLockFiles(root: string): string[] {
  try {
    return readdirSync(join(root, 'agents')).map((agent) => workDirOf(join(root, 'agents', agent, 'work')).lockFile).filter((file) => existsSync(file));
  } catch {
    return [];
  }
}

/**
 * Whether the fresh directory `root` belongs to no live cluster: its owner
 * is gone, or, where it names none (a cluster of an earlier version), it
 * has agents and every one of them is gone.
 */
function abandoned(root: string): boolean {
  const owner = join(root, OWNER_FILE);
  if (existsSync(owner)) return livePid(owner) === undefined;
  const locks = agentLockFiles(root);
  return locks.length > 0 && locks.every((lock) => livePid(lock) === undefined);
}

/**
 * Removes the fresh directories under Mesos's default that clusters now
 * gone left behind: each agent's leftovers as the agent itself removes
 * them (its containers' cgroups, and what runs there), then the directory.
 * Resolves with the failures, one line each.
 */
export async function removeAbandoned(env: NodeJS.ProcessEnv): Promise<string[]> {
  const parent = defaultWorkDir(env);
  let names: string[];
  try {
    names = readdirSync(parent).filter((name) => name.startsWith(FRESH_PREFIX));
  } catch {
    return [];
  }
  const failures: string[] = [];
  for (const name of names) {
    const root = join(parent, name);
    if (!abandoned(root)) continue;
    let agents: string[] = [];
    try {
      agents = readdirSync(join(root, 'agents'));
    } catch {
      // No agents.
    }
    const before = failures.length;
    for (const agent of agents) {
      const workDir = workDirOf(join(root, 'agents', agent, 'work'), join(root, 'agents', agent, 'run'));
      if (!existsSync(workDir.root)) continue;
      let release: () => void;
      try {
        // Another cluster removing the same leftovers holds it now.
        release = lockWorkDir(workDir);
      } catch {
        failures.push(`Skipped the abandoned work directory '${root}': another process is removing it`);
        continue;
      }
      try {
        failures.push(...(await removeLeftovers(workDir, cgroupsRootFor(workDir.root))));
      } finally {
        release();
      }
    }
    if (failures.length > before) continue;
    try {
      removeTaskTree(root);
    } catch (error) {
      failures.push(`Failed to remove the abandoned work directory '${root}': ${reasonOf(error)}`);
    }
  }
  return failures;
}
