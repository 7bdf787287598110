// The libc calls mesos-containerizer makes, as a slim Node-API addon: it loads
// in well under a millisecond, where a general FFI library costs a container
// start several. Each function returns its result, or -errno on failure; the
// TypeScript side (native/libc.ts) turns that into an error naming the call.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capability.h"
#include "exec.h"
#include "fs.h"
#include "io.h"
#include "napi.h"
#include "net.h"
#include "seccomp.h"

#define FUNCTION(name) static napi_value js_##name(napi_env env, napi_callback_info info)

FUNCTION(strerror) {
  Call call = begin(env, info);
  int errnum = (int)arg_int(&call, 0);
  return string_value(env, strerror(errnum));
}

FUNCTION(mount) {
  Call call = begin(env, info);
  char *source = arg_optional_string(&call, 0), *target = arg_string(&call, 1);
  char *fstype = arg_optional_string(&call, 2);
  unsigned long flags = (unsigned long)arg_int(&call, 3);
  char *data = arg_optional_string(&call, 4);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, mount(source, target, fstype, flags, data));
  free(source), free(target), free(fstype), free(data);
  return result;
}

FUNCTION(umount2) {
  Call call = begin(env, info);
  char *target = arg_string(&call, 0);
  int flags = (int)arg_int(&call, 1);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, umount2(target, flags));
  free(target);
  return result;
}

FUNCTION(unshare) {
  Call call = begin(env, info);
  int flags = (int)arg_int(&call, 0);
  return call.failed ? bad_arguments(env) : outcome(env, unshare(flags));
}

FUNCTION(setns) {
  Call call = begin(env, info);
  int fd = (int)arg_int(&call, 0), type = (int)arg_int(&call, 1);
  return call.failed ? bad_arguments(env) : outcome(env, setns(fd, type));
}

FUNCTION(sethostname) {
  Call call = begin(env, info);
  char *name = arg_string(&call, 0);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, sethostname(name, strlen(name)));
  free(name);
  return result;
}

FUNCTION(pivot_root) {
  Call call = begin(env, info);
  char *new_root = arg_string(&call, 0), *put_old = arg_string(&call, 1);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, syscall(SYS_pivot_root, new_root, put_old));
  free(new_root), free(put_old);
  return result;
}

FUNCTION(chdir) {
  Call call = begin(env, info);
  char *path = arg_string(&call, 0);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, chdir(path));
  free(path);
  return result;
}

// getcwd(): the working directory, or -errno (glibc refuses with ENOENT one
// that is not reachable from our root).
FUNCTION(getcwd) {
  (void)info;
  char path[PATH_MAX];
  if (getcwd(path, sizeof(path)) == NULL) return number(env, -errno);
  return string_value(env, path);
}

FUNCTION(open) {
  Call call = begin(env, info);
  char *path = arg_string(&call, 0);
  int flags = (int)arg_int(&call, 1);
  mode_t mode = (mode_t)arg_int(&call, 2);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, open(path, flags, mode));
  free(path);
  return result;
}

FUNCTION(close) {
  Call call = begin(env, info);
  int fd = (int)arg_int(&call, 0);
  return call.failed ? bad_arguments(env) : outcome(env, close(fd));
}

// read(fd, bytes): one read(2) into a Uint8Array, retried on EINTR.
FUNCTION(read) {
  Call call = begin(env, info);
  int fd = (int)arg_int(&call, 0);
  size_t length = 0;
  void *data = arg_bytes(&call, 1, &length);
  return call.failed ? bad_arguments(env) : outcome(env, read_some(fd, data, length));
}

