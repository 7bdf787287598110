// `network-cni-setup`'s flags, as the Mesos CNI isolator passes them.
export const networkCniSetupFlags = {
  pid: { type: 'int', help: 'The pid of a process in the namespaces of the container to set up.' },
  parent_pid: {
    type: 'int',
    help: "Ours: refuse unless --pid is, once opened, a live child of this pid.\nThe pid of a process that died may name another process by then.",
  },
  hostname: { type: 'string', help: 'The hostname of the container.' },
  rootfs: { type: 'string', help: "The path of the container's root filesystem, if it has its own." },
  etc_hosts_path: { type: 'string', help: "The file to bind as the container's /etc/hosts." },
  etc_hostname_path: { type: 'string', help: "The file to bind as the container's /etc/hostname." },
  etc_resolv_conf: { type: 'string', help: "The file to bind as the container's /etc/resolv.conf." },
  bind_host_files: {
    type: 'bool',
    help: "Whether to bind the files over the host's own /etc paths in the\ncontainer's mount namespace.",
    default: false,
  },
  bind_readonly: { type: 'bool', help: 'Whether to bind the files read-only.', default: false },
} as const;
