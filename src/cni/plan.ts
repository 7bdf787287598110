// `network-cni-setup` as data: the flags become a checked list of steps
// before anything changes, so the order can be read (and tested) apart from
// the system calls that carry it out (see ./steps.ts).
import { isAbsolute, resolve } from 'node:path';

/** The files the CNI isolator hands a container, by their place in it. */
export const ETC_HOSTS = '/etc/hosts';
export const ETC_HOSTNAME = '/etc/hostname';
export const ETC_RESOLV_CONF = '/etc/resolv.conf';
export type NetworkFile = typeof ETC_HOSTS | typeof ETC_HOSTNAME | typeof ETC_RESOLV_CONF;

/** The namespaces of the container's process this subcommand joins. */
export type Namespace = 'mnt' | 'uts' | 'net';

export type Step =
  /** unshare(CLONE_FS): the kernel refuses a mount-namespace setns to a thread sharing its fs info. */
  | { readonly op: 'isolate-fs' }
  /** setns into /proc/<pid>/ns/<ns>. */
  | { readonly op: 'enter'; readonly pid: number; readonly ns: Namespace }
  /** `/` and everything under it stop propagating mounts back to the host. */
  | { readonly op: 'mark-root-slave' }
  /** Bind `source` over the file's own path in the container's mount namespace. */
  | { readonly op: 'bind-host-file'; readonly file: NetworkFile; readonly source: string; readonly readOnly: boolean }
  /** Bind `source` over the file's path inside `rootfs`. */
  | {
      readonly op: 'bind-rootfs-file';
      readonly rootfs: string;
      readonly file: NetworkFile;
      readonly source: string;
      readonly readOnly: boolean;
    }
  | { readonly op: 'set-hostname'; readonly hostname: string }
  /** Bring up `lo` in the network namespace entered last. */
  | { readonly op: 'loopback-up'; readonly pid: number };

/** The flags `network-cni-setup` acts on (see ./flags.ts). */
export interface SetupFlags {
  pid?: number | undefined;
  hostname?: string | undefined;
  rootfs?: string | undefined;
  etc_hosts_path?: string | undefined;
  etc_hostname_path?: string | undefined;
  etc_resolv_conf?: string | undefined;
  bind_host_files: boolean;
  bind_readonly: boolean;
}

/** What planning may look at: whether a path exists (without following a final symlink), and the cwd. */
export interface Probe {
  exists(path: string): boolean;
  readonly cwd: string;
}

export type Plan = { readonly ok: true; readonly steps: Step[] } | { readonly ok: false; readonly message: string };

/**
 * Checks the flags and the source files, in Mesos's order, and lists the
 * steps. Relative paths are made absolute against `probe.cwd` here: once the
 * mount namespace is entered the working directory is that namespace's `/`.
 */
export function planNetworkCniSetup(flags: SetupFlags, probe: Probe): Plan {
  const refuse = (message: string): Plan => ({ ok: false, message });
  if (flags.pid === undefined) return refuse('Container PID not specified');
  const pid = flags.pid;

  const files: Array<[NetworkFile, string]> = [];
  // /etc/hosts and /etc/hostname are optional (a container on the host
  // network whose host lacks them); resolv.conf is not.
  for (const [file, source] of [
    [ETC_HOSTS, flags.etc_hosts_path],
    [ETC_HOSTNAME, flags.etc_hostname_path],
  ] as const) {
    if (source === undefined) continue;
    if (!probe.exists(source)) return refuse(`Unable to find '${source}'`);
    files.push([file, resolve(probe.cwd, source)]);
  }
  if (flags.etc_resolv_conf === undefined) return refuse("Path to 'resolv.conf' not specified.");
  if (!probe.exists(flags.etc_resolv_conf)) return refuse(`Unable to find '${flags.etc_resolv_conf}'`);
  files.push([ETC_RESOLV_CONF, resolve(probe.cwd, flags.etc_resolv_conf)]);

  let rootfs: string | undefined;
  if (flags.rootfs !== undefined) {
    if (flags.rootfs === '') return refuse('Flag --rootfs is empty: it must name the container\'s root directory');
    rootfs = isAbsolute(flags.rootfs) ? resolve(flags.rootfs) : resolve(probe.cwd, flags.rootfs);
  }

  const readOnly = flags.bind_readonly;
  const steps: Step[] = [{ op: 'isolate-fs' }, { op: 'enter', pid, ns: 'mnt' }, { op: 'mark-root-slave' }];
  for (const [file, source] of files) {
    if (flags.bind_host_files) steps.push({ op: 'bind-host-file', file, source, readOnly });
    if (rootfs !== undefined) steps.push({ op: 'bind-rootfs-file', rootfs, file, source, readOnly });
  }
  if (flags.hostname !== undefined) {
    // A hostname means a container of its own network namespace: its `lo`
    // starts down and is ours to bring up.
    steps.push(
      { op: 'enter', pid, ns: 'uts' },
      { op: 'set-hostname', hostname: flags.hostname },
      { op: 'enter', pid, ns: 'net' },
      { op: 'loopback-up', pid },
    );
  }
  return { ok: true, steps };
}