// send(2) with MSG_DONTWAIT: a write to a socket that never blocks, whatever
// mode the socket's file description (shared with other processes) is in.
FUNCTION(send_nonblocking) {
  Call call = begin(env, info);
  int fd = (int)arg_int(&call, 0);
  size_t length = 0;
  void *data = arg_bytes(&call, 1, &length);
  if (call.failed) return bad_arguments(env);
  ssize_t sent;
  do sent = send(fd, data, length, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (sent == -1 && errno == EINTR);
  return outcome(env, sent);
}

FUNCTION(fcntl) {
  Call call = begin(env, info);
  int fd = (int)arg_int(&call, 0), command = (int)arg_int(&call, 1), value = (int)arg_int(&call, 2);
  return call.failed ? bad_arguments(env) : outcome(env, fcntl(fd, command, value));
}

FUNCTION(setsid) {
  (void)info;
  return outcome(env, setsid());
}

FUNCTION(set_controlling_terminal) {
  Call call = begin(env, info);
  int fd = (int)arg_int(&call, 0);
  return call.failed ? bad_arguments(env) : outcome(env, ioctl(fd, TIOCSCTTY, 0));
}

FUNCTION(getuid) {
  (void)info;
  return number(env, getuid());
}

// getpwnam(name): {name, uid, gid, dir, shell}, null when there is no such
// user, or -errno when the lookup itself failed.
FUNCTION(getpwnam) {
  Call call = begin(env, info);
  char *name = arg_string(&call, 0);
  if (call.failed) return bad_arguments(env);
  errno = 0;
  struct passwd *entry = getpwnam(name);
  int error = errno;
  free(name);
  if (entry == NULL) {
    if (error == 0 || error == ENOENT || error == ESRCH || error == EBADF || error == EPERM) {
      napi_value null_value;
      return napi_get_null(env, &null_value) == napi_ok ? null_value : bad_arguments(env);
    }
    return number(env, -error);
  }
  napi_value object;
  if (napi_create_object(env, &object) != napi_ok ||
      !set_property(env, object, "name", string_value(env, entry->pw_name)) ||
      !set_property(env, object, "uid", number(env, entry->pw_uid)) ||
      !set_property(env, object, "gid", number(env, entry->pw_gid)) ||
      !set_property(env, object, "dir", string_value(env, entry->pw_dir ? entry->pw_dir : "")) ||
      !set_property(env, object, "shell", string_value(env, entry->pw_shell ? entry->pw_shell : ""))) {
    return bad_arguments(env);
  }
  return object;
}

// getgrouplist(user, gid): the groups as an array, or -errno.
FUNCTION(getgrouplist) {
  Call call = begin(env, info);
  char *user = arg_string(&call, 0);
  gid_t gid = (gid_t)arg_int(&call, 1);
  if (call.failed) {
    free(user);
    return bad_arguments(env);
  }
  int count = 64;
  gid_t *groups = NULL;
  for (;;) {
    gid_t *grown = realloc(groups, (size_t)count * sizeof(gid_t));
    if (grown == NULL) {
      free(groups), free(user);
      return number(env, -ENOMEM);
    }
    groups = grown;
    int capacity = count;
    if (getgrouplist(user, gid, groups, &count) != -1) break;
    if (count <= capacity) count = capacity * 2;
  }
  napi_value array;
  bool made = napi_create_array_with_length(env, (size_t)count, &array) == napi_ok;
  for (int i = 0; made && i < count; i++) made = set_element(env, array, (uint32_t)i, number(env, groups[i]));
  free(groups), free(user);
  return made ? array : bad_arguments(env);
}

FUNCTION(prctl) {
  Call call = begin(env, info);
  int option = (int)arg_int(&call, 0);
  unsigned long args[4] = {0};
  for (size_t i = 0; i < 4 && i + 1 < call.argc; i++) args[i] = (unsigned long)arg_int(&call, i + 1);
  return call.failed ? bad_arguments(env) : outcome(env, prctl(option, args[0], args[1], args[2], args[3]));
}

// capget(): [effective, permitted, inheritable] as 64-bit BigInts, or -errno.
FUNCTION(capget) {
  (void)info;
  uint64_t effective, permitted, inheritable;
  if (capget_sets(&effective, &permitted, &inheritable) != 0) return number(env, -errno);
  napi_value array;
  if (napi_create_array_with_length(env, 3, &array) != napi_ok || !set_element(env, array, 0, bigint(env, effective)) ||
      !set_element(env, array, 1, bigint(env, permitted)) || !set_element(env, array, 2, bigint(env, inheritable))) {
    return bad_arguments(env);
  }
  return array;
}

FUNCTION(install_exit_handlers) {
  Call call = begin(env, info);
  int status_fd = (int)arg_int(&call, 0), notify_fd = (int)arg_int(&call, 1);
  return call.failed ? bad_arguments(env) : outcome(env, mc_install_exit_handlers(status_fd, notify_fd));
}

// exec(path, argv, envp, keepFds, exeFd): returns -errno only if the exec
// failed. With exeFd >= 0 the program is that open file (execveat).
FUNCTION(exec) {
  Call call = begin(env, info);
  char *path = arg_string(&call, 0);
  char **argv = arg_strings(&call, 1), **envp = arg_strings(&call, 2);
  int exe_fd = (int)arg_int(&call, 4);
  int keep_fds[8];
  uint32_t keep_count = arg_length(&call, 3, 8);
  for (uint32_t i = 0; i < keep_count; i++) {
    Call one = element_of(env, call.argv[3], i);
    keep_fds[i] = (int)arg_int(&one, 0);
    if (one.failed) call.failed = 1;
  }
  napi_value result;
  if (call.failed) {
    result = bad_arguments(env);
  } else {
    mc_exec(exe_fd, path, argv, envp, keep_fds, (int)keep_count);
    result = number(env, -errno);
  }
  free(path), free_strings(argv), free_strings(envp);
  return result;
}

// sealed_data(name, bytes): a sealed, read-only memfd holding the bytes of
// a Uint8Array, or -errno.
FUNCTION(sealed_data) {
  Call call = begin(env, info);
  char *name = arg_string(&call, 0);
  size_t length = 0;
  void *data = arg_bytes(&call, 1, &length);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, mc_sealed_data(name, data, length));
  free(name);
  return result;
}

