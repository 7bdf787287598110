// The memory of a process and all its descendants, from /proc, for
// bench/cluster-memory.sh:
//
//   node memory.js measure ROOT_PID CGROUP_NAME SNAPSHOT
//       every process below ROOT_PID (itself included), by what it runs:
//       VmRSS (/proc/PID/status) and Pss (/proc/PID/smaps_rollup), summed;
//       the processes in cgroups named CGROUP_NAME (any hierarchy) that are
//       not in the tree are counted too, and said. Writes the processes and
//       the cgroup directories to SNAPSHOT (JSON) for `leftovers`.
//   node memory.js leftovers SNAPSHOT
//       exits 1, naming them, when any process of the snapshot still runs
//       (same pid, same start time) or any of its cgroup directories is left.
//
// Bundled by bench/cluster-memory.sh. Linux only.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface Process {
  readonly pid: number;
  readonly startTime: string;
  readonly kind: string;
  readonly rssKb: number;
  /** VmRSS's parts: anonymous memory, file pages, shared memory (a memfd's, say). */
  readonly anonKb: number;
  readonly fileKb: number;
  readonly shmemKb: number;
  readonly pssKb: number;
}

type Amount = 'rssKb' | 'anonKb' | 'fileKb' | 'shmemKb' | 'pssKb';
const AMOUNTS: readonly Amount[] = ['rssKb', 'anonKb', 'fileKb', 'shmemKb', 'pssKb'];

interface Snapshot {
  readonly processes: readonly Process[];
  readonly cgroups: readonly string[];
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Fields of /proc/PID/stat after the command (whose parentheses may hold anything): [0] is the state. */
function statFields(pid: number): string[] | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
}

function allPids(): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
}

/** ROOT and every process below it, parents before their children. */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const parent = Number(statFields(pid)?.[1]);
    if (!Number.isInteger(parent)) continue;
    children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

function kilobytes(text: string | undefined, field: string): number {
  const match = text === undefined ? null : new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
}

/** What a process runs: its program's name, and for node the script's. */
function kindOf(pid: number): string {
  const argv = (read(`/proc/${pid}/cmdline`) ?? '').split('\0');
  const program = basename(argv[0] ?? '?');
  return program === 'node' && argv[1] !== undefined ? `node ${basename(argv[1])}` : program;
}

function describe(pid: number): Process | undefined {
  const startTime = statFields(pid)?.[19];
  if (startTime === undefined) return undefined;
  const status = read(`/proc/${pid}/status`);
  return {
    pid,
    startTime,
    kind: kindOf(pid),
    rssKb: kilobytes(status, 'VmRSS'),
    anonKb: kilobytes(status, 'RssAnon'),
    fileKb: kilobytes(status, 'RssFile'),
    shmemKb: kilobytes(status, 'RssShmem'),
    pssKb: kilobytes(read(`/proc/${pid}/smaps_rollup`), 'Pss'),
  };
}

/** The directories of cgroups named `name` at the top of each hierarchy, and everything below them. */
function cgroupDirectories(name: string): string[] {
  const tops = ['/sys/fs/cgroup', ...readdirSync('/sys/fs/cgroup').map((entry) => join('/sys/fs/cgroup', entry))]
    .map((hierarchy) => join(hierarchy, name))
    .filter((path) => existsSync(join(path, 'cgroup.procs')));
  const found: string[] = [];
  const walk = (directory: string): void => {
    found.push(directory);
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(directory, entry.name));
    }
  };
  tops.forEach(walk);
  return found;
}

function mib(kb: number): string {
  return `${(kb / 1024).toFixed(1)}`.padStart(10);
}

function measure(root: number, cgroupName: string, snapshotPath: string): void {
  const inTree = new Set(tree(root));
  const cgroups = cgroupDirectories(cgroupName);
  const outside = new Set<number>();
  for (const directory of cgroups) {
    for (const line of (read(join(directory, 'cgroup.procs')) ?? '').split('\n')) {
      if (line !== '' && !inTree.has(Number(line))) outside.add(Number(line));
    }
  }
  const processes = [...inTree, ...outside].map(describe).filter((p): p is Process => p !== undefined);
  writeFileSync(snapshotPath, JSON.stringify({ processes, cgroups } satisfies Snapshot));

  const sum = (group: readonly Process[], amount: Amount) => group.reduce((total, p) => total + p[amount], 0);
  const row = (name: string, group: readonly Process[]) =>
    `  ${name.padEnd(30)} ${String(group.length).padStart(5)}${AMOUNTS.map((amount) => mib(sum(group, amount))).join('')}`;
  const kinds = new Map<string, Process[]>();
  for (const p of processes) kinds.set(p.kind, [...(kinds.get(p.kind) ?? []), p]);
  console.log(`${"MiB, by program".padEnd(32)} count     VmRSS   RssAnon   RssFile  RssShmem       Pss`);
  for (const [kind, group] of [...kinds].sort((a, b) => sum(b[1], 'rssKb') - sum(a[1], 'rssKb'))) console.log(row(kind, group));
  console.log(row('in all', processes));
  if (outside.size > 0) console.log(`  (${outside.size} of them in the cluster's cgroups but not below pid ${root}: ${[...outside].join(' ')})`);
  console.log(`TOTAL_RSS_KB=${sum(processes, 'rssKb')} TOTAL_PSS_KB=${sum(processes, 'pssKb')}`);
}

function leftovers(snapshotPath: string): number {
  const snapshot = JSON.parse(readFileSync(snapshotPath, 'utf8')) as Snapshot;
  const alive = snapshot.processes.filter((process) => statFields(process.pid)?.[19] === process.startTime);
  const cgroups = snapshot.cgroups.filter((directory) => existsSync(directory));
  for (const process of alive) console.log(`still running: pid ${process.pid} (${process.kind})`);
  for (const directory of cgroups) console.log(`cgroup left: ${directory}`);
  console.log(`${snapshot.processes.length} processes and ${snapshot.cgroups.length} cgroups measured: ${alive.length} processes and ${cgroups.length} cgroups left`);
  return alive.length + cgroups.length === 0 ? 0 : 1;
}

const [command, ...args] = process.argv.slice(2);
if (command === 'measure' && args.length === 3) {
  measure(Number(args[0]), args[1]!, args[2]!);
} else if (command === 'leftovers' && args.length === 1) {
  process.exitCode = leftovers(args[0]!);
} else {
  process.stderr.write('usage: memory.js measure ROOT_PID CGROUP_NAME SNAPSHOT | leftovers SNAPSHOT\n');
  process.exitCode = 2;
}
