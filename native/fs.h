// Filesystem calls on file descriptors (fs.c): paths under a root are
// resolved by the kernel (openat2 with RESOLVE_IN_ROOT), and every change is
// made through a directory fd, so nothing is resolved twice.
#ifndef MESOS_CONTAINERIZER_FS_H
#define MESOS_CONTAINERIZER_FS_H

#include <node_api.h>

#define FS_FUNCTION(name) napi_value js_##name(napi_env env, napi_callback_info info)

FS_FUNCTION(open_in_root);
FS_FUNCTION(fstat_mode);
FS_FUNCTION(mkdirat);
FS_FUNCTION(create_file_at);
FS_FUNCTION(symlinkat);
FS_FUNCTION(renameat2);
FS_FUNCTION(move_by_copy);
FS_FUNCTION(mknod_at);
FS_FUNCTION(open_tree);
FS_FUNCTION(move_mount);
FS_FUNCTION(mount_setattr);
FS_FUNCTION(fstatfs_flags);
FS_FUNCTION(fchdir);


#endif