// sealed_copy(path): a sealed, read-only in-memory copy of an executable, so
// that a process inside a container can't rewrite the file through
// /proc/<pid>/exe of the process that waits for it.
FUNCTION(sealed_copy) {
  Call call = begin(env, info);
  char *path = arg_string(&call, 0);
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, mc_sealed_copy(path));
  free(path);
  return result;
}

// One [name, action, comparisons] of seccomp_export into *rule; comparisons is
// a flat array of BigInts, four per comparison: index, op, value, valueTwo.
static int read_seccomp_rule(napi_env env, napi_value tuple, mc_seccomp_rule *rule) {
  Call call = {.env = env, .argc = 3};
  for (uint32_t i = 0; i < 3; i++) {
    if (napi_get_element(env, tuple, i, &call.argv[i]) != napi_ok) return -1;
  }
  rule->name = arg_string(&call, 0);
  rule->action = (uint32_t)arg_int(&call, 1);
  uint32_t length = arg_length(&call, 2, 256);
  if (call.failed || length % 4 != 0) return -1;
  mc_seccomp_comparison *comparisons = calloc(length / 4 + 1, sizeof *comparisons);
  if (comparisons == NULL) return -1;
  rule->comparisons = comparisons;
  rule->comparison_count = length / 4;
  for (uint32_t i = 0; i < length; i++) {
    Call one = element_of(env, call.argv[2], i);
    uint64_t value = arg_u64(&one, 0);
    if (one.failed) return -1;
    mc_seccomp_comparison *comparison = &comparisons[i / 4];
    switch (i % 4) {
      case 0: comparison->index = (uint32_t)value; break;
      case 1: comparison->op = (uint32_t)value; break;
      case 2: comparison->value = value; break;
      default: comparison->value_two = value; break;
    }
  }
  return 0;
}

// The whole content of `fd` from offset 0 as a Uint8Array, or -errno.
static napi_value read_whole(napi_env env, int fd) {
  off_t size = lseek(fd, 0, SEEK_END);
  if (size < 0 || lseek(fd, 0, SEEK_SET) != 0) return number(env, -errno);
  void *data = NULL;
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, (size_t)size, &data, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_uint8_array, (size_t)size, buffer, 0, &array) != napi_ok) {
    return number(env, -ENOMEM);
  }
  size_t done = 0;
  while (done < (size_t)size) {
    ssize_t n = read_some(fd, (char *)data + done, (size_t)size - done);
    if (n <= 0) return number(env, n < 0 ? -errno : -EIO);
    done += (size_t)n;
  }
  return array;
}

