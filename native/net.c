/*
 * The calls network-cni-setup makes, as addon functions (see net.h): every
 * path it acts on inside a container is reached from an open handle, never
 * looked up again by name, and the binds it makes are detached copies of
 * host files taken before it enters the container's mount namespace.
 *
 * Arguments are numbers (int64) and strings; any that can't be read makes
 * the call return -EINVAL without doing anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "napi.h"
#include "net.h"

/* The same numbers on x86_64 and aarch64 (syscalls from 424 on are shared). */
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

/* The kernel's struct open_how and struct mount_attr (uapi, fixed layout). */
struct mc_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};

struct mc_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

/* openat2 may ask for a retry when a rename raced a lookup inside the root. */
#define OPENAT2_TRIES 64

/* openat(dirfd, path, flags, mode). */
napi_value js_net_openat(napi_env env, napi_callback_info info)
{
	Call call = begin(env, info);
	int dirfd = arg_fd(&call, 0);
	char *path = arg_path(&call, 1);
	int flags = (int)arg_int(&call, 2);
	mode_t mode = (mode_t)arg_int(&call, 3);
	napi_value result = call.failed ? bad_arguments(env) : outcome(env, openat(dirfd, path, flags | O_CLOEXEC, mode));
	free(path);
	return result;
}

/* openat2(dirfd, path, {flags, mode, resolve}), retried on EAGAIN. */
napi_value js_net_openat2(napi_env env, napi_callback_info info)
{
	Call call = begin(env, info);
	int dirfd = arg_fd(&call, 0);
	char *path = arg_path(&call, 1);
	struct mc_open_how how = {
		.flags = (uint64_t)arg_int(&call, 2) | O_CLOEXEC,
		.mode = (uint64_t)arg_int(&call, 4),
		.resolve = (uint64_t)arg_int(&call, 3),
	};
	long fd = -1;
	int tries;

	if (call.failed) {
		free(path);
		return bad_arguments(env);
	}
	for (tries = 0; tries < OPENAT2_TRIES; tries++) {
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	free(path);
	return outcome(env, fd);
}

/* fstat(fd): [st_dev, st_ino] as BigInts and st_mode, or -errno. */
napi_value js_net_fstat(napi_env env, napi_callback_info info)
{
	Call call = begin(env, info);
	int fd = arg_fd(&call, 0);
	struct stat st;
	napi_value array;

	if (call.failed || fd == AT_FDCWD)
		return bad_arguments(env);
	if (fstat(fd, &st) != 0)
		return number(env, -errno);
	if (napi_create_array_with_length(env, 3, &array) != napi_ok ||
	    !set_element(env, array, 0, bigint(env, (uint64_t)st.st_dev)) ||
	    !set_element(env, array, 1, bigint(env, (uint64_t)st.st_ino)) ||
	    !set_element(env, array, 2, number(env, st.st_mode)))
		return bad_arguments(env);
	return array;
}

/* unlinkat(dirfd, name, flags). */
napi_value js_net_unlinkat(napi_env env, napi_callback_info info)
{
	Call call = begin(env, info);
	int dirfd = arg_fd(&call, 0);
	char *name = arg_path(&call, 1);
	int flags = (int)arg_int(&call, 2);
	napi_value result = call.failed ? bad_arguments(env) : outcome(env, unlinkat(dirfd, name, flags));
	free(name);
	return result;
}

/* loopback_up(): 0, or -errno. */
napi_value js_net_loopback_up(napi_env env, napi_callback_info info)
{
	(void)info;
	return number(env, -mc_loopback_up());
}
