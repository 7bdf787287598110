// The real LaunchSystem: libc through native/, child processes through
// child_process (pre-exec commands fork from the main thread, so they see
// the namespaces it entered), files through synchronous fs calls.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import * as libc from '../../native/libc';
import type { CommandInfo } from './launch-info';
import type { LaunchSystem, Program, UserIds } from './run';
import { writeAll } from '../subcommand/output';

export class RealLaunchSystem implements LaunchSystem {
  /** A sealed copy of the waiter, reachable after the root changes. */
  private waiterFd = -1;

  closeFd(fd: number): void {
    libc.close(fd);
  }

  readByte(fd: number): boolean {
    return libc.readSome(fd, new Uint8Array(1)) === 1;
  }

  takeTerminal(): void {
    libc.takeControllingTerminal(0);
  }

  unshareMount(): void {
    libc.unshare(libc.CLONE_NEWNS);
  }

  note(line: string): void {
    writeAll(1, line + '\n');
  }

  runCommand(command: CommandInfo): string | undefined {
    const value = command.value!;
    const result = command.shell
      ? spawnSync('sh', ['-c', value], { stdio: 'inherit' })
      : spawnSync(value, command.arguments.slice(1), { stdio: 'inherit', argv0: command.arguments[0] ?? value });
    if (result.error !== undefined) return result.error.message;
    if (result.signal !== null) return `terminated by ${result.signal}`;
    if (result.status !== 0) return `exited with status ${result.status}`;
    return undefined;
  }

  lookupUser(name: string): UserIds | undefined {
    const entry = libc.getpwnam(name);
    if (entry === undefined) return undefined;
    return { uid: entry.uid, gid: entry.gid, groups: libc.getgrouplist(name, entry.gid) };
  }

  getuid(): number {
    return libc.getuid();
  }

  prepareWaiter(): void {
    // Exec'd from memory, a task can't rewrite the waiter's file on the host
    // through /proc/<pid>/exe.
    this.waiterFd = libc.sealedCopy(libc.waiterPath());
  }

  makeDirectories(path: string): void {
    mkdirSync(path, { recursive: true });
  }

  chdir(path: string): void {
    libc.chdir(path);
  }

  setgid(gid: number): void {
    libc.setgid(gid);
  }

  setgroups(gids: readonly number[]): void {
    libc.setgroups(gids);
  }

  setuid(uid: number): void {
    libc.setuid(uid);
  }

  isExecutableFile(path: string): boolean {
    try {
      if (!statSync(path).isFile()) return false;
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }

  inheritedEnvironment(): string[] {
    return Object.entries(process.env).map(([name, value]) => `${name}=${value ?? ''}`);
  }

  exec(program: Program, environment: readonly string[], statusFd: number | undefined): never {
    if (statusFd === undefined) return libc.execClean(program.path, program.argv, environment);
    const argv = ['mesos-containerizer-waiter', String(statusFd), program.path, ...program.argv];
    return libc.execClean(libc.waiterPath(), argv, environment, statusFd, this.waiterFd);
  }
}
