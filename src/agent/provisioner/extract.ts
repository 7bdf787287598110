// Extracts a layer's tar into its own directory, safe against a hostile
// layer: every entry is made through a file descriptor of the layer
// directory, the parent of each opened by the kernel with openat2
// RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS (symlinks resolve as inside the
// layer, '..' stops at its root), then the entry made on its one name with
// *at calls that never follow it; a hard link's target is resolved inside
// the layer the same way. No name is joined to a host path, so nothing a
// layer holds can reach outside it.
//
// Owners, modes (set-id bits after the owner), times (directories' at the
// end, once nothing more is made in them), devices and fifos, user xattrs
// and file capabilities are kept. Docker's whiteouts become overlayfs's:
// `.wh.NAME` a 0:0 character device NAME, `.wh..wh..opq` the
// `trusted.overlay.opaque=y` xattr on its directory, which both an overlay
// mount and a copy of the layers can honour.
import { closeSync, fchmodSync, fchownSync, futimesSync, writeSync } from 'node:fs';
import {
  chownAt,
  linkInRoot,
  mkdirAt,
  mknodAt,
  O_CLOEXEC,
  O_CREAT,
  O_DIRECTORY,
  O_EXCL,
  O_NOFOLLOW,
  O_PATH,
  O_RDONLY,
  O_WRONLY,
  openAt,
  openAt2,
  openFile,
  removeAt,
  RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS,
  S_IFBLK,
  S_IFCHR,
  S_IFIFO,
  setTimesAt,
  setXattr,
  symlinkAt,
  SyscallError,
  EEXIST,
  ENOENT,
  ELOOP,
  ENOTDIR,
} from '../../../native/libc';
import { actionOf, normalizePath, xattrAllowed } from './layer-entry';
import type { TarEntry, TarHandler } from './tar';

export const OPAQUE_XATTR = 'trusted.overlay.opaque';
/** This process's umask, read once (setting it back at once). */
const UMASK = (() => {
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
})();
const IN_ROOT = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

export class ExtractError extends Error {}

const errnoOf = (error: unknown): number => (error instanceof SyscallError ? error.errno : 0);

export interface ExtractStats {
  entries: number;
  whiteouts: number;
  opaques: number;
  skipped: string[];
}

/** A TarHandler that makes each entry under `rootDir`; `close()` when the tar has ended. */
export class LayerExtractor implements TarHandler {
  private root: number;
  private parentPath: string | undefined;
  private parentFd = -1;
  private file: { fd: number; entry: TarEntry } | undefined;
  private readonly directoryTimes: Array<{ path: string; depth: number; mtime: number }> = [];
  readonly stats: ExtractStats = { entries: 0, whiteouts: 0, opaques: 0, skipped: [] };

