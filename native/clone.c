/*
 * clone: starts a program in new namespaces on behalf of the embedded agent
 * of mesos-execute (Node can't call clone(2), and unshare(2) in a threaded
 * process would change only one thread).
 *
 * Usage: clone <clone-flags> <pid-fd> [--hostname=NAME] [--cgroup=DIR]...
 *              [--overlay=DIR --overlay-options=OPTIONS] -- <program> [args...]
 *
 * With --cgroup this process first joins each cgroup DIR, so that the child
 * starts in the container's cgroups and a CLONE_NEWCGROUP namespace is
 * rooted there: on cgroup v1 by writing its one thread to DIR/tasks, on v2
 * (which has no tasks file) by writing itself to DIR/cgroup.procs.
 * <clone-flags> is the decimal sum of CLONE_NEW* flags. The child is created
 * with clone(flags | SIGCHLD), so with CLONE_NEWPID it is the first process
 * (pid 1) of its pid namespace while this process stays in the agent's
 * namespaces. In the child, before the exec: with CLONE_NEWNS '/' is made
 * rslave, with --overlay (which needs CLONE_NEWNS) an overlay filesystem
 * with OPTIONS (the agent's lowerdir, upperdir and workdir) is mounted on
 * DIR, the container's root: in the container's own mount namespace from
 * its first moment, so it is never in the host's mount table and goes with
 * the namespace; with --hostname (which needs CLONE_NEWUTS) the hostname is set,
 * and with CLONE_NEWNET the loopback interface is brought up; any failure is
 * one line on stderr and exit status 1. The child keeps every inherited fd
 * but <pid-fd> (the control pipe of mesos-containerizer must reach it) and
 * execs <program>, searched in PATH. This process keeps none of them but
 * stdio and <pid-fd>: an fd the child closes (at its exec, say) is then
 * closed for good, which its reader can tell.
 *
 * Once the child has exec'd, this process writes its pid in decimal to
 * <pid-fd> and closes it (no pid means the child failed), forwards SIGTERM,
 * SIGINT and SIGHUP to the child (one that comes before the child exists
 * is held until it does), waits for it and exits with its exit code, or
 * 128 + the signal that ended it. Should the agent die first, the child is
 * killed with SIGKILL, which with CLONE_NEWPID ends every process of the
 * namespace: nothing is left running that nobody watches. An agent already
 * gone when we start watching it means exit status 1 and no child.
 *
 * Only write(2) is used for output: there is no stdio buffer to lose on
 * _exit and nothing that is unsafe in a signal handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "net.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* At most this many --cgroup options: one per hierarchy. */
#define MAX_CGROUPS 32

/* HOST_NAME_MAX (the kernel's limit) as text, for the one-line error. */
#define TEXT(x) #x
#define AS_TEXT(x) TEXT(x)
#define HOST_NAME_MAX_TEXT AS_TEXT(HOST_NAME_MAX)

/* The child to forward signals to; 0 before it exists and once it is reaped. */
static volatile sig_atomic_t child = 0;
/* The signal the kernel sends us when the agent dies (PR_SET_PDEATHSIG). */
static int agent_gone_signal = 0;

/* Writes "0" (the writer itself) to DIR/FILE. 0, or -1 with errno. */
static int write_self(const char *dir, const char *file)
{
	char path[PATH_MAX];
	size_t len = strlen(dir), file_len = strlen(file);
	if (len + 1 + file_len >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, len);
	path[len] = '/';
	memcpy(path + len + 1, file, file_len + 1);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int result = write_all(fd, "0", 1);
	close_keeping_errno(fd);
	return result;
}

/*
 * Moves this process into the cgroup DIR. This program has one thread, so
 * on cgroup v1 moving that thread (tasks) moves the whole process; and a
 * thread that moves itself is the one move for which the kernel doesn't
 * take its system-wide cgroup_threadgroup_rwsem, whose writer waits for an
 * RCU grace period: through cgroup.procs, a sleep of several milliseconds
 * before every container start. cgroup v2 has no tasks file.
 */
