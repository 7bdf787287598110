// What the network-cni-setup tests share: running the subcommand as the
// agent would, the network files it binds, and what the host and a
// container look like before and after.
import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname as osHostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cleanup, haveTools, mountPoints } from './netns';
import { ROOT, containerizer, isRoot, type Result } from './run';

export const HOST_FILES = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf'];

/** Why the tests that run the real thing can't, or false. */
export const needsForReal: string | false = !isRoot
  ? 'needs root'
  : !haveTools('ip', 'unshare', 'nsenter')
    ? 'needs ip, unshare and nsenter'
    : !existsSync(join(ROOT, 'dist', 'mesos-containerizer.js'))
      ? 'run `npm run build` first'
      : false;

export interface HostState {
  files: Record<string, string>;
  hostname: string;
  mounts: string[];
}

/** The host's network files, hostname and mount points. */
export function hostState(): HostState {
  const files: Record<string, string> = {};
  for (const file of HOST_FILES) files[file] = existsSync(file) ? readFileSync(file, 'utf8') : '<missing>';
  const hostnameRun = spawnSync('hostname', { encoding: 'utf8' });
  return { files, hostname: hostnameRun.status === 0 ? hostnameRun.stdout.trim() : osHostname(), mounts: mountPoints() };
}

/** A Cleanup run at teardown; leftovers it could not undo fail the test. */
export function cleanupFor(t: Test): Cleanup {
  const cleanup = new Cleanup();
  t.teardown(async () => {
    await cleanup.run();
    if (cleanup.failures.length > 0) throw new Error(`cleanup failed: ${cleanup.failures.join('; ')}`);
  });
  return cleanup;
}

export function tempDir(cleanup: Cleanup, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `mesos-containerizer network-cni-setup ...args`. */
export function setup(args: readonly string[], env?: NodeJS.ProcessEnv): Result {
  const options = env === undefined ? {} : { env };
  return containerizer(['network-cni-setup', ...args], options);
}

export interface NetworkFiles {
  hosts: string;
  hostname: string;
  resolv: string;
}

/** The network files as an agent's CNI isolator would write them. */
export function networkFiles(dir: string, name: string, address: string): NetworkFiles {
  const files = {
    hosts: join(dir, 'hosts'),
    hostname: join(dir, 'hostname'),
    resolv: join(dir, 'resolv.conf'),
  };
  writeFileSync(files.hosts, `127.0.0.1 localhost\n${address} ${name}\n`);
  writeFileSync(files.hostname, `${name}\n`);
  writeFileSync(files.resolv, `# ${name}\nnameserver 10.99.0.53\n`);
  return files;
}

/** Whether `lo` is UP in the network namespace of `pid`. */
export function loopbackIsUp(pid: number): boolean {
  const link = spawnSync('nsenter', ['-t', String(pid), '-n', 'ip', '-o', 'link', 'show', 'dev', 'lo'], { encoding: 'utf8' });
  return /<[^>]*\bUP\b[^>]*>/.test(link.stdout);
}

/** The hostname in the UTS namespace of `pid`. */
export function hostnameOf(pid: number): string {
  return spawnSync('nsenter', ['-t', String(pid), '-u', 'hostname'], { encoding: 'utf8' }).stdout.trim();
}

/** mountinfo lines of `pid`'s mount namespace, by mount point. */
export function mountsOf(pid: number): Map<string, string> {
  const info = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
  const byPoint = new Map<string, string>();
  for (const line of info.split('\n').filter((l) => l !== '')) byPoint.set(line.split(' ')[4]!, line);
  return byPoint;
}

/** The per-mount options (field 6) of a mountinfo line, as a set. */
export function mountOptions(line: string): Set<string> {
  return new Set((line.split(' ')[5] ?? '').split(','));
}

/** The result is exit 1 with exactly `message` as its one line on stderr. */
export function oneLine(t: Test, result: Result, message: string | RegExp): void {
  t.equal(result.code, 1, typeof message === 'string' ? `exit 1: ${message}` : 'exit 1');
  if (typeof message === 'string') t.equal(result.stderr, `${message}\n`, 'one line on stderr');
  else {
    t.match(result.stderr, message, 'the reason on stderr');
    t.equal(result.stderr.split('\n').length, 2, 'one line on stderr');
  }
  t.equal(result.stdout, '', 'nothing on stdout');
}
