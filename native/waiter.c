/*
 * waiter: `launch` execs the task through this small static program, from
 * a sealed in-memory copy, so that no task ever starts from a binary of the
 * host it could reopen through /proc/self/exe and overwrite.
 *
 * Usage: waiter <status_fd>|- <drop_fd>|- <path> <argv0> [args...]
 *
 * The drop may name the agent's exec notification fd: it stays open until
 * the task's own execve closes it, and gets 'F' first when the task will
 * never start, so that the agent reports TASK_RUNNING only for a task that
 * really runs.
 *
 * <drop_fd> is a sealed memfd holding the task's privilege drop (drop.h):
 * rlimits, no_new_privs, the bounding set, the user, the capabilities and
 * the seccomp filter, applied in that order (runc's), in the task's own
 * process right before its execve. The filter goes in last, so it covers
 * none of our calls: at most, when it needs CAP_SYS_ADMIN to go in (no
 * no_new_privs) and the task is not to keep it, the one capset that then
 * drops it.
 *
 * With "-" for the status fd the program does that and execs the task in
 * its own place. With a status fd it stays as the task's parent, the way
 * Mesos's helper does with --runtime_directory: it forks the task, forwards
 * signals to it, reaps every descendant reparented to it, and records the
 * task's raw wait status in the status file. It keeps its own ids and
 * limits (the task's apply to the task only) and is not dumpable, so the
 * task can't reach its memory or its fds; as pid 1 of the container it kills
 * what is left of the container before writing, and it writes at offset 0
 * and truncates, so nothing the task wrote there survives. It exits 0 once
 * the status is written, 1 when the task could not be started (status 256)
 * or the status could not be written.
 *
 * `launch` execs it with every signal blocked; they stay blocked until the
 * handlers are in place. Only write(2) is used for output: there is no stdio
 * buffer to lose on _exit and nothing that is unsafe in a signal handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capability.h"
#include "drop.h"
#include "io.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

extern char **environ;

static int status_fd = -1;
/* The agent's exec notification fd (drop.h), or -1. */
static int notify_fd = -1;
/* 0 until the task exists; then the handler forwards instead of exiting. */
static volatile pid_t child = 0;

static void on_signal(int sig)
{
	if (child > 0) {
		int saved = errno;
		kill(child, sig);
		errno = saved;
		return;
	}
	/* No task yet: the status says "killed by sig" and we fail. */
	exit_by_signal(status_fd, notify_fd, sig);
}

/* "<what> '<value>': <reason for error>" and a newline on stderr. */
static void print_failure_of(const char *what, const char *value, int error)
{
	const char *reason = strerror(error);
	print(what);
	print(" '");
	print(value);
	print("': ");
	print(reason);
	print("\n");
}

/* The status, at offset 0 of a file truncated to it. 0, or -1 with errno. */
static int write_status(int status)
{
	char text[NUMBER_TEXT_MAX + 1];
	size_t len = format_number(text, (unsigned int)status);
	int result = checkpoint(status_fd, text, len);
	if (result != 0) {
		int error = errno;
		text[len] = '\0';
		print_failure_of("Failed to write container status", text, error);
		errno = error;
	}
	close(status_fd);
	return result;
}

/* ---------------------------------------------------------------------------
 * The privilege drop (drop.h). */

static const struct drop *drop;
static const uint32_t *drop_groups;
static const struct drop_rlimit *drop_rlimits;
static const struct sock_filter *drop_filter;

