// What a container's limits are written as, file by file, on cgroup v1 and
// v2. Mesos's floors and conversions: at least 32 MB of memory and 2 cpu
// shares, 1024 shares a cpu, and only with a hard cpu limit (Mesos's
// --cgroups_enable_cfs) a CFS period of 100 ms with a quota of at least
// 1 ms. Swap is closed, so a task over its memory limit is stopped, not
// slowed. Pure.
import type { Controller } from './hierarchies';

export interface CgroupLimits {
  readonly memoryBytes?: number;
  readonly cpus?: number;
  /** `cpus` as a hard limit (a CFS quota) too, not only a share of the machine. */
  readonly cpuQuota?: boolean;
  /** The most processes (threads included) the container may hold at once. */
  readonly pids?: number;
}

export const MIN_MEMORY_BYTES = 32 * 1024 * 1024;
const MIN_CPU_SHARES = 2;
const CPU_SHARES_PER_CPU = 1024;
const CFS_PERIOD_US = 100_000;
const MIN_CFS_QUOTA_US = 1_000;

/** One control file and its value; `optional` ones are written only where the kernel has them. */
export interface LimitWrite {
  readonly file: string;
  readonly value: string;
  readonly optional?: boolean;
}

/** The controllers `limits` needs. */
export function controllersFor(limits: CgroupLimits): Controller[] {
  const controllers: Controller[] = [];
  if (limits.memoryBytes !== undefined) controllers.push('memory');
  if (limits.cpus !== undefined) controllers.push('cpu');
  if (limits.pids !== undefined) controllers.push('pids');
  return controllers;
}

export function limitWrites(controller: Controller, version: 1 | 2, limits: CgroupLimits): LimitWrite[] {
  switch (controller) {
    case 'memory': {
      const bytes = String(Math.max(Math.floor(limits.memoryBytes!), MIN_MEMORY_BYTES));
      return version === 2
        ? [{ file: 'memory.max', value: bytes }, { file: 'memory.swap.max', value: '0', optional: true }]
        : [{ file: 'memory.limit_in_bytes', value: bytes }, { file: 'memory.memsw.limit_in_bytes', value: bytes, optional: true }];
    }
    case 'cpu': {
      const shares = Math.max(Math.floor(CPU_SHARES_PER_CPU * limits.cpus!), MIN_CPU_SHARES);
      const quota = Math.max(Math.floor(CFS_PERIOD_US * limits.cpus!), MIN_CFS_QUOTA_US);
      if (version === 2) {
        // cgroup v2's weight (1..10000) for the same share of the machine as v1's shares.
        const weight = Math.min(10_000, Math.max(1, 1 + Math.floor(((shares - 2) * 9999) / 262142)));
        return [
          { file: 'cpu.weight', value: String(weight) },
          ...(limits.cpuQuota === true ? [{ file: 'cpu.max', value: `${quota} ${CFS_PERIOD_US}` }] : []),
        ];
      }
      return [
        { file: 'cpu.shares', value: String(shares) },
        ...(limits.cpuQuota === true
          ? [
              { file: 'cpu.cfs_period_us', value: String(CFS_PERIOD_US) },
              { file: 'cpu.cfs_quota_us', value: String(quota) },
            ]
          : []),
      ];
    }
    case 'pids':
      return [{ file: 'pids.max', value: String(limits.pids!) }];
  }
}

/** What each limit is called in a warning. */
export const LIMIT_NAMES: Readonly<Record<Controller, string>> = { memory: 'the memory limit', cpu: 'the cpu limit', pids: 'the pids limit' };
