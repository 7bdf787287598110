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
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"

extern char **environ;

static int status_fd = -1;
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
	exit_by_signal(status_fd, sig);
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

static void write_status(int status)
{
	char text[NUMBER_TEXT_MAX + 1];
	size_t len = format_number(text, (unsigned int)status);
	if (write_all(status_fd, text, len) != 0) {
		text[len] = '\0';
		print_failure_of("Failed to write container status", text, errno);
	}
	close(status_fd);
}

/*
 * A failure before the task's status is known: "<what>: <reason for errno>"
 * on stderr and the status of a failed launch. 1, the exit status.
 */
static int give_up(const char *what)
{
	print_failure(what, errno);
	write_status(W_EXITCODE(1, 0));
	return 1;
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
		print_failure_of("Failed to execute", argv[2], errno);
		return 1;
	}
	status_fd = (int)parse_number(argv[1], INT_MAX);
	if (status_fd < 0) {
		print("Invalid status fd '");
		print(argv[1]);
		print("'\n");
		return 1;
	}
	if (fcntl(status_fd, F_GETFD) < 0) {
		print_failure_of("Invalid status fd", argv[1], errno);
		return 1;
	}

	if (catch_signals(on_signal) != 0)
		return give_up("Failed to install signal handlers");

	/* Orphans of the task come to us, not to init, and we reap them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
		return give_up("Failed to become a subreaper");

	/*
	 * Signals stay blocked across fork until `child` is set, so that no
	 * signal can find us with a task running but the handler still in
	 * "no task yet" mode.
	 */
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);

	pid = fork();
	if (pid < 0)
		return give_up("Failed to fork");
	if (pid == 0) {
		default_signals();
		close(status_fd);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(argv[2], argv + 3, environ);
		print_failure_of("Failed to execute", argv[2], errno);
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
			return give_up("Failed to wait for the task");
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
			if (errno != EINTR)
				return give_up("Failed to reap the task");
		}
		write_status(status);
		return 0;
	}
}