  constructor(rootDir: string) {
    this.root = openFile(rootDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }

  entry(entry: TarEntry): void {
    this.stats.entries++;
    try {
      this.make(entry);
    } catch (error) {
      throw new ExtractError(`Layer entry '${entry.name}': ${(error as Error).message}`);
    }
  }

  data(chunk: Buffer): void {
    const file = this.file;
    if (file === undefined) return;
    try {
      for (let offset = 0; offset < chunk.length; ) offset += writeSync(file.fd, chunk, offset, chunk.length - offset);
    } catch (error) {
      throw new ExtractError(`Layer entry '${file.entry.name}': write: ${(error as Error).message}`);
    }
  }

  entryEnd(): void {
    const file = this.file;
    if (file === undefined) return;
    this.file = undefined;
    try {
      this.finishFd(file.fd, file.entry);
    } catch (error) {
      throw new ExtractError(`Layer entry '${file.entry.name}': ${(error as Error).message}`);
    } finally {
      closeSync(file.fd);
    }
  }

  /** Directory times, then every fd closed. The extractor can't be used afterwards. */
  close(): void {
    try {
      this.directoryTimes.sort((a, b) => b.depth - a.depth);
      for (const { path, mtime } of this.directoryTimes) {
        let fd: number;
        try {
          fd = path === '' ? this.root : openAt2(this.root, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, IN_ROOT);
        } catch (error) {
          // A directory a later entry replaced (or removed) has no time to set.
          if ([ENOENT, ENOTDIR, ELOOP].includes(errnoOf(error))) continue;
          throw new ExtractError(`Layer directory '${path}': ${(error as Error).message}`);
        }
        try {
          futimesSync(fd, mtime, mtime);
        } finally {
          if (fd !== this.root) closeSync(fd);
        }
      }
    } finally {
      this.dispose();
    }
  }

  /** Closes every fd without finishing (after a failure). */
  dispose(): void {
    if (this.file !== undefined) closeSync(this.file.fd);
    this.file = undefined;
    this.forgetParent();
    if (this.root >= 0) closeSync(this.root);
    this.root = -1;
  }

  private make(entry: TarEntry): void {
    const action = actionOf(entry.name);
    switch (action.kind) {
      case 'skip':
        this.stats.skipped.push(action.reason);
        return;
      case 'root':
        if (entry.type !== 'directory') throw new Error('the layer root is not a directory');
        this.finishFd(this.root, entry);
        this.directoryTimes.push({ path: '', depth: 0, mtime: entry.mtime });
        return;
      case 'opaque': {
        this.stats.opaques++;
        const dir = this.parent(action.parent);
        const fd = action.parent.length === 0 ? this.root : openAt(dir, '.', O_RDONLY | O_DIRECTORY);
        try {
          setXattr(fd, OPAQUE_XATTR, Buffer.from('y'));
        } finally {
          if (fd !== this.root) closeSync(fd);
        }
        return;
      }
      case 'whiteout': {
        this.stats.whiteouts++;
        const dir = this.parent(action.parent);
        this.replacing(dir, action.name, () => mknodAt(dir, action.name, S_IFCHR, 0, 0));
        return;
      }
      case 'entry':
        this.makeEntry(this.parent(action.parent), action.parent, action.name, entry);
    }
  }

  private makeEntry(dir: number, parent: string[], name: string, entry: TarEntry): void {
    switch (entry.type) {
      case 'directory': {
        let fd = -1;
        try {
          mkdirAt(dir, name, 0o700);
        } catch (error) {
          if (errnoOf(error) !== EEXIST) throw error;
          // An existing directory is kept (its entries too); anything else is replaced.
          try {
            fd = openAt(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
          } catch (opening) {
            if (errnoOf(opening) !== ENOTDIR && errnoOf(opening) !== ELOOP) throw opening;
            this.remove(dir, name);
            mkdirAt(dir, name, 0o700);
          }
        }
        if (fd === -1) fd = openAt(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
        try {
          this.finishFd(fd, entry);
        } finally {
          closeSync(fd);
        }
        const path = [...parent, name];
        this.directoryTimes.push({ path: path.join('/'), depth: path.length, mtime: entry.mtime });
        return;
      }
      case 'file': {
        // Made with its permission bits (the umask may take some, and set-id
        // bits wait for the owner), so that most files need no chmod after.
        const fd = this.replacing(dir, name, () => openAt(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, entry.mode & 0o777));
        this.file = { fd, entry };
        return;
      }
      case 'symlink':
        this.replacing(dir, name, () => symlinkAt(entry.linkname, dir, name));
        chownAt(dir, name, entry.uid, entry.gid);
        setTimesAt(dir, name, Math.floor(entry.mtime), 0);
        return;
      case 'hardlink': {
        const target = normalizePath(entry.linkname);
        if (target.length === 0) throw new Error(`a hard link to '${entry.linkname}', the layer's root`);
        this.replacing(dir, name, () => linkInRoot(this.root, target.join('/'), dir, name));
        return;
      }
      case 'char':
      case 'block':
      case 'fifo': {
        const type = entry.type === 'char' ? S_IFCHR : entry.type === 'block' ? S_IFBLK : S_IFIFO;
        this.replacing(dir, name, () => mknodAt(dir, name, type | (entry.mode & 0o777), entry.devmajor, entry.devminor));
        chownAt(dir, name, entry.uid, entry.gid);
        setTimesAt(dir, name, Math.floor(entry.mtime), 0);
      }
    }
  }

  /** Makes `name` with `create`; an entry already there (not a directory we keep) is removed first. */
  private replacing<T>(dir: number, name: string, create: () => T): T {
    try {
      return create();
    } catch (error) {
      if (errnoOf(error) !== EEXIST) throw error;
      this.remove(dir, name);
      return create();
    }
  }

  /** Removes `name` from `dir`; a directory with all it holds. The cached parent is `dir` or above it, so it stays valid. */
  private remove(dir: number, name: string): void {
    removeAt(dir, name);
  }

  /** Owner, mode (set-id bits survive, set after the owner), xattrs and, for a file, times. */
  private finishFd(fd: number, entry: TarEntry): void {
    fchownSync(fd, entry.uid, entry.gid);
    // A new file has its mode already unless the umask took bits or it has set-id or sticky bits.
    if (entry.type !== 'file' || (entry.mode & (UMASK | 0o7000)) !== 0) fchmodSync(fd, entry.mode);
    for (const [name, value] of entry.xattrs) {
      if (xattrAllowed(name)) setXattr(fd, name, value);
      else this.stats.skipped.push(`xattr '${name}' of '${entry.name}'`);
    }
    if (entry.type === 'file') futimesSync(fd, entry.mtime, entry.mtime);
  }

  private forgetParent(): void {
    if (this.parentFd >= 0 && this.parentFd !== this.root) closeSync(this.parentFd);
    this.parentFd = -1;
    this.parentPath = undefined;
  }

  /** A directory fd of `parts` resolved inside the layer, made (0755) when missing. */
  private parent(parts: string[]): number {
    if (parts.length === 0) return this.root;
    const path = parts.join('/');
    if (this.parentPath === path && this.parentFd >= 0) return this.parentFd;
    this.forgetParent();
    let fd: number;
    try {
      fd = openAt2(this.root, path, O_PATH | O_DIRECTORY, IN_ROOT);
    } catch (error) {
      if (errnoOf(error) !== ENOENT) throw error;
      fd = this.makeParents(parts);
    }
    this.parentFd = fd;
    this.parentPath = path;
    return fd;
  }

  /** mkdir -p inside the layer: each prefix resolved from the layer's root, a missing one made in the one before. */
  private makeParents(parts: string[]): number {
    let dir = this.root;
    for (let index = 0; index < parts.length; index++) {
      const prefix = parts.slice(0, index + 1).join('/');
      let next: number;
      try {
        next = openAt2(this.root, prefix, O_PATH | O_DIRECTORY, IN_ROOT);
      } catch (error) {
        if (errnoOf(error) !== ENOENT) throw error;
        mkdirAt(dir, parts[index], 0o755);
        next = openAt2(dir, parts[index], O_PATH | O_DIRECTORY | O_NOFOLLOW, IN_ROOT);
      }
      if (dir !== this.root) closeSync(dir);
      dir = next;
    }
    return dir;
  }
}
