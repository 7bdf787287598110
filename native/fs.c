// Filesystem calls of the addon that act on file descriptors. A path under a
// root filesystem is opened by the kernel (openat2 with RESOLVE_IN_ROOT), so
// symlinks and ".." can't lead out of it, and every change is then made on
// the fd it gave, so no name is resolved twice. Like addon.c, each function
// returns its result or -errno; the wrappers are in native/libc.ts.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs.h"
#include "io.h"
#include "napi.h"

// The numbers are the same on every architecture for calls this recent.
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

// linux/mount.h's struct mount_attr, which older headers lack (and which
// clashes with glibc's sys/mount.h).
struct mc_mount_attr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};

// Retries of open_in_root's openat2 calls (see mc_openat2).
#define OPENAT2_RETRIES 256
// How deep a copy across filesystems goes (each level holds two fds).
#define COPY_DEPTH_MAX 128

// ---------------------------------------------------------------- opening

int mc_openat2(int dirfd, const char *path, const struct mc_open_how *how, int retries) {
  for (int attempt = 0;; attempt++) {
    int fd = (int)syscall(SYS_openat2, dirfd, path, how, sizeof *how);
    if (fd >= 0 || (errno != EAGAIN && errno != EINTR) || attempt >= retries) return fd;
  }
}

// open_in_root(root, path, follow): an O_PATH fd on `path` resolved inside
// `root`: a directory path, opened afresh here and refused if any of it is a
// symlink (an fd opened before a mount on it would stay under the mount),
// or a directory fd the caller holds. Symlinks resolve as inside the root,
// ".." stops at it, magic links (/proc/<pid>/fd/N) are refused; with
// `follow` 0, a final symlink is opened itself.
FS_FUNCTION(open_in_root) {
  Call call = begin(env, info);
  int root_fd = -1, owned = 0;
  if (arg_is_number(&call, 0)) {
    root_fd = (int)arg_int(&call, 0);
  } else {
    char *root = arg_path(&call, 0);
    if (root == NULL) return bad_arguments(env);
    struct mc_open_how how = {
        .flags = O_PATH | O_CLOEXEC | O_DIRECTORY,
        .resolve = MC_RESOLVE_NO_SYMLINKS | MC_RESOLVE_NO_MAGICLINKS,
    };
    root_fd = mc_openat2(AT_FDCWD, root, &how, OPENAT2_RETRIES);
    free(root);
    if (root_fd < 0) return number(env, -errno);
    owned = 1;
  }
  char *path = arg_path(&call, 1);
  int follow = (int)arg_int(&call, 2);
  int fd = -1, error = EINVAL;
  if (!call.failed) {
    struct mc_open_how how = {
        .flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW),
        .resolve = MC_RESOLVE_IN_ROOT | MC_RESOLVE_NO_MAGICLINKS,
    };
    fd = mc_openat2(root_fd, path, &how, OPENAT2_RETRIES);
    error = errno;
  }
  if (owned) close(root_fd);
  free(path);
  return number(env, fd >= 0 ? fd : -error);
}

// fstat(fd): [st_dev, st_ino] as BigInts and st_mode.
FS_FUNCTION(fstat) {
  Call call = begin(env, info);
  int fd = arg_fd(&call, 0);
  if (call.failed || fd == AT_FDCWD) return bad_arguments(env);
  struct stat st;
  if (fstat(fd, &st) != 0) return number(env, -errno);
  napi_value array;
  if (napi_create_array_with_length(env, 3, &array) != napi_ok ||
      !set_element(env, array, 0, bigint(env, (uint64_t)st.st_dev)) ||
      !set_element(env, array, 1, bigint(env, (uint64_t)st.st_ino)) || !set_element(env, array, 2, number(env, st.st_mode))) {
    return bad_arguments(env);
  }
  return array;
}

// ------------------------------------------------------- making entries

FS_FUNCTION(mkdirat) {
  Call call = begin(env, info);
  int dirfd = (int)arg_int(&call, 0);
  char *name = arg_path(&call, 1);
  mode_t mode = (mode_t)arg_int(&call, 2);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, mkdirat(dirfd, name, mode));
  free(name);
  return result;
}

