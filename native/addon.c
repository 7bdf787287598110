// The libc calls mesos-containerizer makes, as a slim Node-API addon: it loads
// in well under a millisecond, where a general FFI library costs a container
// start several. Each function returns its result, or -errno on failure; the
// TypeScript side (native/libc.ts) turns that into an error naming the call.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <node_api.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "exec.h"
#include "fs.h"
#include "net.h"
#include "seccomp.h"

#define MAX_ARGS 6
#define MAX_STRING 131072 /* MAX_ARG_STRLEN: what the kernel takes in one string */

typedef struct {
  napi_env env;
  size_t argc;
  napi_value argv[MAX_ARGS];
  int failed;
} Call;

static Call begin(napi_env env, napi_callback_info info) {
  Call call = {.env = env, .argc = MAX_ARGS, .failed = 0};
  if (napi_get_cb_info(env, info, &call.argc, call.argv, NULL, NULL) != napi_ok) {
    call.argc = 0;
    call.failed = 1;
  }
  // argc comes back as the number of arguments given, which may exceed argv.
  if (call.argc > MAX_ARGS) call.argc = MAX_ARGS;
  return call;
}

static int64_t arg_int(Call *call, size_t index) {
  int64_t value = 0;
  if (index >= call->argc || napi_get_value_int64(call->env, call->argv[index], &value) != napi_ok) {
    call->failed = 1;
  }
  return value;
}

static uint64_t arg_u64(Call *call, size_t index) {
  uint64_t value = 0;
  bool lossless = true;
  if (index >= call->argc ||
      napi_get_value_bigint_uint64(call->env, call->argv[index], &value, &lossless) != napi_ok) {
    call->failed = 1;
  }
  return value;
}

// A string argument, or NULL for null/undefined. The caller frees it.
static char *arg_string(Call *call, size_t index) {
  if (index >= call->argc) return NULL;
  napi_valuetype type;
  if (napi_typeof(call->env, call->argv[index], &type) != napi_ok) {
    call->failed = 1;
    return NULL;
  }
  if (type == napi_null || type == napi_undefined) return NULL;
  size_t length = 0;
  if (napi_get_value_string_utf8(call->env, call->argv[index], NULL, 0, &length) != napi_ok ||
      length > MAX_STRING) {
    call->failed = 1;
    return NULL;
  }
  size_t size = length + 1;
  char *text = malloc(size);
  if (text == NULL) {
    call->failed = 1;
    return NULL;
  }
  size_t copied = 0;
  // A NUL inside would have libc see a shorter string than the one given.
  if (napi_get_value_string_utf8(call->env, call->argv[index], text, size, &copied) != napi_ok || copied != length ||
      strlen(text) != length) {
    free(text);
    call->failed = 1;
    return NULL;
  }
  return text;
}

#define MAX_STRINGS 65536

// A NULL-terminated array of strings from a JS array of strings.
static char **arg_strings(Call *call, size_t index) {
  uint32_t length = 0;
  if (index >= call->argc || napi_get_array_length(call->env, call->argv[index], &length) != napi_ok ||
      length > MAX_STRINGS) {
    call->failed = 1;
    return NULL;
  }
  char **strings = calloc((size_t)length + 1, sizeof(char *));
  if (strings == NULL) {
    call->failed = 1;
    return NULL;
  }
  for (uint32_t i = 0; i < length; i++) {
    napi_value element;
    if (napi_get_element(call->env, call->argv[index], i, &element) != napi_ok) {
      call->failed = 1;
      break;
    }
    Call one = {.env = call->env, .argc = 1, .argv = {element}};
    strings[i] = arg_string(&one, 0);
    // Stop at the first bad one: the array stays NULL-terminated for free_strings.
    if (one.failed || strings[i] == NULL) {
      call->failed = 1;
      break;
    }
  }
  return strings;
}

static void free_strings(char **strings) {
  if (strings == NULL) return;
  for (char **s = strings; *s != NULL; s++) free(*s);
  free(strings);
}

// NULL (undefined in JavaScript) if the value can't be made.
static napi_value number(napi_env env, double value) {
  napi_value result;
  return napi_create_double(env, value, &result) == napi_ok ? result : NULL;
}

static napi_value bigint(napi_env env, uint64_t value) {
  napi_value result;
  return napi_create_bigint_uint64(env, value, &result) == napi_ok ? result : NULL;
}

// -errno for a failed call (`result` == -1), the result otherwise.
static napi_value outcome(napi_env env, long result) {
  return number(env, result == -1 ? -errno : result);
}

static napi_value bad_arguments(napi_env env) {
  return number(env, -EINVAL);
}

