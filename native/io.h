/*
 * Small helpers shared by the native programs (waiter.c, clone.c) and the
 * addon (addon.c, exec.c, fs.c). The programs are compiled on their own (see
 * build.mjs), so these are static inline: every file gets its own copy of
 * what it uses.
 *
 * All of it is async-signal-safe but print_failure (strerror): output goes
 * through write(2) only, numbers are formatted by hand, and nothing
 * allocates, so a signal handler may use it and there is no stdio buffer to
 * lose on _exit.
 */
#ifndef MESOS_CONTAINERIZER_IO_H
#define MESOS_CONTAINERIZER_IO_H

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Room for the decimal text of any unsigned long (no NUL). */
#define NUMBER_TEXT_MAX 20

/* One read(2), retried on EINTR: the count, 0 at end of file, or -1 with errno. */
static inline ssize_t read_some(int fd, void *buf, size_t len)
{
	ssize_t n;
	do {
		n = read(fd, buf, len);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* Writes all of `buf`, retrying on EINTR. 0, or -1 with errno. */
static inline int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Everything left to read from `from`, written to `to`. 0, or -1 with errno. */
static inline int copy_all(int from, int to)
{
	char buffer[65536];
	for (;;) {
		ssize_t n = read_some(from, buffer, sizeof(buffer));
		if (n <= 0)
			return (int)n;
		if (write_all(to, buffer, (size_t)n) != 0)
			return -1;
	}
}

/* close(2) that leaves errno as it was: for a failure's clean-up. */
static inline void close_keeping_errno(int fd)
{
	int saved = errno;
	close(fd);
	errno = saved;
}

/* waitpid(2) with no options, retried on EINTR: the pid, or -1 with errno. */
static inline pid_t reap(pid_t pid, int *status)
{
	pid_t result;
	do {
		result = waitpid(pid, status, 0);
	} while (result < 0 && errno == EINTR);
	return result;
}

/* `s` on stderr. */
static inline void print(const char *s)
{
	write_all(STDERR_FILENO, s, strlen(s));
}

/* "<what>: <reason for error>" and a newline on stderr. */
static inline void print_failure(const char *what, int error)
{
	const char *reason = strerror(error);
	print(what);
	print(": ");
	print(reason);
	print("\n");
}

/* The decimal text of `value` into `buf` (at least NUMBER_TEXT_MAX chars, no NUL): its length. */
static inline size_t format_number(char *buf, unsigned long value)
{
	char tmp[NUMBER_TEXT_MAX];
	size_t len = 0, i;
	do {
		tmp[len++] = (char)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	for (i = 0; i < len; i++)
		buf[i] = tmp[len - 1 - i];
	return len;
}

/*
 * `len` bytes of `text` as the whole content of the status file `fd`: at
 * offset 0, the file then truncated to them, so that nothing written there
 * before (by a task, say) survives. 0, or -1 with errno.
 */
static inline int checkpoint(int fd, const char *text, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, text + done, len - done, (off_t)done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	while (ftruncate(fd, (off_t)len) != 0) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* The byte that tells the agent, on the exec notification fd, that the task will never start. */
static inline void notify_failure(int notify_fd)
{
	char byte = 'F';
	if (notify_fd >= 0)
		while (write(notify_fd, &byte, 1) < 0 && errno == EINTR)
			;
}

/*
 * What a signal that ends the process before there is a task to wait for
 * leaves: the wait status of being killed by `sig` into the status file `fd`
 * (when it is >= 0), which is then closed, 'F' on `notify_fd` (when it is
 * >= 0), and exit status 1.
 */
static inline void exit_by_signal(int fd, int notify_fd, int sig)
{
	notify_failure(notify_fd);
	if (fd >= 0) {
		char text[NUMBER_TEXT_MAX];
		checkpoint(fd, text, format_number(text, (unsigned int)W_EXITCODE(0, sig)));
		close(fd);
	}
	_exit(1);
}

/* A non-negative decimal number up to `max`, or -1. */
static inline long parse_number(const char *s, long max)
{
	long value = 0;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		value = value * 10 + (*s - '0');
		if (value > max)
			return -1;
	}
	return value;
}

/*
 * `handler` for every signal that can be caught but SIGCHLD, with every
 * signal blocked while it runs. 0, or -1 with errno when a standard signal
 * refuses it (glibc keeps a few realtime signals for itself: EINVAL there).
 */
static inline int catch_signals(void (*handler)(int))
{
	struct sigaction action;
	int sig;
	memset(&action, 0, sizeof(action));
	action.sa_handler = handler;
	sigfillset(&action.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGCHLD || sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &action, NULL) != 0 && sig < 32)
			return -1;
	}
	return 0;
}

/*
 * The default action for every signal (ignored ones would stay ignored
 * across execve). Every signal is tried; 0, or -1 with the errno of the
 * first that failed other than with EINVAL (glibc's own realtime signals).
 */
static inline int default_signals(void)
{
	struct sigaction action;
	int sig, error = 0;
	memset(&action, 0, sizeof(action));
	action.sa_handler = SIG_DFL;
	sigemptyset(&action.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &action, NULL) != 0 && errno != EINVAL && error == 0)
			error = errno;
	}
	if (error == 0)
		return 0;
	errno = error;
	return -1;
}

#endif
