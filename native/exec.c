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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

static void on_exit_signal(int sig)
{
	exit_by_signal(exit_status_fd, sig);
}

int mc_install_exit_handlers(int status_fd)
{
	exit_status_fd = status_fd;
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

/* Marks every fd from 3 up close-on-exec. */
static int cloexec_from_3(void)
{
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;

	/* Kernels before 5.11: walk the fd table instead. */
	DIR *dir = opendir("/proc/self/fd");
	if (dir != NULL) {
		int own = dirfd(dir);
		struct dirent *entry;
		while ((entry = readdir(dir)) != NULL) {
			char *end;
			long fd = strtol(entry->d_name, &end, 10);
			if (entry->d_name[0] == '\0' || *end != '\0')
				continue;
			if (fd >= 3 && fd != own && set_cloexec((int)fd, 1) != 0 && errno != EBADF) {
				int saved = errno;
				closedir(dir);
				errno = saved;
				return -1;
			}
		}
		closedir(dir);
		return 0;
	}

	/* No /proc either (e.g. inside a bare rootfs): try every possible fd. */
	struct rlimit limit;
	int fd, max = 65536;
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
	    limit.rlim_cur < (rlim_t)0x7fffffff)
		max = (int)limit.rlim_cur;
	for (fd = 3; fd < max; fd++)
		if (set_cloexec(fd, 1) != 0 && errno != EBADF)
			return -1;
	return 0;
}

int mc_exec(int exe_fd, const char *path, char *const argv[], char *const envp[], int keep_fd)
{
	sigset_t set;
	int fd;

	/* Nothing may interrupt us half-way; the mask is emptied just before execve. */
	sigfillset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);

	/* Ignored signals (Node ignores SIGPIPE and SIGXFSZ) survive execve. */
	if (default_signals() != 0)
		return -1;

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
	if (keep_fd >= 0 && set_cloexec(keep_fd, 0) != 0)
		return -1;

	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	if (exe_fd >= 0)
		syscall(SYS_execveat, exe_fd, "", argv, envp, AT_EMPTY_PATH);
	else
		execve(path, argv, envp);
	return -1; /* errno is the exec's */
}

int mc_sealed_copy(const char *path)
{
	int source = open(path, O_RDONLY | O_CLOEXEC);
	if (source < 0)
		return -1;
	int copy = memfd_create("mesos-containerizer-waiter", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (copy < 0) {
		int saved = errno;
		close(source);
		errno = saved;
		return -1;
	}
	char buffer[65536];
	for (;;) {
		ssize_t n = read(source, buffer, sizeof(buffer));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		if (write_all(copy, buffer, (size_t)n) != 0)
			goto fail;
	}
	close(source);
	if (fcntl(copy, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
		int saved = errno;
		close(copy);
		errno = saved;
		return -1;
	}
	return copy;
fail:;
	int saved = errno;
	close(source);
	close(copy);
	errno = saved;
	return -1;
}