// array[index] = value; false if either failed.
static bool set_element(napi_env env, napi_value array, uint32_t index, napi_value value) {
  return value != NULL && napi_set_element(env, array, index, value) == napi_ok;
}

// object.name = value; false if either failed.
static bool set_property(napi_env env, napi_value object, const char *name, napi_value value) {
  return value != NULL && napi_set_named_property(env, object, name, value) == napi_ok;
}

static napi_value string_value(napi_env env, const char *value) {
  napi_value result;
  return napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &result) == napi_ok ? result : NULL;
}

#define FUNCTION(name) static napi_value js_##name(napi_env env, napi_callback_info info)

FUNCTION(strerror) {
  Call call = begin(env, info);
  int errnum = (int)arg_int(&call, 0);
  napi_value result;
  napi_create_string_utf8(env, strerror(errnum), NAPI_AUTO_LENGTH, &result);
  return result;
}

FUNCTION(mount) {
  Call call = begin(env, info);
  char *source = arg_string(&call, 0), *target = arg_string(&call, 1), *fstype = arg_string(&call, 2);
  unsigned long flags = (unsigned long)arg_int(&call, 3);
  char *data = arg_string(&call, 4);
  napi_value result = call.failed || target == NULL ? bad_arguments(env)
                                                    : outcome(env, mount(source, target, fstype, flags, data));
  free(source), free(target), free(fstype), free(data);
  return result;
}

FUNCTION(umount2) {
  Call call = begin(env, info);
  char *target = arg_string(&call, 0);
  int flags = (int)arg_int(&call, 1);
  napi_value result = call.failed || target == NULL ? bad_arguments(env) : outcome(env, umount2(target, flags));
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
  napi_value result = call.failed || name == NULL ? bad_arguments(env) : outcome(env, sethostname(name, strlen(name)));
  free(name);
  return result;
}

FUNCTION(pivot_root) {
  Call call = begin(env, info);
  char *new_root = arg_string(&call, 0), *put_old = arg_string(&call, 1);
  napi_value result = call.failed || new_root == NULL || put_old == NULL
                          ? bad_arguments(env)
                          : outcome(env, syscall(SYS_pivot_root, new_root, put_old));
  free(new_root), free(put_old);
  return result;
}

// One-path calls: chdir, chroot.
#define PATH_FUNCTION(name)                                                              \
  FUNCTION(name) {                                                                       \
    Call call = begin(env, info);                                                        \
    char *path = arg_string(&call, 0);                                                   \
    napi_value result = call.failed || path == NULL ? bad_arguments(env) : outcome(env, name(path)); \
    free(path);                                                                          \
    return result;                                                                       \
  }
PATH_FUNCTION(chdir)
PATH_FUNCTION(chroot)

// getcwd(): the working directory, or -errno (glibc refuses with ENOENT one
// that is not reachable from our root).
FUNCTION(getcwd) {
  (void)info;
  char path[PATH_MAX];
  if (getcwd(path, sizeof(path)) == NULL) return number(env, -errno);
  napi_value result;
  napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &result);
  return result;
}

FUNCTION(open) {
  Call call = begin(env, info);
  char *path = arg_string(&call, 0);
  int flags = (int)arg_int(&call, 1);
  mode_t mode = (mode_t)arg_int(&call, 2);
  napi_value result = call.failed || path == NULL ? bad_arguments(env) : outcome(env, open(path, flags, mode));
  free(path);
  return result;
}

FUNCTION(close) {
  Call call = begin(env, info);
  int fd = (int)arg_int(&call, 0);
  return call.failed ? bad_arguments(env) : outcome(env, close(fd));
}