// seccomp_export(defaultAction, architectures, rules): builds a filter
// through libseccomp and returns its BPF program as a Uint8Array (see
// seccomp.h); -errno for bad arguments or a failed memfd, or [result, stage,
// index, libraryError] when libseccomp fails.
FUNCTION(seccomp_export) {
  Call call = begin(env, info);
  uint32_t default_action = (uint32_t)arg_int(&call, 0);
  uint32_t architecture_count = arg_length(&call, 1, 64), rule_count = arg_length(&call, 2, 65536);
  if (call.failed) return bad_arguments(env);
  uint32_t *architectures = calloc(architecture_count + 1, sizeof *architectures);
  mc_seccomp_rule *rules = calloc(rule_count + 1, sizeof *rules);
  int bad = architectures == NULL || rules == NULL;
  for (uint32_t i = 0; !bad && i < architecture_count; i++) {
    Call one = element_of(env, call.argv[1], i);
    architectures[i] = (uint32_t)arg_int(&one, 0);
    bad = one.failed;
  }
  for (uint32_t i = 0; !bad && i < rule_count; i++) {
    napi_value tuple;
    bad = napi_get_element(env, call.argv[2], i, &tuple) != napi_ok || read_seccomp_rule(env, tuple, &rules[i]) != 0;
  }
  napi_value result;
  int fd = -1;
  if (bad) {
    result = bad_arguments(env);
  } else {
    mc_seccomp_filter filter = {
        .default_action = default_action,
        .architecture_count = architecture_count,
        .architectures = architectures,
        .rule_count = rule_count,
        .rules = rules,
    };
    mc_seccomp_where where = {0, 0};
    fd = memfd_create("seccomp-filter", MFD_CLOEXEC);
    int code = fd < 0 ? -errno : mc_seccomp_export(&filter, &where, fd);
    if (fd < 0) {
      result = number(env, code);
    } else if (code == 0) {
      result = read_whole(env, fd);
    } else if (napi_create_array_with_length(env, 4, &result) != napi_ok ||
               !set_element(env, result, 0, number(env, code)) ||
               !set_element(env, result, 1, number(env, where.stage)) ||
               !set_element(env, result, 2, number(env, (double)where.index)) ||
               !set_element(env, result, 3, string_value(env, mc_seccomp_library_error()))) {
      result = bad_arguments(env);
    }
  }
  for (uint32_t i = 0; rules != NULL && i < rule_count; i++) {
    free((void *)rules[i].name), free((void *)rules[i].comparisons);
  }
  free(architectures), free(rules);
  if (fd >= 0) close(fd);
  return result;
}

#define EXPORT(name) {#name, NULL, js_##name, NULL, NULL, NULL, napi_enumerable, NULL}

NAPI_MODULE_INIT() {
  napi_property_descriptor functions[] = {
      EXPORT(strerror), EXPORT(mount), EXPORT(umount2), EXPORT(unshare), EXPORT(setns),
      EXPORT(sethostname), EXPORT(pivot_root), EXPORT(chdir), EXPORT(getcwd), EXPORT(open), EXPORT(close),
      EXPORT(read), EXPORT(send_nonblocking), EXPORT(fcntl), EXPORT(setsid), EXPORT(set_controlling_terminal), EXPORT(getuid),
      EXPORT(getpwnam), EXPORT(getgrouplist), EXPORT(prctl), EXPORT(capget), EXPORT(install_exit_handlers),
      EXPORT(exec), EXPORT(sealed_copy), EXPORT(sealed_data), EXPORT(seccomp_export),
      EXPORT(open_in_root), EXPORT(fstat), EXPORT(mkdirat), EXPORT(create_file_at), EXPORT(symlinkat),
      EXPORT(renameat2), EXPORT(move_by_copy), EXPORT(apply_layer), EXPORT(remove_tree), EXPORT(mknod_at), EXPORT(open_tree), EXPORT(move_mount),
      EXPORT(mount_setattr), EXPORT(fstatfs_flags), EXPORT(fchdir),
      EXPORT(fchownat_nofollow), EXPORT(utimensat_nofollow), EXPORT(link_in_root), EXPORT(fsetxattr), EXPORT(remove_at),
      EXPORT(net_openat), EXPORT(net_openat2), EXPORT(net_unlinkat), EXPORT(net_loopback_up),
  };
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  return exports;
}