/* Maps the drop from `fd` and checks its shape. 0, or -1 with a line printed. */
static int read_drop(const char *arg)
{
	struct stat stats;
	long fd = parse_number(arg, INT_MAX);
	if (fd < 0 || fstat((int)fd, &stats) != 0) {
		print_failure_of("Invalid privilege drop fd", arg, fd < 0 ? EBADF : errno);
		return -1;
	}
	size_t size = (size_t)stats.st_size;
	if (size < sizeof(struct drop) || size > sizeof(struct drop) + 4 * DROP_MAX_GROUPS + 8 +
						       sizeof(struct drop_rlimit) * DROP_MAX_RLIMITS +
						       sizeof(struct sock_filter) * DROP_MAX_FILTER) {
		print("Invalid privilege drop: wrong size\n");
		return -1;
	}
	void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, (int)fd, 0);
	if (map == MAP_FAILED) {
		print_failure_of("Failed to map the privilege drop", arg, errno);
		return -1;
	}
	close((int)fd);
	drop = map;
	size_t groups_size = ((size_t)drop->group_count * 4 + 7) & ~(size_t)7;
	if (drop->magic != DROP_MAGIC || drop->group_count > DROP_MAX_GROUPS || drop->rlimit_count > DROP_MAX_RLIMITS ||
	    drop->filter_length > DROP_MAX_FILTER ||
	    size != sizeof(struct drop) + groups_size + sizeof(struct drop_rlimit) * drop->rlimit_count +
			    sizeof(struct sock_filter) * drop->filter_length) {
		print("Invalid privilege drop: malformed\n");
		return -1;
	}
	const char *base = (const char *)map + sizeof(struct drop);
	drop_groups = (const uint32_t *)base;
	drop_rlimits = (const struct drop_rlimit *)(base + groups_size);
	drop_filter = (const struct sock_filter *)(base + groups_size + sizeof(struct drop_rlimit) * drop->rlimit_count);
	return 0;
}

/* Mesos's names of the limits (RLimitInfo.RLimit.Type), for messages. */
static const char *rlimit_name(uint32_t resource)
{
	static const char *const names[] = {
		[RLIMIT_CPU] = "RLMT_CPU",	       [RLIMIT_FSIZE] = "RLMT_FSIZE",
		[RLIMIT_DATA] = "RLMT_DATA",	       [RLIMIT_STACK] = "RLMT_STACK",
		[RLIMIT_CORE] = "RLMT_CORE",	       [RLIMIT_RSS] = "RLMT_RSS",
		[RLIMIT_NPROC] = "RLMT_NPROC",	       [RLIMIT_NOFILE] = "RLMT_NOFILE",
		[RLIMIT_MEMLOCK] = "RLMT_MEMLOCK",     [RLIMIT_AS] = "RLMT_AS",
		[RLIMIT_LOCKS] = "RLMT_LOCKS",	       [RLIMIT_SIGPENDING] = "RLMT_SIGPENDING",
		[RLIMIT_MSGQUEUE] = "RLMT_MSGQUEUE",   [RLIMIT_NICE] = "RLMT_NICE",
		[RLIMIT_RTPRIO] = "RLMT_RTPRIO",       [RLIMIT_RTTIME] = "RLMT_RTTIME",
	};
	if (resource < sizeof(names) / sizeof(names[0]) && names[resource] != NULL)
		return names[resource];
	return "unknown";
}

