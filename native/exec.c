/*
 * The parts of `launch` that can't be done from JavaScript, linked into the
 * addon (see exec.h).
 *
 * - Exit handlers must run while the Node main thread is blocked in a
 *   synchronous native call (read(2) on the agent's pipe), where no
 *   JavaScript signal listener can ever run.
 * - A clean exec has to undo what Node did to the process (ignored SIGPIPE,
 *   close-on-exec stdio, many private fds) right before execve, with no
 *   JavaScript in between.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436 /* the same number on every architecture */
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#include "exec.h"
#include "io.h"

static volatile int exit_status_fd = -1;
static volatile int exit_notify_fd = -1;
/* Set once the exec into the waiter is under way. */
static volatile sig_atomic_t execing = 0;

static void on_exit_signal(int sig)
{
	if (execing) {
		/*
		 * Another thread (one of Node's) took it while the main thread
		 * execs: leave it pending for the waiter, which handles it once
		 * it runs. This thread blocks it first, so the kernel hands it
		 * to one that doesn't, until every thread blocks it and the exec
		 * carries it over.
		 */
		sigset_t all;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, NULL);
		kill(getpid(), sig);
		return;
	}
	exit_by_signal(exit_status_fd, exit_notify_fd, sig);
}

int mc_install_exit_handlers(int status_fd, int notify_fd)
{
	exit_status_fd = status_fd;
	exit_notify_fd = notify_fd;
	return catch_signals(on_exit_signal);
}

static int set_cloexec(int fd, int on)
{
	int flags = fcntl(fd, F_GETFD);
	if (flags < 0)
		return -1;
	int wanted = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
	if (wanted == flags)
		return 0;
	return fcntl(fd, F_SETFD, wanted);
}

/*
 * Marks every fd from 3 up close-on-exec. The fallback for kernels before
 * 5.11 tries every fd up to the hard limit: the fd table in /proc may be an
 * image's own files by now.
 */
static int cloexec_from_3(void)
{
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;

	struct rlimit limit;
	int fd, max = 1 << 20;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_max != RLIM_INFINITY && limit.rlim_max < (rlim_t)max)
		max = (int)limit.rlim_max;
	for (fd = 3; fd < max; fd++)
		if (set_cloexec(fd, 1) != 0 && errno != EBADF)
			return -1;
	return 0;
}

int mc_exec(int exe_fd, const char *path, char *const argv[], char *const envp[], const int *keep_fds, int keep_count)
{
	sigset_t set;
	int fd, i;

	/*
	 * Every signal stays blocked on this thread across the execve: the
	 * program we exec unblocks them once its own handlers are in place.
	 * Node's other threads don't block them, so the exit handlers stay
	 * installed for every signal (an ignored one would survive the execve,
	 * a default one would end us without a status); execve resets them.
	 */
	sigfillset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	if (catch_signals(on_exit_signal) != 0)
		return -1;
	/* Ignored, SIGCHLD would make the waiter's children vanish unreaped. */
	signal(SIGCHLD, SIG_DFL);

	/*
	 * Node marks stdio close-on-exec at start-up; the task needs it. And
	 * anything that touched process.stdin/stdout (a NODE_OPTIONS preload
	 * will do) leaves it non-blocking, which the task would share: tasks
	 * expect blocking stdio.
	 */
	for (fd = 0; fd <= 2; fd++) {
		if (set_cloexec(fd, 0) != 0 && errno != EBADF)
			return -1;
		int status_flags = fcntl(fd, F_GETFL);
		if (status_flags >= 0 && (status_flags & O_NONBLOCK) != 0 &&
		    fcntl(fd, F_SETFL, status_flags & ~O_NONBLOCK) != 0)
			return -1;
	}

	if (cloexec_from_3() != 0)
		return -1;
	for (i = 0; i < keep_count; i++)
		if (set_cloexec(keep_fds[i], 0) != 0)
			return -1;

	execing = 1;
	if (exe_fd >= 0)
		syscall(SYS_execveat, exe_fd, "", argv, envp, AT_EMPTY_PATH);
	else
		execve(path, argv, envp);
	int error = errno;
	execing = 0;
	errno = error;
	return -1; /* errno is the exec's */
}

/* Seals `fd` read-only for good; returns it, or -1 with errno (and fd closed). */
static int seal(int fd)
{
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
		close_keeping_errno(fd);
		return -1;
	}
	return fd;
}

int mc_sealed_data(const char *name, const void *data, size_t length)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	if (write_all(fd, data, length) != 0) {
		close_keeping_errno(fd);
		return -1;
	}
	return seal(fd);
}

int mc_sealed_copy(const char *path)
{
	int source = open(path, O_RDONLY | O_CLOEXEC);
	if (source < 0)
		return -1;
	int copy = memfd_create("mesos-containerizer-waiter", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (copy < 0 || copy_all(source, copy) != 0) {
		close_keeping_errno(source);
		if (copy >= 0)
			close_keeping_errno(copy);
		return -1;
	}
	close(source);
	return seal(copy);
}
