// Process helpers shared by the tests: waiting and polling, what /proc says
// about a process, temporary directories, collecting a child's output, and a
// bundle of the native wrapper that a child Node can load.
//
// Nothing here changes the system except temporary directories the caller
// owns.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { statFields } from '../../src/subcommand/proc-stat';
import { ROOT, type Result } from './run';

/** The part of tap's Test these helpers use. */
export interface Teardown {
  teardown(fn: () => void | Promise<void>): void;
}

// ---------------------------------------------------------------------------
// Waiting

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Polls `probe` until it returns something other than undefined. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

// ---------------------------------------------------------------------------
// /proc

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  comm: string;
}

export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: the fields after it follow the last ')'.
  const close = text.lastIndexOf(')');
  const [state, ppid] = text.slice(close + 2).split(' ');
  return { pid, state: state!, ppid: Number(ppid), comm: text.slice(text.indexOf('(') + 1, close) };
}

/** Every process whose parent is `ppid`, zombies included. */
export function childrenOf(ppid: number): ProcStat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => procStat(Number(name)))
    .filter((stat): stat is ProcStat => stat !== undefined && stat.ppid === ppid);
}

/** Whether `pid` has `fd` open. */
export function hasFd(pid: number, fd: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).includes(String(fd));
  } catch {
    return false;
  }
}

/** The fds `pid` holds, with what they point at. */
export function openFds(pid: number): Map<number, string> {
  const fds = new Map<number, string>();
  for (const name of readdirSync(`/proc/${pid}/fd`)) {
    try {
      fds.set(Number(name), readlinkSync(`/proc/${pid}/fd/${name}`));
    } catch {
      // Closed while we looked.
    }
  }
  return fds;
}

/** The syscall number of read(2) on this machine, for /proc/PID/syscall. */
const READ_SYSCALL = process.arch === 'x64' ? 0 : process.arch === 'arm64' ? 63 : undefined;

/** Whether `pid`'s main thread is blocked reading `fd` (or, off x86/arm, sleeping on a pipe). */
export function blockedReading(pid: number, fd: number): boolean {
  try {
    if (READ_SYSCALL !== undefined) {
      const [number, first] = readFileSync(`/proc/${pid}/syscall`, 'utf8').trim().split(' ');
      return Number(number) === READ_SYSCALL && Number(first) === fd;
    }
    return readFileSync(`/proc/${pid}/wchan`, 'utf8').includes('pipe');
  } catch {
    return false;
  }
}

/** Kills `pid` if it still exists. */
export function killQuietly(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

// ---------------------------------------------------------------------------
// Temporary directories

/** A temporary directory removed by `cleanup`. */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { path: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh directory under the system's temp dir, removed when `t` ends. */
export function testDir(t: Teardown, prefix: string): string {
  const dir = tempDir(prefix);
  t.teardown(dir.cleanup);
  return dir.path;
}

// ---------------------------------------------------------------------------
// A child's output

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Collects a child's output and exit (once its pipes have closed too). */
export function finished(child: ChildProcess, holdStdoutMs = 0): Promise<Finished> {
  const stdout: Buffer[] = [];
  let stderr = '';
  if (child.stdout) {
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    if (holdStdoutMs > 0) {
      child.stdout.pause();
      setTimeout(() => child.stdout!.resume(), holdStdoutMs);
    }
  }
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done, failed) => {
    child.on('error', failed);
    child.on('close', (code, signal) => done({ code, signal, stdout: Buffer.concat(stdout), stderr }));
  });
}

/** `finished`, with stdout as text. */
export async function finishedText(child: ChildProcess): Promise<Result> {
  const result = await finished(child);
  return { ...result, stdout: result.stdout.toString() };
}

// ---------------------------------------------------------------------------
// The native wrapper in a child Node

/**
 * Bundles each entry (a path from the repository's root) the way dist/
 * bundles it, as `root`/dist/<name>.js, in a tree that mirrors the package
 * (`root`/native/build/addon.node links to the built addon) so that
 * native/libc.ts's upward search finds the addon. Returns the bundles' paths
 * by name. Run `npm run build` first.
 */
export function bundleWithAddon<Name extends string>(root: string, entries: Record<Name, string>): Record<Name, string> {
  mkdirSync(join(root, 'dist'));
  mkdirSync(join(root, 'native', 'build'), { recursive: true });
  symlinkSync(join(ROOT, 'native', 'build', 'addon.node'), join(root, 'native', 'build', 'addon.node'));
  const bundles = {} as Record<Name, string>;
  for (const [name, entry] of Object.entries<string>(entries) as Array<[Name, string]>) {
    bundles[name] = join(root, 'dist', `${name}.js`);
    buildSync({
      entryPoints: [join(ROOT, entry)],
      outfile: bundles[name],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'warning',
    });
  }
  return bundles;
}

// ---------------------------------------------------------------------------
// Processes of a pid namespace

/** The machine's boot time, in ms since the epoch (/proc/stat's btime). */
function bootTimeMs(): number {
  return Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))![1]) * 1000;
}

/** When `pid` started, in ms since the epoch (to a clock tick), or undefined when it is gone. */
function startedAtMs(pid: number): number | undefined {
  try {
    const ticks = Number(statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'))[19]);
    // USER_HZ is 100 on every Linux Node runs on.
    return bootTimeMs() + ticks * 10;
  } catch {
    return undefined;
  }
}

/**
 * The processes ("pid comm") in the pid namespace `namespace`
 * ("pid:[4026532...]") that started before `before` (ms since the epoch).
 * The kernel hands a freed namespace's number to the next one made, by
 * anyone: a process started later is in a namespace of someone else's.
 */
export function processesInNamespace(namespace: string, before: number): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let link: string;
    try {
      link = readlinkSync(`/proc/${name}/ns/pid`);
    } catch {
      continue;
    }
    const started = startedAtMs(Number(name));
    if (link !== namespace || started === undefined || started > before + 10) continue;
    found.push(`${name} ${procStat(Number(name))?.comm ?? '?'}`);
  }
  return found;
}
