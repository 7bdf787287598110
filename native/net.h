/*
 * What network-cni-setup needs from the kernel beside fs.c's calls (net.c):
 * plain openat and openat2, unlinkat, and the loopback interface.
 *
 * mc_loopback_up is static inline so that the clone program, which is built
 * on its own without Node-API, shares it; the addon's functions are declared
 * only where node_api.h was included first.
 */
#ifndef MESOS_CONTAINERIZER_NET_H
#define MESOS_CONTAINERIZER_NET_H

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Brings "lo" up in the network namespace of the calling thread (a new one
 * has it, but down). Returns 0 or an errno.
 */
static inline int mc_loopback_up(void)
{
	struct ifreq ifr;
	int fd, error = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
		error = errno;
	} else if ((ifr.ifr_flags & IFF_UP) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
			error = errno;
	}
	close(fd);
	return error;
}

#ifdef NAPI_VERSION
/* Each returns its result, or -errno; -EINVAL for bad arguments. */
napi_value js_net_openat(napi_env env, napi_callback_info info);
napi_value js_net_openat2(napi_env env, napi_callback_info info);
napi_value js_net_unlinkat(napi_env env, napi_callback_info info);
napi_value js_net_loopback_up(napi_env env, napi_callback_info info);
#endif

#endif
