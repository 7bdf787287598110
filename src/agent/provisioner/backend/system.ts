// The backends' system calls. Nothing inside a layer or a container's
// root is looked up by name through a link: layers are copied through
// directory fds (native/fs.c's apply_layer), /etc is looked at without
// following it, and files in the container's root are made through an fd
// opened with no symlink allowed on the way.
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, statfsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname } from 'node:path';
import * as libc from '../../../../native/libc';
import { removeTaskTree } from '../../remove-tree';
import type { BackendSystem } from './index';
import type { EtcKind } from './plan';

const O_RDONLY_DIRECTORY = constants.O_RDONLY | constants.O_DIRECTORY;
const RESOLVE_NO_SYMLINKS = 0x04;
const LINK_DIRECTORY_PREFIX = 'mesos-layers-';

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

/** A directory fd on the agent's own `path`, no symlink allowed in it. */
function openOwnDirectory(path: string): number {
  return libc.openAt2(libc.AT_FDCWD, path, O_RDONLY_DIRECTORY, RESOLVE_NO_SYMLINKS);
}

function linkDirectoryParent(): string {
  return realpathSync(tmpdir());
}

export const hostBackendSystem: BackendSystem = {
  support(directory) {
    let overlayInKernel = false;
    try {
      overlayInKernel = /\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8'));
    } catch {
      // No /proc: no overlay we could know of.
    }
    return { overlayInKernel, filesystemType: statfsSync(directory).type };
  },
  makeDirectory(path, mode) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    mkdirSync(path, { mode });
  },
  makeLinkDirectory() {
    return mkdtempSync(`${linkDirectoryParent()}/${LINK_DIRECTORY_PREFIX}`);
  },
  isLinkDirectory(path) {
    return dirname(path) === linkDirectoryParent() && new RegExp(`^${LINK_DIRECTORY_PREFIX}[A-Za-z0-9]{6}$`).test(basename(path));
  },
  symlink(target, path) {
    symlinkSync(target, path);
  },
  readLink(path) {
    try {
      return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  },
  applyLayer(layer, rootfs) {
    libc.applyLayer(layer, rootfs);
  },
  etcOf(layer): EtcKind {
    let stat;
    try {
      // The layer is the agent's path; only its last component, /etc itself, is in the layer, and it is not followed.
      stat = lstatSync(`${layer}/etc`);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { kind: 'missing' };
      throw error;
    }
    if (stat.isDirectory()) return { kind: 'directory', mode: stat.mode, uid: stat.uid, gid: stat.gid };
    if (stat.isCharacterDevice() && stat.rdev === 0) return { kind: 'whiteout' };
    return { kind: 'other' };
  },
  makeEtcPlaceholders(directory, etc, files) {
    const top = openOwnDirectory(directory);
    try {
      libc.mkdirAt(top, 'etc', 0o700);
      const fd = libc.openAt2(top, 'etc', O_RDONLY_DIRECTORY | libc.O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
      try {
        for (const name of files) libc.createFileAt(fd, name, 0o644);
        fchownSync(fd, etc.uid, etc.gid);
        fchmodSync(fd, etc.mode);
      } finally {
        closeSync(fd);
      }
    } finally {
      closeSync(top);
    }
  },
  replaceEtcSymlinks(rootfs, files) {
    const top = openOwnDirectory(rootfs);
    let etc: number;
    try {
      etc = libc.openAt2(top, 'etc', O_RDONLY_DIRECTORY | libc.O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
    } catch (error) {
      // No /etc, or one that is not a directory: launch makes or resolves it inside the root.
      if (error instanceof libc.SyscallError) return;
      throw error;
    } finally {
      closeSync(top);
    }
    try {
      for (const name of files) {
        let entry: number;
        try {
          entry = libc.openAt2(etc, name, libc.O_PATH | libc.O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
        } catch (error) {
          if (error instanceof libc.SyscallError && error.errno === libc.ENOENT) continue;
          throw error;
        }
        const link = (fstatSync(entry).mode & libc.S_IFMT) === libc.S_IFLNK;
        closeSync(entry);
        if (!link) continue;
        libc.unlinkAt(etc, name);
        libc.createFileAt(etc, name, 0o644);
      }
    } finally {
      closeSync(etc);
    }
  },
  list(directory) {
    try {
      return readdirSync(directory);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return [];
      throw error;
    }
  },
  removeTree(path) {
    // The writable layer is the task's, however deep it made it.
    removeTaskTree(path);
  },
};
