// Removing a cgroup and every cgroup nested in it, as Mesos's
// cgroups::destroy does: whatever runs in any of them is killed, then the
// cgroups go bottom-up, deepest first, retrying while the kernel still
// says EBUSY. On cgroup v2 `cgroup.kill` ends the whole subtree at once;
// on v1 every process listed is sent SIGKILL until none is left (a
// container's pids limit bounds how many a fork bomb can add meanwhile).
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `path` and the cgroups under it, deepest first (each after everything below it). */
export function nestedFirst(path: string): string[] {
  const result: string[] = [];
  const visit = (directory: string) => {
    let children: string[];
    try {
      children = readdirSync(directory, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(directory, entry.name));
    } catch {
      children = [];
    }
    for (const child of children) visit(child);
    result.push(directory);
  };
  if (existsSync(path)) visit(path);
  return result;
}

function processesIn(cgroup: string): number[] {
  try {
    return readFileSync(join(cgroup, 'cgroup.procs'), 'utf8')
      .split('\n')
      .filter((line) => /^\d+$/.test(line))
      .map(Number);
  } catch {
    return [];
  }
}

function killAll(cgroups: readonly string[]): number {
  let seen = 0;
  for (const cgroup of cgroups) {
    if (existsSync(join(cgroup, 'cgroup.kill'))) {
      try {
        writeFileSync(join(cgroup, 'cgroup.kill'), '1');
      } catch {
        // Gone meanwhile, or not allowed here: the pids below are killed one by one.
      }
    }
    for (const pid of processesIn(cgroup)) {
      seen++;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  return seen;
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^[A-Z]+: ([^,]*),.*$/s, '$1');
}

/**
 * Kills everything in `path` and the cgroups nested in it, then removes
 * them all. Resolves with the failures, one line each ("Failed to remove
 * cgroup '<path>': <reason>"); none when everything is gone.
 */
export async function destroyTree(path: string, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let cgroups = nestedFirst(path);
  // Killed processes leave their cgroups once they are reaped: wait for that.
  for (let delay = 1; killAll(cgroups) > 0 && Date.now() < deadline; delay = Math.min(delay * 2, 50)) {
    await sleep(delay);
    cgroups = nestedFirst(path);
  }
  const failures: string[] = [];
  for (const cgroup of nestedFirst(path)) {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      try {
        rmdirSync(cgroup);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code === 'EBUSY' && Date.now() < deadline) {
          killAll([cgroup]);
          await sleep(delay);
          continue;
        }
        failures.push(`Failed to remove cgroup '${cgroup}': ${reason(error)}`);
        break;
      }
    }
  }
  return failures;
}

/** One synchronous pass of the same, for a process about to exit. */
export function destroyTreeNow(path: string): void {
  const cgroups = nestedFirst(path);
  killAll(cgroups);
  for (const cgroup of cgroups) {
    try {
      rmdirSync(cgroup);
    } catch {
      // Still busy: what was killed is still being reaped.
    }
  }
}