/* The five sets at once: effective, permitted, inheritable, then ambient. */
static int set_capabilities(uint64_t effective, uint64_t permitted, uint64_t inheritable, uint64_t ambient)
{
	if (capset_sets(effective, permitted, inheritable) != 0)
		return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
		return -1;
	for (unsigned int cap = 0; cap < 64; cap++)
		if ((ambient >> cap) & 1 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
			return -1;
	return 0;
}

static int load_filter(void)
{
	sigset_t none;
	/* Before the filter: a profile may deny rt_sigprocmask, and the task must start unblocked. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sock_fprog program = {.len = (unsigned short)drop->filter_length, .filter = (struct sock_filter *)drop_filter};
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program);
}

/* A failure of the drop: one line, in Mesos's words where it has some. */
static const char *failed_step;
static char failed_detail[64];

static int fail(const char *what)
{
	failed_step = what;
	return -1;
}

static int fail_with(const char *what, unsigned long value)
{
	size_t len = strlen(what);
	if (len + NUMBER_TEXT_MAX + 1 > sizeof(failed_detail))
		return fail(what);
	memcpy(failed_detail, what, len);
	failed_detail[len + format_number(failed_detail + len, value)] = '\0';
	return fail(failed_detail);
}

/*
 * Applies the drop to this process, in runc's order: rlimits,
 * no_new_privs, the bounding set, the user, the capabilities; the seccomp
 * filter last. 0, or -1 with errno and failed_step set.
 */
static int apply_drop(void)
{
	const uint64_t admin = 1ULL << CAP_SYS_ADMIN;
	uint64_t effective = drop->effective, permitted = drop->permitted, inheritable = drop->inheritable;
	uint64_t ambient = drop->ambient;
	int user = (drop->flags & DROP_USER) != 0, sets = (drop->flags & DROP_CAPABILITIES) != 0;
	int no_new_privs = (drop->flags & DROP_NO_NEW_PRIVS) != 0, filter = drop->filter_length > 0;
	/* Without no_new_privs the kernel takes a filter only from a holder of CAP_SYS_ADMIN. */
	int needs_admin = filter && !no_new_privs;

	for (uint32_t i = 0; i < drop->rlimit_count; i++) {
		struct rlimit limit = {.rlim_cur = drop_rlimits[i].soft, .rlim_max = drop_rlimits[i].hard};
		if (setrlimit((int)drop_rlimits[i].resource, &limit) != 0) {
			static char what[40];
			const char *name = rlimit_name(drop_rlimits[i].resource);
			size_t len = strlen(name);
			memcpy(what, "Failed to set ", 14);
			memcpy(what + 14, name, len);
			memcpy(what + 14 + len, " limit", 7);
			return fail(what);
		}
	}
	if (no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return fail("Failed to set NO_NEW_PRIVS");
	/* Changing the bounding set takes CAP_SETPCAP, which setuid would clear. */
	if (sets) {
		/* PR_CAPBSET_READ refuses a capability this kernel doesn't know. */
		for (unsigned int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
			if ((drop->bounding >> cap) & 1 || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
				continue;
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
				return fail("Failed to set process capabilities");
		}
	}
	uint64_t held_effective, held_permitted, held_inheritable;
	if (capget_sets(&held_effective, &held_permitted, &held_inheritable) != 0)
		return fail("Failed to get capabilities for the current process");
	int keeps_admin = needs_admin && (held_permitted & admin) != 0;
	if (user) {
		if ((sets || keeps_admin) && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0)
			return fail("Failed to set process control for keeping capabilities on potential uid change");
		if (setgid(drop->gid) != 0)
			return fail_with("Failed to set gid to ", drop->gid);
		if (setgroups(drop->group_count, (const gid_t *)drop_groups) != 0)
			return fail("Failed to set supplementary gids");
		if (setuid(drop->uid) != 0)
			return fail_with("Failed to set uid to ", drop->uid);
		if (!sets && keeps_admin) {
			/* Where a plain setuid would have left us: nothing but the inheritable set. */
			sets = 1;
			effective = permitted = ambient = 0;
			inheritable = held_inheritable;
		}
	}
	if (sets && keeps_admin && (effective & admin) == 0) {
		/* Everything but CAP_SYS_ADMIN, the filter, then CAP_SYS_ADMIN too. */
		if (set_capabilities(effective | admin, permitted | admin, inheritable, ambient) != 0)
			return fail("Failed to set process capabilities");
		if (load_filter() != 0)
			return fail("Failed to load Seccomp filter");
		if (capset_sets(effective, permitted, inheritable) != 0)
			return fail("Failed to set process capabilities");
		return 0;
	}
	if (sets && set_capabilities(effective, permitted, inheritable, ambient) != 0)
		return fail("Failed to set process capabilities");
	if (filter && load_filter() != 0)
		return fail("Failed to load Seccomp filter");
	return 0;
}

/* The drop, the default signal actions and an empty mask, then the task. Returns only on failure, with a line printed. */
static void become_task(char **argv)
{
	sigset_t none;
	if (default_signals() != 0) {
		print_failure("Failed to reset signal handlers", errno);
		return;
	}
	if (apply_drop() != 0) {
		print_failure(failed_step, errno);
		return;
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(argv[3], argv + 4, environ);
	print_failure_of("Failed to execute", argv[3], errno);
}

/* ---------------------------------------------------------------------------
 * Waiting for the task. */

/* As pid 1 of the container: nothing of it may run on once we write. */
static void end_container(void)
{
	int status;
	if (getpid() != 1)
		return;
	kill(-1, SIGKILL);
	while (waitpid(-1, &status, 0) > 0 || errno == EINTR)
		;
}

/*
 * A failure before the task's status is known: "<what>: <reason for errno>"
 * on stderr and the status of a failed launch. 1, the exit status.
 */
static int give_up(const char *what)
{
	print_failure(what, errno);
	notify_failure(notify_fd);
	end_container();
	write_status(W_EXITCODE(1, 0));
	return 1;
}

int main(int argc, char **argv)
{
	sigset_t all, none;
	pid_t pid;

	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* No task may read our memory or reach our fds (the status file's) through /proc. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Ignored, SIGCHLD would let our children vanish unreaped, their status with them. */
	signal(SIGCHLD, SIG_DFL);

	if (argc < 5) {
		print("Usage: waiter <status_fd>|- <drop_fd>|- <path> <argv0> [args...]\n");
		return 1;
	}
	if (strcmp(argv[1], "-") != 0) {
		status_fd = (int)parse_number(argv[1], INT_MAX);
		if (status_fd < 0 || fcntl(status_fd, F_GETFD) < 0) {
			print_failure_of("Invalid status fd", argv[1], status_fd < 0 ? EBADF : errno);
			return 1;
		}
	}
	static const struct drop none_dropped = {.magic = DROP_MAGIC, .notify_fd = -1};
	drop = &none_dropped;
	if (strcmp(argv[2], "-") != 0 && read_drop(argv[2]) != 0) {
		if (status_fd >= 0)
			write_status(W_EXITCODE(1, 0));
		return 1;
	}
	/* Open until the task's own execve. */
	if (drop->notify_fd >= 0 && fcntl(drop->notify_fd, F_SETFD, FD_CLOEXEC) == 0)
		notify_fd = drop->notify_fd;

	if (catch_signals(on_signal) != 0) {
		print_failure("Failed to install signal handlers", errno);
		notify_failure(notify_fd);
		if (status_fd >= 0)
			write_status(W_EXITCODE(1, 0));
		return 1;
	}
	/* Handlers in place: a signal from now on is accounted for. */
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (status_fd < 0) {
		sigprocmask(SIG_SETMASK, &all, NULL);
		become_task(argv);
		notify_failure(notify_fd);
		return 1;
	}

	/* Orphans of the task come to us, not to init, and we reap them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		return give_up("Failed to become a subreaper");
	/*
	 * Set by the task's process when it fails before its execve. Shared
	 * memory, not a pipe: the task starts with an address space of its own
	 * and can't reach this page, where it could write into a pipe of ours
	 * through /proc/1/fd.
	 */
	volatile char *never_started = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (never_started == MAP_FAILED)
		return give_up("Failed to map shared memory");

	/*
	 * Signals stay blocked across fork until `child` is set, so that no
	 * signal can find us with a task running but the handler still in
	 * "no task yet" mode.
	 */
	sigprocmask(SIG_SETMASK, &all, NULL);
	pid = fork();
	if (pid < 0)
		return give_up("Failed to fork");
	if (pid == 0) {
		close(status_fd);
		become_task(argv);
		*never_started = 1;
		notify_failure(notify_fd);
		_exit(1);
	}

	/* From now on only the task's process holds it: its execve, or its 'F', tells. */
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
	child = pid;
	sigprocmask(SIG_SETMASK, &none, NULL);

	for (;;) {
		siginfo_t info;
		int status;
		/*
		 * Peek first (WNOWAIT): the task stays a zombie, so its pid can't
		 * be reused while a forwarded signal may still be sent to it.
		 */
		memset(&info, 0, sizeof(info));
		if (waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) != 0) {
			if (errno == EINTR)
				continue;
			return give_up("Failed to wait for the task");
		}
		if (info.si_pid != pid) {
			/* An orphan of the task: reap it and keep waiting. */
			reap(info.si_pid, &status);
			continue;
		}
		/* No more forwarding: the pid is about to be released. */
		sigprocmask(SIG_SETMASK, &all, NULL);
		child = 0;
		if (reap(pid, &status) < 0)
			return give_up("Failed to reap the task");
		end_container();
		/* The task never started: that is a failed launch, said on stderr by the task's process. */
		int failed = *never_started != 0;
		if (failed)
			status = W_EXITCODE(1, 0);
		if (write_status(status) != 0 || failed)
			return 1;
		return 0;
	}
}
