// `launch`'s flags: the modern interface (`--launch_info`, sent by agents
// since Mesos 1.3) and the legacy one of Mesos 1.0 (`--command` and friends).
export const launchFlags = {
  launch_info: {
    type: 'object',
    help: 'The ContainerLaunchInfo of the container, as JSON: what to run and how\nto set the container up.',
  },
  pipe_read: {
    type: 'int',
    help: 'The read end of the control pipe, a file descriptor inherited from the\nagent. The launch waits for one byte on it before changing anything.',
  },
  pipe_write: {
    type: 'int',
    help: 'The write end of the control pipe; it is closed first thing.',
  },
  runtime_directory: {
    type: 'string',
    help: "The container's runtime directory. When given, the helper stays as the\ntask's parent and checkpoints its wait status to the file 'status' there.",
  },
  namespace_mnt_target: {
    type: 'int',
    help: 'The pid of a process whose mount namespace the task should enter.\nMounts and a root filesystem are refused with it.',
  },
  unshare_namespace_mnt: {
    type: 'bool',
    help: 'Whether to launch the command in a new mount namespace.',
    default: false,
  },
  exec_notify_fd: {
    type: 'int',
    help: "A file descriptor to tell the agent when the task has started: it stays\nopen until the task's own exec, which closes it, and gets the byte 'F'\nfirst when the launch fails before that. Not a Mesos flag.",
  },
  tty_slave_path: {
    type: 'string',
    help: 'The path of a terminal to make the controlling terminal of the task.',
  },
  command: {
    type: 'object',
    help: 'Legacy interface: the CommandInfo to run, as JSON.',
  },
  working_directory: {
    type: 'string',
    help: 'Legacy interface: the working directory of the command, an absolute\npath within the root filesystem.',
  },
  rootfs: {
    type: 'string',
    help: 'Legacy interface: the absolute path of the root filesystem to run the\ncommand in; it is prepared (proc, sys, dev) before the root is changed.',
  },
  user: {
    type: 'string',
    help: 'Legacy interface: the user to run the command as.',
  },
  pre_exec_commands: {
    type: 'array',
    help: 'Legacy interface: a JSON array of CommandInfo to run, in order, before\nthe command.',
  },
} as const;
