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
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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

#define MAX_NET_ARGS 6
#define MAX_PATH_ARG 4096
/* openat2 may ask for a retry when a rename raced a lookup inside the root. */
#define OPENAT2_TRIES 64

typedef struct {
	napi_env env;
	size_t argc;
	napi_value argv[MAX_NET_ARGS];
	int bad;
} Args;

static Args args_of(napi_env env, napi_callback_info info)
{
	Args args = { .env = env, .argc = MAX_NET_ARGS, .bad = 0 };
	if (napi_get_cb_info(env, info, &args.argc, args.argv, NULL, NULL) != napi_ok) {
		args.argc = 0;
		args.bad = 1;
	}
	if (args.argc > MAX_NET_ARGS)
		args.argc = MAX_NET_ARGS;
	return args;
}

static int64_t int_arg(Args *args, size_t index)
{
	int64_t value = 0;
	if (index >= args->argc || napi_get_value_int64(args->env, args->argv[index], &value) != napi_ok)
		args->bad = 1;
	return value;
}

/* A string argument (never NULL unless args->bad is set). The caller frees it. */
static char *string_arg(Args *args, size_t index)
{
	size_t length = 0, copied = 0;
	char *text;

	if (index >= args->argc ||
	    napi_get_value_string_utf8(args->env, args->argv[index], NULL, 0, &length) != napi_ok ||
	    length > MAX_PATH_ARG) {
		args->bad = 1;
		return NULL;
	}
	text = malloc(length + 1);
	if (text == NULL) {
		args->bad = 1;
		return NULL;
	}
	if (napi_get_value_string_utf8(args->env, args->argv[index], text, length + 1, &copied) != napi_ok ||
	    copied != length || strlen(text) != length) {
		/* An embedded NUL would make the kernel see another path. */
		free(text);
		args->bad = 1;
		return NULL;
	}
	return text;
}

static napi_value number_of(napi_env env, double value)
{
	napi_value result;
	return napi_create_double(env, value, &result) == napi_ok ? result : NULL;
}

/* -errno for a failed call (`result` == -1), the result otherwise. */
static napi_value result_of(napi_env env, long result)
{
	return number_of(env, result == -1 ? -errno : result);
}

static napi_value invalid(napi_env env)
{
	return number_of(env, -EINVAL);
}

static int fd_arg(Args *args, size_t index)
{
	int64_t fd = int_arg(args, index);
	/* AT_FDCWD is the one negative descriptor the calls take. */
	if (fd != AT_FDCWD && (fd < 0 || fd > INT32_MAX))
		args->bad = 1;
	return (int)fd;
}

/* openat(dirfd, path, flags, mode). */
napi_value js_net_openat(napi_env env, napi_callback_info info)
{
	Args args = args_of(env, info);
	int dirfd = fd_arg(&args, 0);
	char *path = string_arg(&args, 1);
	int flags = (int)int_arg(&args, 2);
	mode_t mode = (mode_t)int_arg(&args, 3);
	napi_value result = args.bad ? invalid(env) : result_of(env, openat(dirfd, path, flags | O_CLOEXEC, mode));
	free(path);
	return result;
}

/* openat2(dirfd, path, {flags, mode, resolve}), retried on EAGAIN. */
napi_value js_net_openat2(napi_env env, napi_callback_info info)
{
	Args args = args_of(env, info);
	int dirfd = fd_arg(&args, 0);
	char *path = string_arg(&args, 1);
	struct mc_open_how how = {
		.flags = (uint64_t)int_arg(&args, 2) | O_CLOEXEC,
		.mode = (uint64_t)int_arg(&args, 4),
		.resolve = (uint64_t)int_arg(&args, 3),
	};
	long fd = -1;
	int tries;

	if (args.bad) {
		free(path);
		return invalid(env);
	}
	for (tries = 0; tries < OPENAT2_TRIES; tries++) {
		fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	free(path);
	return result_of(env, fd);
}

/* fstat(fd): [st_dev, st_ino] as BigInts and st_mode, or -errno. */
napi_value js_net_fstat(napi_env env, napi_callback_info info)
{
	Args args = args_of(env, info);
	int fd = fd_arg(&args, 0);
	struct stat st;
	napi_value array, dev, ino, mode;

	if (args.bad || fd == AT_FDCWD)
		return invalid(env);
	if (fstat(fd, &st) != 0)
		return number_of(env, -errno);
	mode = number_of(env, st.st_mode);
	if (napi_create_array_with_length(env, 3, &array) != napi_ok ||
	    napi_create_bigint_uint64(env, (uint64_t)st.st_dev, &dev) != napi_ok ||
	    napi_create_bigint_uint64(env, (uint64_t)st.st_ino, &ino) != napi_ok || mode == NULL ||
	    napi_set_element(env, array, 0, dev) != napi_ok || napi_set_element(env, array, 1, ino) != napi_ok ||
	    napi_set_element(env, array, 2, mode) != napi_ok)
		return invalid(env);
	return array;
}

/* unlinkat(dirfd, name, flags). */
napi_value js_net_unlinkat(napi_env env, napi_callback_info info)
{
	Args args = args_of(env, info);
	int dirfd = fd_arg(&args, 0);
	char *name = string_arg(&args, 1);
	int flags = (int)int_arg(&args, 2);
	napi_value result = args.bad ? invalid(env) : result_of(env, unlinkat(dirfd, name, flags));
	free(name);
	return result;
}

/* loopback_up(): 0, or -errno. */
napi_value js_net_loopback_up(napi_env env, napi_callback_info info)
{
	int error;
	(void)info;
	error = mc_loopback_up();
	return number_of(env, -error);
}
