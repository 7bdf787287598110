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
#include <unistd.h>

#include "fs.h"
#include "napi.h"
#include "net.h"

/* Retries of net_openat2 (see mc_openat2): 64 tries in all. */
#define OPENAT2_RETRIES 63

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
	napi_value result = call.failed ? bad_arguments(env) : outcome(env, mc_openat2(dirfd, path, &how, OPENAT2_RETRIES));
	free(path);
	return result;
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
