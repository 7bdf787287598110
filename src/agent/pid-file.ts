// A file naming the live process that holds something: "<pid> <start
// time> <pid namespace>", the start time telling that process from a later
// one that got its pid. A pid means something only in its own pid
// namespace: a file written in another one names a process we can't see,
// and is taken as held (never as a dead holder's to clean up after).
import { closeSync, openSync, readFileSync, readlinkSync, writeSync } from 'node:fs';
import { statFields } from '../subcommand/proc-stat';

/** A process's start time (/proc/<pid>/stat, field 22). */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return statFields(stat)[19];
  } catch {
    return undefined;
  }
}

function ownPidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

/** Creates `path` naming this process; throws EEXIST when it exists. */
export function createPidFile(path: string): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeSync(fd, `${process.pid} ${startTime(process.pid) ?? ''} ${ownPidNamespace() ?? ''}\n`);
  } finally {
    closeSync(fd);
  }
}

/**
 * The pid `path` names, if that process still runs (or runs in a pid
 * namespace other than ours, where we can't tell); undefined when it is
 * gone or the file says nothing usable.
 */
export function livePid(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const [pid, started, namespace] = text.trim().split(' ');
  if (pid === undefined || !/^\d+$/.test(pid) || started === undefined || started === '') return undefined;
  if (namespace !== undefined && namespace !== '' && namespace !== ownPidNamespace()) return Number(pid);
  return startTime(Number(pid)) === started ? Number(pid) : undefined;
}
