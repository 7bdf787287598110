/*
 * The privilege drop a task gets, as `launch` hands it to the waiter: a
 * sealed memfd holding one `struct drop` followed by its arrays, in this
 * machine's byte order (native/drop.ts writes it). The waiter applies it in
 * the task's own process, right before the execve, so that none of it (the
 * seccomp filter least of all) covers the waiter or the Node launcher.
 */
#ifndef MESOS_CONTAINERIZER_DROP_H
#define MESOS_CONTAINERIZER_DROP_H

#include <stdint.h>

#define DROP_MAGIC 0x3150524dU /* "MRP1" */

/* What the drop does besides the rlimits. */
#define DROP_USER 0x1         /* setgroups, setgid, setuid */
#define DROP_CAPABILITIES 0x2 /* the five sets below, bounding first */
#define DROP_NO_NEW_PRIVS 0x4 /* PR_SET_NO_NEW_PRIVS */

/* Bounds the waiter enforces on what it reads. */
#define DROP_MAX_GROUPS 65536
#define DROP_MAX_RLIMITS 64
#define DROP_MAX_FILTER 4096 /* BPF instructions: the kernel's own limit (BPF_MAXINSNS) */

struct drop {
	uint32_t magic;
	uint32_t flags;
	uint32_t uid;
	uint32_t gid;
	uint32_t group_count;
	uint32_t rlimit_count;
	uint32_t filter_length; /* struct sock_filter instructions; 0: no filter */
	int32_t notify_fd;      /* closed by the task's execve, written 'F' to on failure; -1: none */
	uint64_t effective;
	uint64_t permitted;
	uint64_t inheritable;
	uint64_t bounding;
	uint64_t ambient;
	/* then: uint32_t groups[group_count], padded to 8 bytes;
	 * struct drop_rlimit rlimits[rlimit_count];
	 * struct sock_filter filter[filter_length] */
};

struct drop_rlimit {
	uint32_t resource; /* RLIMIT_* */
	uint32_t padding;
	uint64_t soft;
	uint64_t hard;
};

#endif
