// The real `CniSystem`: libc through native/libc, the rest through Node's
// synchronous fs and child_process calls, which run on (or fork from) the
// main thread and so act in the namespaces it has entered. Asynchronous fs
// calls would run on the thread pool, still in the old namespaces.
import { closeSync, constants, lstatSync, mkdirSync, openSync, realpathSync, unlinkSync } from 'node:fs';
import { spawnSync } from '../subcommand/lazy';
import * as libc from '../../native/libc';
import type { CniSystem, RunResult } from './steps';

function plain<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw new Error(libc.reasonOf(error));
  }
}

export function realSystem(): CniSystem {
  return {
    exists(path) {
      try {
        lstatSync(path);
        return true;
      } catch {
        return false;
      }
    },
    isSymlink: (path) => plain(() => lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() ?? false),
    realpath: (path) => plain(() => realpathSync.native(path)),
    mkdir: (path) => plain(() => mkdirSync(path, 0o755)),
    createFile: (path) =>
      plain(() => {
        const fd = openSync(
          path,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW | libc.O_CLOEXEC,
          0o644,
        );
        closeSync(fd);
      }),
    remove: (path) => plain(() => unlinkSync(path)),
    unshare: (flags) => plain(() => libc.unshare(flags)),
    setns(path, nstype) {
      try {
        libc.setns(path, nstype);
      } catch (error) {
        // As Mesos words it: an unopenable handle is named, a refused setns is just the reason.
        if (error instanceof libc.SyscallError && error.call === 'open') {
          throw new Error(`Failed to open '${path}': ${error.reason}`);
        }
        throw new Error(libc.reasonOf(error));
      }
    },
    mount: (source, target, flags) => plain(() => libc.mount(source, target, null, flags)),
    sethostname: (name) => plain(() => libc.sethostname(name)),
    run(argv): RunResult {
      const result = spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit' });
      if (result.error !== undefined) return { started: false, reason: libc.reasonOf(result.error) };
      return { started: true, status: result.status, signal: result.signal };
    },
  };
}
