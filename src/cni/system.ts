// The real `CniSystem`: libc through native/libc, on the calling (main)
// thread, which is the one that enters the container's namespaces. No
// program is run: after the mount setns any program found by name would be
// the container's, run with our privileges.
import { lstatSync, readFileSync } from 'node:fs';
import * as libc from '../../native/libc';
import type { CniSystem, Fd, Identity } from './steps';

const ENOENT = 2;

function plain<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw new Error(libc.reasonOf(error));
  }
}

/** The call's fd, or undefined when nothing is at the path. */
function unlessMissing(call: () => Fd): Fd | undefined {
  try {
    return call();
  } catch (error) {
    if (error instanceof libc.SyscallError && error.errno === ENOENT) return undefined;
    throw new Error(libc.reasonOf(error));
  }
}

function kindOf(mode: number): Identity['kind'] {
  switch (mode & libc.S_IFMT) {
    case libc.S_IFREG:
      return 'file';
    case libc.S_IFDIR:
      return 'directory';
    case libc.S_IFLNK:
      return 'symlink';
    default:
      return 'other';
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
    open: (dir, path) => unlessMissing(() => libc.openAt(dir ?? libc.AT_FDCWD, path, libc.O_RDONLY)),
    resolveInRoot: (root, path, follow) =>
      unlessMissing(() =>
        libc.openAt2(
          root,
          path,
          libc.O_PATH | (follow ? 0 : libc.O_NOFOLLOW),
          libc.RESOLVE_IN_ROOT | libc.RESOLVE_NO_MAGICLINKS,
        ),
      ),
    identify: (fd) =>
      plain(() => {
        const { dev, ino, mode } = libc.fstat(fd);
        return { dev, ino, kind: kindOf(mode) };
      }),
    readFile: (dir, path) =>
      plain(() => {
        const fd = libc.openAt(dir, path, libc.O_RDONLY);
        try {
          return readFileSync(fd, 'utf8');
        } finally {
          libc.close(fd);
        }
      }),
    makeDirectory: (dir, name) => plain(() => libc.mkdirAt(dir, name, 0o755)),
    createFile: (dir, name) =>
      plain(() => libc.openAt(dir, name, libc.O_RDONLY | libc.O_CREAT | libc.O_EXCL | libc.O_NOFOLLOW, 0o644)),
    remove: (dir, name) => plain(() => libc.unlinkAt(dir, name)),
    close: (fd) => plain(() => libc.close(fd)),
    unshare: (flags) => plain(() => libc.unshare(flags)),
    setns: (fd, nstype) => plain(() => libc.setnsFd(fd, nstype)),
    mount: (target, flags) => plain(() => libc.mount(null, target, null, flags)),
    cloneMount: (path, attributes, propagation) =>
      plain(() => {
        const tree = libc.openTree(libc.AT_FDCWD, path, libc.OPEN_TREE_CLONE);
        try {
          libc.mountSetattr(tree, '', libc.AT_EMPTY_PATH, attributes, 0, propagation);
        } catch (error) {
          libc.close(tree);
          throw error;
        }
        return tree;
      }),
    attachMount: (tree, target) =>
      plain(() => libc.moveMount(tree, '', target, '', libc.MOVE_MOUNT_F_EMPTY_PATH | libc.MOVE_MOUNT_T_EMPTY_PATH)),
    sethostname: (name) => plain(() => libc.sethostname(name)),
    loopbackUp: () => plain(() => libc.loopbackUp()),
  };
}