// create_file_at(dirfd, name, mode): a new empty file; an existing entry,
// a symlink included, is EEXIST.
FS_FUNCTION(create_file_at) {
  Call call = begin(env, info);
  int dirfd = (int)arg_int(&call, 0);
  char *name = arg_path(&call, 1);
  mode_t mode = (mode_t)arg_int(&call, 2);
  napi_value result;
  if (call.failed) {
    result = bad_arguments(env);
  } else {
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, mode);
    result = fd == -1 ? number(env, -errno) : number(env, 0);
    if (fd != -1) close(fd);
  }
  free(name);
  return result;
}

FS_FUNCTION(symlinkat) {
  Call call = begin(env, info);
  char *text = arg_path(&call, 0);
  int dirfd = (int)arg_int(&call, 1);
  char *name = arg_path(&call, 2);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, symlinkat(text, dirfd, name));
  free(text), free(name);
  return result;
}

FS_FUNCTION(renameat2) {
  Call call = begin(env, info);
  int old_dir = (int)arg_int(&call, 0);
  char *old_name = arg_path(&call, 1);
  int new_dir = (int)arg_int(&call, 2);
  char *new_name = arg_path(&call, 3);
  unsigned flags = (unsigned)arg_int(&call, 4);
  napi_value result = call.failed ? bad_arguments(env)
                                  : outcome(env, syscall(SYS_renameat2, old_dir, old_name, new_dir, new_name, flags));
  free(old_name), free(new_name);
  return result;
}

// An O_PATH fd on the entry `name` of `dirfd`, not followed, and its stat
// in *st; EEXIST unless it is (still) of `type` (S_IFMT bits). An fd, or -1
// with errno.
static int open_entry(int dirfd, const char *name, mode_t type, struct stat *st) {
  int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd == -1) return -1;
  int result = fstat(fd, st);
  if (result == 0 && (st->st_mode & S_IFMT) != type) {
    errno = EEXIST;
    result = -1;
  }
  if (result == 0) return fd;
  close_keeping_errno(fd);
  return -1;
}

// Sets the mode of the entry `name` of `dirfd` without following it: through
// an O_PATH fd, which must still be of `type` (S_IFMT bits).
static int chmod_entry(int dirfd, const char *name, mode_t type, mode_t mode) {
  struct stat st;
  int fd = open_entry(dirfd, name, type, &st);
  if (fd == -1) return -1;
  int result = 0;
  if ((st.st_mode & 07777) != (mode & 07777)) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    result = chmod(proc, mode & 07777);
  }
  close_keeping_errno(fd);
  return result;
}

// mknod_at(dirfd, name, mode, major, minor): a device node whose mode is
// exactly `mode`, whatever our umask.
FS_FUNCTION(mknod_at) {
  Call call = begin(env, info);
  int dirfd = (int)arg_int(&call, 0);
  char *name = arg_path(&call, 1);
  mode_t mode = (mode_t)arg_int(&call, 2);
  unsigned major_number = (unsigned)arg_int(&call, 3), minor_number = (unsigned)arg_int(&call, 4);
  napi_value result;
  if (call.failed) {
    result = bad_arguments(env);
  } else if (mknodat(dirfd, name, mode, makedev(major_number, minor_number)) == -1) {
    result = number(env, -errno);
  } else {
    result = outcome(env, chmod_entry(dirfd, name, mode & S_IFMT, mode));
  }
  free(name);
  return result;
}

// ------------------------------------------------ rename across filesystems

static int copy_entry(int src_dir, const char *src_name, int dst_dir, const char *dst_name, int depth, int *created);

// Owner, then mode (chown clears set-id bits), then times, of an open fd.
static int finish_fd(int fd, const struct stat *st) {
  struct timespec times[2] = {st->st_atim, st->st_mtim};
  if (fchown(fd, st->st_uid, st->st_gid) == -1 || fchmod(fd, st->st_mode & 07777) == -1) return -1;
  return futimens(fd, times);
}

// Extended attributes of an open fd onto another (file capabilities,
// ACLs, ...), but overlayfs's own trusted.overlay.* marks, which describe a
// layer, not its files. A filesystem without them is not an error.
static int copy_xattrs(int from, int to) {
  static char names[65536], value[65536];
  ssize_t length = flistxattr(from, names, sizeof names);
  if (length < 0) return errno == ENOTSUP ? 0 : -1;
  for (char *name = names; name < names + length; name += strlen(name) + 1) {
    if (strncmp(name, "trusted.overlay.", 16) == 0) continue;
    ssize_t size = fgetxattr(from, name, value, sizeof value);
    if (size < 0) return -1;
    if (fsetxattr(to, name, value, (size_t)size, 0) == -1 && errno != ENOTSUP) return -1;
  }
  return 0;
}

