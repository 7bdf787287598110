// The agent's total resources, as Mesos's agent works them out
// (Containerizer::resources): what `--resources` (here MESOS_RESOURCES)
// names is taken as given; cpus, mem, disk and ports that it leaves out are
// probed. cpus: the online CPUs; mem: total memory less 1 GB, or half of a
// machine with less than 2 GB; disk: the size of the work directory's
// filesystem less 5 GB, or half of one under 10 GB; ports: [31000-32000].
// A probe that fails falls back to Mesos's defaults (1 cpu, 1 GB, 10 GB)
// with a warning in Mesos's words.
import { readFileSync, statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Resource } from '../master/types';
import { parseResourceText } from './resources';

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** What the machine has; each throws when it can't tell. */
export interface MachineProbe {
  /** Online CPUs. */
  cpus(): number;
  /** Total memory, in bytes. */
  memoryBytes(): number;
  /** The size of the filesystem holding `directory`, in bytes. */
  diskBytes(directory: string): number;
}

/** The CPUs in a kernel cpu list such as "0-3,6,8-9". */
export function countCpuList(list: string): number {
  let count = 0;
  for (const part of list.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (match === null) throw new Error(`Invalid cpu list '${list.trim()}'`);
    count += match[2] === undefined ? 1 : Number(match[2]) - Number(match[1]) + 1;
  }
  return count;
}

export const machineProbe: MachineProbe = {
  // What sysconf(_SC_NPROCESSORS_ONLN) reads.
  cpus: () => countCpuList(readFileSync('/sys/devices/system/cpu/online', 'utf8')),
  memoryBytes: () => {
    const total = totalmem();
    if (!(total > 0)) throw new Error('sysinfo reported no memory');
    return total;
  },
  diskBytes: (directory) => {
    const stats = statfsSync(directory);
    return stats.blocks * stats.bsize;
  },
};

function reason(error: unknown): string {
  return error instanceof Error ? error.message.replace(/^[A-Z]+: /, '') : String(error);
}

/** Memory to offer out of `total` bytes, in MB: Mesos leaves 1 GB, or half of a small machine. */
export function offeredMemoryMb(total: number): number {
  return Math.floor((total >= 2 * GB ? total - GB : total / 2) / MB);
}

/** Disk to offer out of a filesystem of `total` bytes, in MB: Mesos leaves 5 GB, or half of a small one. */
export function offeredDiskMb(total: number): number {
  return Math.floor((total >= 10 * GB ? total - 5 * GB : total / 2) / MB);
}

const scalar = (name: string, value: number): Resource => ({ name, type: 'SCALAR', scalar: { value } });

/**
 * The agent's resources: `text` (Mesos's text or JSON form; throws
 * ResourceTextError) plus the probed cpus, mem, disk and ports it doesn't
 * name. `warn` gets one line per probe that failed.
 */
export function agentResources(text: string | undefined, workDir: string, probe: MachineProbe, warn: (message: string) => void): Resource[] {
  const resources = parseResourceText(text ?? '');
  const named = (name: string) => resources.some((resource) => resource.name === name);
  if (!named('cpus')) {
    let cpus = 1;
    try {
      cpus = probe.cpus();
    } catch (error) {
      warn(`Failed to auto-detect the number of cpus to use: '${reason(error)}'; defaulting to 1`);
    }
    resources.push(scalar('cpus', cpus));
  }
  if (!named('mem')) {
    let mem = GB / MB;
    try {
      mem = offeredMemoryMb(probe.memoryBytes());
    } catch (error) {
      warn(`Failed to auto-detect the size of main memory: '${reason(error)}' ; defaulting to 1GB`);
    }
    resources.push(scalar('mem', mem));
  }
  if (!named('disk')) {
    let disk = (10 * GB) / MB;
    try {
      disk = offeredDiskMb(probe.diskBytes(workDir));
    } catch (error) {
      warn(`Failed to auto-detect the disk space: '${reason(error)}' ; defaulting to 10GB`);
    }
    resources.push(scalar('disk', disk));
  }
  if (!named('ports')) resources.push({ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 32000 }] } });
  return resources;
}