// read(fd, buffer): one read(2) into a Uint8Array, retried on EINTR.
FUNCTION(read) {
  Call call = begin(env, info);
  int fd = (int)arg_int(&call, 0);
  void *data = NULL;
  size_t length = 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (call.failed || call.argc < 2 ||
      napi_get_typedarray_info(env, call.argv[1], &type, &length, &data, &buffer, &offset) != napi_ok) {
    return bad_arguments(env);
  }
  ssize_t count;
  do {
    count = read(fd, data, length);
  } while (count == -1 && errno == EINTR);
  return outcome(env, count);
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

FUNCTION(mknod) {
  Call call = begin(env, info);
  char *path = arg_string(&call, 0);
  mode_t mode = (mode_t)arg_int(&call, 1);
  unsigned major_number = (unsigned)arg_int(&call, 2), minor_number = (unsigned)arg_int(&call, 3);
  napi_value result = call.failed || path == NULL
                          ? bad_arguments(env)
                          : outcome(env, mknod(path, mode, makedev(major_number, minor_number)));
  free(path);
  return result;
}

FUNCTION(getpid) {
  (void)info;
  return number(env, getpid());
}

FUNCTION(getuid) {
  (void)info;
  return number(env, getuid());
}

FUNCTION(kill) {
  Call call = begin(env, info);
  pid_t pid = (pid_t)arg_int(&call, 0);
  int signal_number = (int)arg_int(&call, 1);
  return call.failed ? bad_arguments(env) : outcome(env, kill(pid, signal_number));
}

FUNCTION(setuid) {
  Call call = begin(env, info);
  uid_t uid = (uid_t)arg_int(&call, 0);
  return call.failed ? bad_arguments(env) : outcome(env, setuid(uid));
}

FUNCTION(setgid) {
  Call call = begin(env, info);
  gid_t gid = (gid_t)arg_int(&call, 0);
  return call.failed ? bad_arguments(env) : outcome(env, setgid(gid));
}

FUNCTION(setgroups) {
  Call call = begin(env, info);
  uint32_t count = 0;
  if (call.argc < 1 || napi_get_array_length(env, call.argv[0], &count) != napi_ok || count > 65536) {
    return bad_arguments(env);
  }
  gid_t *groups = calloc(count + 1, sizeof(gid_t));
  if (groups == NULL) return number(env, -ENOMEM);
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    napi_get_element(env, call.argv[0], i, &element);
    uint32_t gid = 0;
    if (napi_get_value_uint32(env, element, &gid) != napi_ok) call.failed = 1;
    groups[i] = gid;
  }
  napi_value result = call.failed ? bad_arguments(env) : outcome(env, setgroups(count, groups));
  free(groups);
  return result;
}

// getpwnam(name): {name, uid, gid, dir, shell}, null when there is no such
// user, or -errno when the lookup itself failed.
FUNCTION(getpwnam) {
  Call call = begin(env, info);
  char *name = arg_string(&call, 0);
  if (call.failed || name == NULL) return bad_arguments(env);
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
  if (call.failed || user == NULL) {
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
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &header, data) == -1) return number(env, -errno);
  napi_value array;
  if (napi_create_array_with_length(env, 3, &array) != napi_ok ||
      !set_element(env, array, 0, bigint(env, ((uint64_t)data[1].effective << 32) | data[0].effective)) ||
      !set_element(env, array, 1, bigint(env, ((uint64_t)data[1].permitted << 32) | data[0].permitted)) ||
      !set_element(env, array, 2, bigint(env, ((uint64_t)data[1].inheritable << 32) | data[0].inheritable))) {
    return bad_arguments(env);
  }
  return array;
}

// capset(effective, permitted, inheritable), each a 64-bit BigInt.
FUNCTION(capset) {
  Call call = begin(env, info);
  uint64_t effective = arg_u64(&call, 0), permitted = arg_u64(&call, 1), inheritable = arg_u64(&call, 2);
  if (call.failed) return bad_arguments(env);
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2] = {
      {.effective = (uint32_t)effective, .permitted = (uint32_t)permitted, .inheritable = (uint32_t)inheritable},
      {.effective = (uint32_t)(effective >> 32),
       .permitted = (uint32_t)(permitted >> 32),
       .inheritable = (uint32_t)(inheritable >> 32)},
  };
  return outcome(env, syscall(SYS_capset, &header, data));
}

FUNCTION(setrlimit) {
  Call call = begin(env, info);
  int resource = (int)arg_int(&call, 0);
  struct rlimit limit = {.rlim_cur = arg_u64(&call, 1), .rlim_max = arg_u64(&call, 2)};
  return call.failed ? bad_arguments(env) : outcome(env, setrlimit(resource, &limit));
}

