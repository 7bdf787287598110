// Filesystem calls on file descriptors (fs.c): paths under a root are
// resolved by the kernel (openat2 with RESOLVE_IN_ROOT), and every change is
// made through a directory fd, so nothing is resolved twice.
#ifndef MESOS_CONTAINERIZER_FS_H
#define MESOS_CONTAINERIZER_FS_H

#include <node_api.h>
#include <stdint.h>

// linux/openat2.h's struct open_how, which older headers lack.
struct mc_open_how {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
#define MC_RESOLVE_NO_MAGICLINKS 0x02
#define MC_RESOLVE_NO_SYMLINKS 0x04
#define MC_RESOLVE_IN_ROOT 0x10

// openat2, tried again up to `retries` times while the kernel asks for it:
// EAGAIN when a rename or mount raced with a confined lookup (bounded, so
// that a hostile loop can't stall us forever), or EINTR. An fd, or -1 with
// errno.
int mc_openat2(int dirfd, const char *path, const struct mc_open_how *how, int retries);

#define FS_FUNCTION(name) napi_value js_##name(napi_env env, napi_callback_info info)

FS_FUNCTION(open_in_root);
FS_FUNCTION(fstat);
FS_FUNCTION(mkdirat);
FS_FUNCTION(create_file_at);
FS_FUNCTION(symlinkat);
FS_FUNCTION(renameat2);
FS_FUNCTION(remove_tree);
FS_FUNCTION(move_by_copy);
FS_FUNCTION(apply_layer);
FS_FUNCTION(mknod_at);
FS_FUNCTION(open_tree);
FS_FUNCTION(move_mount);
FS_FUNCTION(mount_setattr);
FS_FUNCTION(fstatfs_flags);
FS_FUNCTION(fchdir);
FS_FUNCTION(fchownat_nofollow);
FS_FUNCTION(utimensat_nofollow);
FS_FUNCTION(link_in_root);
FS_FUNCTION(fsetxattr);
FS_FUNCTION(remove_at);

#endif