static int copy_directory(int src_dir, const char *src_name, int dst_dir, const char *dst_name, const struct stat *st,
                          int depth) {
  int source = openat(src_dir, src_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (source == -1) return -1;
  int target = openat(dst_dir, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *listing = target == -1 ? NULL : fdopendir(source);
  if (listing == NULL) {
    close_keeping_errno(source);
    if (target != -1) close_keeping_errno(target);
    return -1;
  }
  int result = 0;
  for (struct dirent *entry; result == 0 && (errno = 0, entry = readdir(listing)) != NULL;) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    int inner = 0;
    result = copy_entry(dirfd(listing), entry->d_name, target, entry->d_name, depth + 1, &inner);
  }
  if (result == 0 && errno != 0) result = -1;
  if (result == 0) result = finish_fd(target, st);
  int error = errno;
  closedir(listing);
  close(target);
  errno = error;
  return result;
}

// Copies the entry `src_name` of `src_dir` to `dst_name` of `dst_dir`, which
// must not exist: never following a symlink, every step on a directory fd,
// keeping owner, mode and times. *created says whether dst_name was made.
static int copy_entry(int src_dir, const char *src_name, int dst_dir, const char *dst_name, int depth, int *created) {
  struct stat st;
  if (depth > COPY_DEPTH_MAX) {
    errno = ELOOP;
    return -1;
  }
  if (fstatat(src_dir, src_name, &st, AT_SYMLINK_NOFOLLOW) == -1) return -1;
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  switch (st.st_mode & S_IFMT) {
    case S_IFLNK: {
      char text[PATH_MAX + 1];
      ssize_t length = readlinkat(src_dir, src_name, text, PATH_MAX);
      if (length < 0) return -1;
      text[length] = '\0';
      if (symlinkat(text, dst_dir, dst_name) == -1) return -1;
      *created = 1;
      if (fchownat(dst_dir, dst_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) == -1) return -1;
      return utimensat(dst_dir, dst_name, times, AT_SYMLINK_NOFOLLOW);
    }
    case S_IFREG: {
      int source = openat(src_dir, src_name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
      if (source == -1) return -1;
      int target = openat(dst_dir, dst_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
      if (target != -1) *created = 1;
      int result = target == -1 ? -1 : copy_all(source, target);
      if (result == 0) result = finish_fd(target, &st);
      // After the owner: chown drops a file's capabilities.
      if (result == 0) result = copy_xattrs(source, target);
      close_keeping_errno(source);
      if (target != -1) close_keeping_errno(target);
      return result;
    }
    case S_IFDIR:
      if (mkdirat(dst_dir, dst_name, 0700) == -1) return -1;
      *created = 1;
      return copy_directory(src_dir, src_name, dst_dir, dst_name, &st, depth);
    default: {
      // Devices, fifos and sockets: a new node of the same kind.
      if (mknodat(dst_dir, dst_name, (st.st_mode & S_IFMT) | 0600, st.st_rdev) == -1) return -1;
      *created = 1;
      struct stat made;
      int fd = open_entry(dst_dir, dst_name, st.st_mode & S_IFMT, &made);
      if (fd == -1) return -1;
      char proc[64];
      snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
      int result = fchownat(fd, "", st.st_uid, st.st_gid, AT_EMPTY_PATH);
      if (result == 0) result = chmod(proc, st.st_mode & 07777);
      if (result == 0) result = utimensat(AT_FDCWD, proc, times, 0);
      close_keeping_errno(fd);
      return result;
    }
  }
}

// Removes the entry `name` of `dir` and, for a directory, all it holds,
// without following a symlink or entering another filesystem.
static int remove_entry(int dir, const char *name, int depth) {
  struct stat st;
  if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == -1) return -1;
  if (!S_ISDIR(st.st_mode)) return unlinkat(dir, name, 0);
  if (depth > COPY_DEPTH_MAX) {
    errno = ELOOP;
    return -1;
  }
  // A filesystem mounted there is not ours to empty.
  struct stat here;
  if (fstat(dir, &here) == -1) return -1;
  if (here.st_dev != st.st_dev) {
    errno = EXDEV;
    return -1;
  }
  int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *listing = fd == -1 ? NULL : fdopendir(fd);
  if (listing == NULL) {
    if (fd != -1) close(fd);
    return -1;
  }
  int result = 0;
  for (struct dirent *entry; result == 0 && (errno = 0, entry = readdir(listing)) != NULL;) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    result = remove_entry(dirfd(listing), entry->d_name, depth + 1);
  }
  if (result == 0 && errno != 0) result = -1;
  int error = errno;
  closedir(listing);
  errno = error;
  return result == 0 ? unlinkat(dir, name, AT_REMOVEDIR) : -1;
}

// ------------------------------------------------ layers, for the copy backend

// An O_DIRECTORY fd on the agent's own absolute `path`, refused if any of
// it is a symlink: a layer's or a rootfs's place is never looked up through
// a link. An fd, or -1 with errno.
static int open_own_directory(const char *path) {
  struct mc_open_how how = {
      .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
      .resolve = MC_RESOLVE_NO_SYMLINKS | MC_RESOLVE_NO_MAGICLINKS,
  };
  return mc_openat2(AT_FDCWD, path, &how, OPENAT2_RETRIES);
}

// Whether the open directory carries overlayfs's opaque mark.
static int is_opaque(int fd) {
  char value[2];
  ssize_t length = fgetxattr(fd, "trusted.overlay.opaque", value, sizeof value);
  return length == 1 && value[0] == 'y';
}

// Removes `name` of `dir` (all it holds too), if it is there.
static int remove_if_there(int dir, const char *name) {
  if (remove_entry(dir, name, 0) == 0 || errno == ENOENT) return 0;
  return -1;
}

// Lays the directory `source` (an open fd) over `target` (an open fd) as
// overlayfs would show the one above the other: a 0:0 character device
// removes what it names, an opaque directory replaces what was there, a
// directory meets a directory, anything else replaces what it meets.
// Nothing is followed: each entry is looked at and made through the
// directory fds, and a symlink of either tree stays a symlink. The
// directory's owner, mode and times become the source's.
static int apply_directory(int source, int target, const struct stat *st, int depth) {
  if (depth > COPY_DEPTH_MAX) {
    errno = ELOOP;
    return -1;
  }
  int listed = dup(source);
  DIR *listing = listed == -1 ? NULL : fdopendir(listed);
  if (listing == NULL) {
    if (listed != -1) close_keeping_errno(listed);
    return -1;
  }
  int result = 0;
  for (struct dirent *entry; result == 0 && (errno = 0, entry = readdir(listing)) != NULL;) {
    const char *name = entry->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    struct stat entry_st, below;
    if (fstatat(source, name, &entry_st, AT_SYMLINK_NOFOLLOW) == -1) {
      result = -1;
      break;
    }
    if (S_ISCHR(entry_st.st_mode) && entry_st.st_rdev == makedev(0, 0)) {
      result = remove_if_there(target, name);
      continue;
    }
    int there = fstatat(target, name, &below, AT_SYMLINK_NOFOLLOW) == 0;
    if (!there && errno != ENOENT) {
      result = -1;
      break;
    }
    if (!S_ISDIR(entry_st.st_mode)) {
      int created = 0;
      if (there && remove_entry(target, name, 0) == -1) result = -1;
      if (result == 0) result = copy_entry(source, name, target, name, depth + 1, &created);
      continue;
    }
    int inner = openat(source, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (inner == -1) {
      result = -1;
      break;
    }
    if (there && (!S_ISDIR(below.st_mode) || is_opaque(inner))) {
      if (remove_entry(target, name, 0) == -1) result = -1;
      there = 0;
    }
    if (result == 0 && !there && mkdirat(target, name, 0700) == -1) result = -1;
    int inner_target = result == 0 ? openat(target, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (result == 0 && inner_target == -1) result = -1;
    if (result == 0) result = apply_directory(inner, inner_target, &entry_st, depth + 1);
    close_keeping_errno(inner);
    if (inner_target != -1) close_keeping_errno(inner_target);
  }
  if (result == 0 && errno != 0) result = -1;
  int error = errno;
  closedir(listing);
  errno = error;
  if (result == 0) result = finish_fd(target, st);
  return result == 0 ? copy_xattrs(source, target) : -1;
}

// apply_layer(layer, rootfs): lays the layer directory over the rootfs
// directory (both the agent's own absolute paths), whiteouts honoured.
FS_FUNCTION(apply_layer) {
  Call call = begin(env, info);
  char *layer = arg_path(&call, 0);
  char *rootfs = arg_path(&call, 1);
  if (call.failed) {
    free(layer), free(rootfs);
    return bad_arguments(env);
  }
  int source = open_own_directory(layer);
  int target = source == -1 ? -1 : open_own_directory(rootfs);
  int result = target == -1 ? -1 : 0;
  struct stat st;
  if (result == 0) result = fstat(source, &st);
  if (result == 0) result = apply_directory(source, target, &st, 0);
  int error = errno;
  if (source != -1) close(source);
  if (target != -1) close(target);
  errno = error;
  free(layer), free(rootfs);
  return outcome(env, result);
}

// remove_tree(directory, name): removes the entry `name` of the agent's own
// `directory` and all it holds, through directory fds, following no link and
// entering no other filesystem (EXDEV); nothing there is not an error.
FS_FUNCTION(remove_tree) {
  Call call = begin(env, info);
  char *directory = arg_path(&call, 0);
  char *name = arg_path(&call, 1);
  if (call.failed || strchr(name, '/') != NULL) {
    free(directory), free(name);
    return bad_arguments(env);
  }
  int dir = open_own_directory(directory);
  int result = dir == -1 ? (errno == ENOENT ? 0 : -1) : remove_if_there(dir, name);
  if (dir != -1) close_keeping_errno(dir);
  free(directory), free(name);
  return outcome(env, result);
}

// move_by_copy(oldDir, oldName, newDir, newName): rename(2) for when the
// two are on different filesystems: what `mv` does (copy, then remove the
// original), but through the directory fds, never following a symlink, so
// that a name swapped meanwhile can't lead it anywhere else. An existing
// target is replaced as rename(2) would: a directory only by a directory,
// and only when empty.
FS_FUNCTION(move_by_copy) {
  Call call = begin(env, info);
  int old_dir = (int)arg_int(&call, 0);
  char *old_name = arg_path(&call, 1);
  int new_dir = (int)arg_int(&call, 2);
  char *new_name = arg_path(&call, 3);
  if (call.failed) {
    free(old_name), free(new_name);
    return bad_arguments(env);
  }
  int result = 0;
  struct stat source, target;
  if (fstatat(old_dir, old_name, &source, AT_SYMLINK_NOFOLLOW) == -1) {
    result = -1;
  } else if (fstatat(new_dir, new_name, &target, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(target.st_mode) != S_ISDIR(source.st_mode)) {
      errno = S_ISDIR(target.st_mode) ? EISDIR : ENOTDIR;
      result = -1;
    } else {
      result = unlinkat(new_dir, new_name, S_ISDIR(target.st_mode) ? AT_REMOVEDIR : 0);
    }
  }
  if (result == 0) {
    int created = 0;
    result = copy_entry(old_dir, old_name, new_dir, new_name, 0, &created);
    if (result == -1 && created) {
      // Leave no half copy behind.
      int error = errno;
      remove_entry(new_dir, new_name, 0);
      errno = error;
    }
  }
  if (result == 0) result = remove_entry(old_dir, old_name, 0);
  napi_value value = outcome(env, result);
  free(old_name), free(new_name);
  return value;
}

// ---------------------------------------------------------------- mounts

// open_tree(dirfd, path, flags): a mount (with OPEN_TREE_CLONE, a detached
// copy of it) as an fd.
FS_FUNCTION(open_tree) {
  Call call = begin(env, info);
  int dirfd = (int)arg_int(&call, 0);
  char *path = arg_path(&call, 1);
  unsigned flags = (unsigned)arg_int(&call, 2);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, syscall(SYS_open_tree, dirfd, path, flags));
  free(path);
  return result;
}

FS_FUNCTION(move_mount) {
  Call call = begin(env, info);
  int from_dir = (int)arg_int(&call, 0);
  char *from_path = arg_path(&call, 1);
  int to_dir = (int)arg_int(&call, 2);
  char *to_path = arg_path(&call, 3);
  unsigned flags = (unsigned)arg_int(&call, 4);
  napi_value result = call.failed
                          ? bad_arguments(env)
                          : outcome(env, syscall(SYS_move_mount, from_dir, from_path, to_dir, to_path, flags));
  free(from_path), free(to_path);
  return result;
}

// mount_setattr(dirfd, path, flags, set, clear, propagation).
FS_FUNCTION(mount_setattr) {
  Call call = begin(env, info);
  int dirfd = (int)arg_int(&call, 0);
  char *path = arg_path(&call, 1);
  unsigned flags = (unsigned)arg_int(&call, 2);
  struct mc_mount_attr attr = {
      .attr_set = (uint64_t)arg_int(&call, 3),
      .attr_clr = (uint64_t)arg_int(&call, 4),
      .propagation = (uint64_t)arg_int(&call, 5),
  };
  napi_value result = call.failed ? bad_arguments(env)
                                  : outcome(env, syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof attr));
  free(path);
  return result;
}

// fstatfs_flags(fd): f_flags (ST_RDONLY, ST_NOSUID, ...) of the mount the fd is on.
FS_FUNCTION(fstatfs_flags) {
  Call call = begin(env, info);
  int fd = (int)arg_int(&call, 0);
  if (call.failed) return bad_arguments(env);
  struct statfs st;
  if (fstatfs(fd, &st) == -1) return number(env, -errno);
  return number(env, (double)st.f_flags);
}

FS_FUNCTION(fchdir) {
  Call call = begin(env, info);
  int fd = (int)arg_int(&call, 0);
  return call.failed ? bad_arguments(env) : outcome(env, fchdir(fd));
}

// ---------------------------------------------------------------- layers
// Entries of an image layer are made relative to a directory fd of the
// layer: the caller opens the parent with open_in_root (or openat2 with
// RESOLVE_IN_ROOT), and these act on one name in it, never following it.

// fchownat_nofollow(dirfd, name, uid, gid): the owner of the entry itself.
FS_FUNCTION(fchownat_nofollow) {
  Call call = begin(env, info);
  int dirfd = (int)arg_int(&call, 0);
  char *name = arg_path(&call, 1);
  uid_t uid = (uid_t)arg_int(&call, 2);
  gid_t gid = (gid_t)arg_int(&call, 3);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW));
  free(name);
  return result;
}

