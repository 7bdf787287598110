// Process-level steps of `launch` that must run in C (see exec.c).
#ifndef MESOS_CONTAINERIZER_EXEC_H
#define MESOS_CONTAINERIZER_EXEC_H

// Exit handlers for every catchable signal but SIGCHLD: write 'F' to
// notify_fd and the signal's wait status to status_fd (each when >= 0) and
// _exit(1). 0, or -1 with errno.
int mc_install_exit_handlers(int status_fd, int notify_fd);

// Undoes what Node did to the process (ignored signals, close-on-exec
// stdio, private fds; the keep_fds survive), then execs `path`, or the open
// file exe_fd when it is >= 0, with every signal blocked. Returns -1 with
// errno on failure.
int mc_exec(int exe_fd, const char *path, char *const argv[], char *const envp[], const int *keep_fds, int keep_count);

// A sealed, read-only memfd holding `length` bytes of `data`: an fd, or -1 with errno.
int mc_sealed_data(const char *name, const void *data, size_t length);

// A sealed in-memory copy of the file at `path`: an fd, or -1 with errno.
int mc_sealed_copy(const char *path);

#endif