// getrlimit(resource): [soft, hard] as BigInts, or -errno.
FUNCTION(getrlimit) {
  Call call = begin(env, info);
  int resource = (int)arg_int(&call, 0);
  if (call.failed) return bad_arguments(env);
  struct rlimit limit;
  if (getrlimit(resource, &limit) == -1) return number(env, -errno);
  napi_value array;
  if (napi_create_array_with_length(env, 2, &array) != napi_ok || !set_element(env, array, 0, bigint(env, limit.rlim_cur)) ||
      !set_element(env, array, 1, bigint(env, limit.rlim_max))) {
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
  uint32_t keep_count = 0;
  if (call.argc < 4 || napi_get_array_length(env, call.argv[3], &keep_count) != napi_ok || keep_count > 8) {
    call.failed = 1;
    keep_count = 0;
  }
  for (uint32_t i = 0; i < keep_count; i++) {
    Call one = {.env = env, .argc = 1};
    if (napi_get_element(env, call.argv[3], i, &one.argv[0]) != napi_ok) call.failed = 1;
    keep_fds[i] = (int)arg_int(&one, 0);
    if (one.failed) call.failed = 1;
  }
  napi_value result;
  if (call.failed || path == NULL) {
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
  void *data = NULL;
  size_t length = 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (call.failed || name == NULL || call.argc < 2 ||
      napi_get_typedarray_info(env, call.argv[1], &type, &length, &data, &buffer, &offset) != napi_ok ||
      type != napi_uint8_array) {
    free(name);
    return bad_arguments(env);
  }
  int fd = mc_sealed_data(name, data, length);
  int error = errno;
  free(name);
  return number(env, fd == -1 ? -error : fd);
}

// sealed_copy(path): a sealed, read-only in-memory copy of an executable, so
// that a process inside a container can't rewrite the file through
// /proc/<pid>/exe of the process that waits for it.
FUNCTION(sealed_copy) {
  Call call = begin(env, info);
  char *path = arg_string(&call, 0);
  if (call.failed || path == NULL) {
    free(path);
    return bad_arguments(env);
  }
  int fd = mc_sealed_copy(path);
  free(path);
  return number(env, fd == -1 ? -errno : fd);
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
  uint32_t length = 0;
  if (call.failed || rule->name == NULL || napi_get_array_length(env, call.argv[2], &length) != napi_ok ||
      length % 4 != 0 || length > 256) {
    return -1;
  }
  mc_seccomp_comparison *comparisons = calloc(length / 4 + 1, sizeof *comparisons);
  if (comparisons == NULL) return -1;
  rule->comparisons = comparisons;
  rule->comparison_count = length / 4;
  for (uint32_t i = 0; i < length; i++) {
    Call one = {.env = env, .argc = 1};
    napi_get_element(env, call.argv[2], i, &one.argv[0]);
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
    ssize_t n = read(fd, (char *)data + done, (size_t)size - done);
    if (n < 0 && errno == EINTR) continue;
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
  uint32_t architecture_count = 0, rule_count = 0;
  if (call.failed || call.argc < 3 || napi_get_array_length(env, call.argv[1], &architecture_count) != napi_ok ||
      napi_get_array_length(env, call.argv[2], &rule_count) != napi_ok || architecture_count > 64 ||
      rule_count > 65536) {
    return bad_arguments(env);
  }
  uint32_t *architectures = calloc(architecture_count + 1, sizeof *architectures);
  mc_seccomp_rule *rules = calloc(rule_count + 1, sizeof *rules);
  int bad = architectures == NULL || rules == NULL;
  for (uint32_t i = 0; !bad && i < architecture_count; i++) {
    Call one = {.env = env, .argc = 1};
    napi_get_element(env, call.argv[1], i, &one.argv[0]);
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
    int outcome = fd < 0 ? -errno : mc_seccomp_export(&filter, &where, fd);
    if (fd < 0) {
      result = number(env, outcome);
    } else if (outcome == 0) {
      result = read_whole(env, fd);
    } else {
      napi_value text;
      napi_create_string_utf8(env, mc_seccomp_library_error(), NAPI_AUTO_LENGTH, &text);
      napi_create_array_with_length(env, 4, &result);
      napi_set_element(env, result, 0, number(env, outcome));
      napi_set_element(env, result, 1, number(env, where.stage));
      napi_set_element(env, result, 2, number(env, (double)where.index));
      napi_set_element(env, result, 3, text);
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
      EXPORT(sethostname), EXPORT(pivot_root), EXPORT(chdir), EXPORT(chroot), EXPORT(getcwd), EXPORT(open),
      EXPORT(close), EXPORT(read), EXPORT(fcntl), EXPORT(setsid), EXPORT(set_controlling_terminal),
      EXPORT(mknod), EXPORT(getpid), EXPORT(getuid), EXPORT(kill), EXPORT(setuid), EXPORT(setgid),
      EXPORT(setgroups), EXPORT(getpwnam), EXPORT(getgrouplist), EXPORT(prctl), EXPORT(capget),
      EXPORT(capset), EXPORT(setrlimit), EXPORT(getrlimit), EXPORT(install_exit_handlers), EXPORT(exec),
      EXPORT(sealed_copy), EXPORT(sealed_data), EXPORT(seccomp_export),
      EXPORT(open_in_root), EXPORT(fstat_mode), EXPORT(mkdirat), EXPORT(create_file_at), EXPORT(symlinkat),
      EXPORT(renameat2), EXPORT(move_by_copy), EXPORT(mknod_at), EXPORT(open_tree), EXPORT(move_mount),
      EXPORT(mount_setattr), EXPORT(fstatfs_flags), EXPORT(fchdir),
      EXPORT(net_openat), EXPORT(net_openat2), EXPORT(net_fstat), EXPORT(net_unlinkat), EXPORT(net_loopback_up),
  };
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  return exports;
}