// utimensat_nofollow(dirfd, name, seconds, nanoseconds): atime and mtime of
// the entry itself (a symlink's own times too).
FS_FUNCTION(utimensat_nofollow) {
  Call call = begin(env, info);
  int dirfd = (int)arg_int(&call, 0);
  char *name = arg_path(&call, 1);
  struct timespec time = {.tv_sec = (time_t)arg_int(&call, 2), .tv_nsec = (long)arg_int(&call, 3)};
  struct timespec times[2] = {time, time};
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW));
  free(name);
  return result;
}

// link_in_root(root, target, dirfd, name): a hard link `name` in `dirfd` to
// the entry `target` resolved inside the directory fd `root` (symlinks as
// inside it, ".." stopping at it, magic links refused, a final symlink
// linked itself), so that no link can reach a file outside the root.
FS_FUNCTION(link_in_root) {
  Call call = begin(env, info);
  int root_fd = (int)arg_int(&call, 0);
  char *target = arg_path(&call, 1);
  int dirfd = (int)arg_int(&call, 2);
  char *name = arg_path(&call, 3);
  napi_value result;
  if (call.failed) {
    result = bad_arguments(env);
  } else {
    struct mc_open_how how = {
        .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
        .resolve = MC_RESOLVE_IN_ROOT | MC_RESOLVE_NO_MAGICLINKS,
    };
    int fd = mc_openat2(root_fd, target, &how, OPENAT2_RETRIES);
    if (fd == -1) {
      result = number(env, -errno);
    } else {
      result = outcome(env, linkat(fd, "", dirfd, name, AT_EMPTY_PATH));
      close(fd);
    }
  }
  free(target), free(name);
  return result;
}

// fsetxattr(fd, name, value): an extended attribute of an open file.
FS_FUNCTION(fsetxattr) {
  Call call = begin(env, info);
  int fd = arg_fd(&call, 0);
  char *name = arg_string(&call, 1);
  size_t length = 0;
  void *bytes = arg_bytes(&call, 2, &length);
  napi_value result = call.failed || fd == AT_FDCWD ? bad_arguments(env) : outcome(env, fsetxattr(fd, name, bytes, length, 0));
  free(name);
  return result;
}

// remove_at(dirfd, name): removes the entry and, for a directory, all it
// holds, never following a symlink.
FS_FUNCTION(remove_at) {
  Call call = begin(env, info);
  int dirfd = (int)arg_int(&call, 0);
  char *name = arg_path(&call, 1);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, remove_entry(dirfd, name, 0));
  free(name);
  return result;
}
