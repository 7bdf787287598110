// A file naming the live process that holds something: "<pid> <start
// time>", the start time telling that process from a later one that got
// its pid.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/** A process's start time (/proc/<pid>/stat, field 22). */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Creates `path` naming this process; throws EEXIST when it exists. */
export function createPidFile(path: string): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    writeSync(fd, `${process.pid} ${startTime(process.pid) ?? ''}\n`);
  } finally {
    closeSync(fd);
  }
}

/** The pid `path` names, if that process still runs; undefined when it is gone or the file says nothing usable. */
export function livePid(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const [pid, started] = text.trim().split(' ');
  if (pid === undefined || !/^\d+$/.test(pid) || started === undefined || started === '') return undefined;
  return startTime(Number(pid)) === started ? Number(pid) : undefined;
}