static int join_cgroup(const char *dir)
{
	if (write_self(dir, "tasks") == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	return write_self(dir, "cgroup.procs");
}

/* Closes every fd from 3 up but `a` and `b`. */
static void close_inherited(int a, int b)
{
	int low = a < b ? a : b, high = a < b ? b : a;
	unsigned int ranges[3][2] = { { 3, (unsigned int)low - 1 }, { (unsigned int)low + 1, (unsigned int)high - 1 }, { (unsigned int)high + 1, ~0U } };
	for (size_t r = 0; r < 3; r++) {
		if (ranges[r][0] > ranges[r][1] || ranges[r][1] < 3)
			continue;
		if (syscall(SYS_close_range, ranges[r][0], ranges[r][1], 0U) == 0)
			continue;
		/* Kernels before 5.9. */
		for (unsigned int fd = ranges[r][0]; fd <= ranges[r][1] && fd < 65536; fd++)
			close((int)fd);
	}
}

static void fail(const char *what, int error)
{
	print("clone: ");
	print_failure(what, error);
}

static void on_signal(int sig)
{
	int saved = errno;
	if (child > 0)
		kill(child, sig == agent_gone_signal ? SIGKILL : sig);
	errno = saved;
}

/*
 * In the child: one line on stderr, then a byte on `ready` so that the
 * parent reports no pid, then exit status 1.
 */
static void child_fail(const char *what, int error, int ready)
{
	char byte = 1;
	fail(what, error);
	while (write(ready, &byte, 1) < 0 && errno == EINTR)
		;
	_exit(1);
}

int main(int argc, char **argv)
{
	static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction action;
	sigset_t all, none;
	long flags, pid_fd;
	const char *hostname = NULL, *overlay = NULL, *overlay_options = NULL;
	const char *cgroups[MAX_CGROUPS];
	size_t cgroup_count = 0;
	int program = 3, ready[2], error;
	pid_t pid, agent;
	size_t i;
	int status;
	char byte;
	ssize_t n;
	siginfo_t info;

	/*
	 * Every signal waits until there is a child to forward it to: one that
	 * came before the handlers, the agent's death included, is held, not
	 * lost. The agent as it is now, for telling later whether it is gone.
	 */
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
	agent = getppid();

	for (; program < argc && strcmp(argv[program], "--") != 0; program++) {
		if (strncmp(argv[program], "--hostname=", 11) == 0 && hostname == NULL)
			hostname = argv[program] + 11;
		else if (strncmp(argv[program], "--cgroup=", 9) == 0 && cgroup_count < MAX_CGROUPS)
			cgroups[cgroup_count++] = argv[program] + 9;
		else if (strncmp(argv[program], "--overlay=", 10) == 0 && overlay == NULL)
			overlay = argv[program] + 10;
		else if (strncmp(argv[program], "--overlay-options=", 18) == 0 && overlay_options == NULL)
			overlay_options = argv[program] + 18;
		else
			break;
	}
	program++;
	if (argc < 4 || program >= argc || strcmp(argv[program - 1], "--") != 0) {
		print("Usage: clone <clone-flags> <pid-fd> [--hostname=NAME] [--cgroup=DIR]... "
		      "[--overlay=DIR --overlay-options=OPTIONS] -- <program> [args...]\n");
		return 1;
	}
	flags = parse_number(argv[1], 0xffffffffL);
	if (flags < 0 || (flags & ~(long)(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET |
					  CLONE_NEWCGROUP | CLONE_NEWUSER)) != 0) {
		print("clone: Invalid namespace flags '");
		print(argv[1]);
		print("'\n");
		return 1;
	}
	if (hostname != NULL) {
		/* Not echoed: it may hold anything, a newline included. */
		if (*hostname == '\0' || strlen(hostname) > HOST_NAME_MAX) {
			print("clone: Invalid hostname: it must have 1 to " HOST_NAME_MAX_TEXT " characters\n");
			return 1;
		}
		/* Without a UTS namespace of its own the host's hostname would change. */
		if ((flags & CLONE_NEWUTS) == 0) {
			print("clone: --hostname needs a new UTS namespace (CLONE_NEWUTS)\n");
			return 1;
		}
	}
	if ((overlay == NULL) != (overlay_options == NULL) || (overlay != NULL && *overlay != '/')) {
		print("clone: --overlay needs an absolute DIR and --overlay-options\n");
		return 1;
	}
	/* Without a mount namespace of its own the overlay would be the host's. */
	if (overlay != NULL && (flags & CLONE_NEWNS) == 0) {
		print("clone: --overlay needs a new mount namespace (CLONE_NEWNS)\n");
		return 1;
	}
	pid_fd = parse_number(argv[2], INT_MAX);
	if (pid_fd < 0 || fcntl((int)pid_fd, F_SETFD, FD_CLOEXEC) != 0) {
		print("clone: Invalid pid fd '");
		print(argv[2]);
		print("'\n");
		return 1;
	}

	/* The pid goes to a pipe whose reader may be gone: that is an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);

	/* Closed by the child's exec, or written to when it fails before. */
	if (pipe2(ready, O_CLOEXEC) != 0) {
		fail("Failed to create a pipe", errno);
		return 1;
	}

	memset(&action, 0, sizeof(action));
	action.sa_handler = on_signal;
	sigfillset(&action.sa_mask);
	for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &action, NULL);
	agent_gone_signal = SIGRTMIN;
	sigaction(agent_gone_signal, &action, NULL);
	if (prctl(PR_SET_PDEATHSIG, agent_gone_signal, 0, 0, 0) != 0) {
		fail("Failed to watch the agent", errno);
		return 1;
	}
	/*
	 * An agent that died before PR_SET_PDEATHSIG took effect sends no
	 * signal; we were handed to another parent instead.
	 */
	if (getppid() != agent) {
		print("clone: The agent is gone\n");
		return 1;
	}

	for (i = 0; i < cgroup_count; i++) {
		if (join_cgroup(cgroups[i]) != 0) {
			print("clone: Failed to join cgroup '");
			print(cgroups[i]);
			print("': ");
			print(strerror(errno));
			print("\n");
			return 1;
		}
	}

	/* With no new stack, clone(2) returns twice like fork(2). */
	pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		fail("Failed to clone", errno);
		return 1;
	}
	if (pid == 0) {
		close(ready[0]);
		signal(SIGPIPE, SIG_DFL);
		for (i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
			signal(forwarded[i], SIG_DFL);
		signal(agent_gone_signal, SIG_DFL);
		prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/*
		 * Before anything can be mounted here, stop mounts from
		 * propagating back to the agent's namespace.
		 */
		if ((flags & CLONE_NEWNS) != 0 && mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) != 0)
			child_fail("Failed to mark '/' as rslave", errno, ready[1]);
		if (overlay != NULL && mount("overlay", overlay, "overlay", 0, overlay_options) != 0)
			child_fail("Failed to mount the container's root filesystem with overlayfs", errno, ready[1]);
		if (hostname != NULL && sethostname(hostname, strlen(hostname)) != 0)
			child_fail("Failed to set the hostname", errno, ready[1]);
		/* A new network namespace starts with its loopback down. */
		if ((flags & CLONE_NEWNET) != 0 && (error = mc_loopback_up()) != 0)
			child_fail("Failed to bring up the loopback interface 'lo'", error, ready[1]);
		execvp(argv[program], argv + program);
		child_fail(argv[program], errno, ready[1]);
	}

	child = pid;
	sigprocmask(SIG_SETMASK, &none, NULL);
	close(ready[1]);
	close_inherited((int)pid_fd, ready[0]);
	n = read_some(ready[0], &byte, 1);
	close(ready[0]);

	/*
	 * End of file is the exec, or the child's death before it: a dead
	 * child's pid is not reported, since it may soon name another process.
	 */
	if (n == 0) {
		siginfo_t early;
		memset(&early, 0, sizeof(early));
		if (waitid(P_PID, (id_t)pid, &early, WEXITED | WNOHANG | WNOWAIT) == 0 && early.si_pid == pid)
			n = -1;
	}
	if (n == 0) {
		char text[NUMBER_TEXT_MAX];
		size_t len = format_number(text, (unsigned long)pid);
		do {
			n = write((int)pid_fd, text, len);
		} while (n < 0 && errno == EINTR);
		if (n != (ssize_t)len) {
			/* Nobody will release or watch the child: end it. */
			fail("Failed to report the pid to the agent", n < 0 ? errno : EIO);
			kill(pid, SIGKILL);
		}
	}
	/* Without a pid the agent knows the child failed; it said why. */
	close((int)pid_fd);

	/*
	 * Wait without reaping, so that a signal forwarded meanwhile reaches the
	 * zombie at worst; then stop forwarding before the pid is freed.
	 */
	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) < 0) {
		if (errno != EINTR) {
			fail("Failed to wait for the child", errno);
			return 1;
		}
	}
	sigprocmask(SIG_SETMASK, &all, NULL);
	child = 0;
	if (reap(pid, &status) < 0) {
		fail("Failed to wait for the child", errno);
		return 1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}
