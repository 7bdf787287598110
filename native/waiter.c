/*
 * waiter: stays behind as the task's parent when `launch` runs with
 * --runtime_directory, so that the Node process (tens of MiB resident) does
 * not have to. It forks, execs the task, forwards signals to it, reaps every
 * descendant that is reparented to it, and records the task's raw wait
 * status in the status file.
 *
 * Usage: waiter <status_fd> <path> <argv0> [args...]
 *        waiter - <path> <argv0> [args...]
 * The environment is handed to the task unchanged. With "-" for the status
 * fd it just execs the task in its own place: `launch` always execs the task
 * through this program, run from a sealed in-memory copy, so that no task
 * ever starts from a binary of the host it could reopen through
 * /proc/self/exe and overwrite (the node binary, say, via "#!/proc/self/exe").

 *
 * Only write(2) is used for output: there is no stdio buffer to lose on
 * _exit and nothing that is unsafe in a signal handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int status_fd = -1;
/* 0 until the task exists; then the handler forwards instead of exiting. */
static volatile pid_t child = 0;

static int write_all(int fd, const char *buf, size_t len)
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

/* Decimal text of a non-negative number, by hand so it is signal safe. */
static size_t format_uint(char *buf, unsigned int value)
{
	char tmp[16];
	size_t len = 0, i;
	do {
		tmp[len++] = (char)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	for (i = 0; i < len; i++)
		buf[i] = tmp[len - 1 - i];
	return len;
}

static void on_signal(int sig)
{
	if (child > 0) {
		int saved = errno;
		kill(child, sig);
		errno = saved;
		return;
	}
	/* No task yet: the status says "killed by sig" and we fail. */
	char text[16];
	size_t len = format_uint(text, (unsigned int)W_EXITCODE(0, sig));
	write_all(status_fd, text, len);
	close(status_fd);
	_exit(1);
}

static void print(const char *s)
{
	write_all(STDERR_FILENO, s, strlen(s));
}

static int skipped(int sig)
{
	return sig == SIGCHLD || sig == SIGKILL || sig == SIGSTOP;
}

static int install_handlers(void)
{
	struct sigaction action;
	int sig;
	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	sigfillset(&action.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (skipped(sig))
			continue;
		/* glibc keeps a few realtime signals for itself: EINVAL there. */
		if (sigaction(sig, &action, NULL) != 0 && sig < 32)
			return -1;
	}
	return 0;
}

static void reset_handlers(void)
{
	struct sigaction action;
	int sig;
	memset(&action, 0, sizeof(action));
	action.sa_handler = SIG_DFL;
	sigemptyset(&action.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &action, NULL);
}

static void write_status(int status)
{
	char text[16];
	size_t len = format_uint(text, (unsigned int)status);
	if (write_all(status_fd, text, len) != 0) {
		const char *reason = strerror(errno);
		text[len] = '\0';
		print("Failed to write container status '");
		print(text);
		print("': ");
		print(reason);
		print("\n");
	}
	close(status_fd);
}

static int parse_fd(const char *s)
{
	long value = 0;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		value = value * 10 + (*s - '0');
		if (value > 0x7fffffff)
			return -1;
	}
	return (int)value;
}

int main(int argc, char **argv)
{
	sigset_t all, none;
	pid_t pid;

	if (argc < 4) {
		print("Usage: waiter <status_fd>|- <path> <argv0> [args...]\n");
		return 1;
	}
	if (strcmp(argv[1], "-") == 0) {
		execve(argv[2], argv + 3, environ);
		print("Failed to execute '");
		print(argv[2]);
		print("': ");
		print(strerror(errno));
		print("\n");
		return 1;
	}
	status_fd = parse_fd(argv[1]);
	if (status_fd < 0) {
		print("Invalid status fd '");
		print(argv[1]);
		print("'\n");
		return 1;
	}
	if (fcntl(status_fd, F_GETFD) < 0) {
		print("Invalid status fd '");
		print(argv[1]);
		print("': ");
		print(strerror(errno));
		print("\n");
		return 1;
	}

	if (install_handlers() != 0) {
		print("Failed to install signal handlers: ");
		print(strerror(errno));
		print("\n");
		write_status(W_EXITCODE(1, 0));
		return 1;
	}

	/* Orphans of the task come to us, not to init, and we reap them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
		print("Failed to become a subreaper: ");
		print(strerror(errno));
		print("\n");
		write_status(W_EXITCODE(1, 0));
		return 1;
	}

	/*
	 * Signals stay blocked across fork until `child` is set, so that no
	 * signal can find us with a task running but the handler still in
	 * "no task yet" mode.
	 */
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);

	pid = fork();
	if (pid < 0) {
		print("Failed to fork: ");
		print(strerror(errno));
		print("\n");
		write_status(W_EXITCODE(1, 0));
		return 1;
	}
	if (pid == 0) {
		reset_handlers();
		close(status_fd);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(argv[2], argv + 3, environ);
		const char *reason = strerror(errno);
		print("Failed to execute '");
		print(argv[2]);
		print("': ");
		print(reason);
		print("\n");
		_exit(1);
	}

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
			print("Failed to wait for the task: ");
			print(strerror(errno));
			print("\n");
			write_status(W_EXITCODE(1, 0));
			return 1;
		}
		if (info.si_pid != pid) {
			/* An orphan of the task: reap it and keep waiting. */
			while (waitpid(info.si_pid, &status, 0) < 0 && errno == EINTR)
				;
			continue;
		}
		/* No more forwarding: the pid is about to be released. */
		sigprocmask(SIG_SETMASK, &all, NULL);
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				print("Failed to reap the task: ");
				print(strerror(errno));
				print("\n");
				write_status(W_EXITCODE(1, 0));
				return 1;
			}
		}
		write_status(status);
		return 0;
	}
}
