/*
 * capget(2) and capset(2) on all 64 bits of each set, for the waiter and the
 * addon. Static inline, like io.h: the waiter is built on its own, without
 * Node-API.
 */
#ifndef MESOS_CONTAINERIZER_CAPABILITY_H
#define MESOS_CONTAINERIZER_CAPABILITY_H

#include <linux/capability.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The calling thread's sets. 0, or -1 with errno. */
static inline int capget_sets(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &header, data) != 0)
		return -1;
	*effective = ((uint64_t)data[1].effective << 32) | data[0].effective;
	*permitted = ((uint64_t)data[1].permitted << 32) | data[0].permitted;
	*inheritable = ((uint64_t)data[1].inheritable << 32) | data[0].inheritable;
	return 0;
}

/* 0, or -1 with errno. */
static inline int capset_sets(uint64_t effective, uint64_t permitted, uint64_t inheritable)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2] = {
		{.effective = (uint32_t)effective, .permitted = (uint32_t)permitted, .inheritable = (uint32_t)inheritable},
		{.effective = (uint32_t)(effective >> 32),
		 .permitted = (uint32_t)(permitted >> 32),
		 .inheritable = (uint32_t)(inheritable >> 32)},
	};
	return (int)syscall(SYS_capset, &header, data);
}

#endif
