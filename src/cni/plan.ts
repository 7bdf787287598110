// `network-cni-setup` as data: the flags become a checked list of steps
// before anything changes, so the order can be read (and tested) apart from
// the system calls that carry it out (see ./steps.ts).
//
// Everything the steps need from the host (the container's namespaces, the
// files to bind) is opened before the first setns, so that nothing of the
// container's own filesystem, /proc included, is consulted for it; inside the
// container, paths are resolved from open handles only.
import { isAbsolute, resolve } from 'node:path';

/** The files the CNI isolator hands a container, by their place in it. */
export const ETC_HOSTS = '/etc/hosts';
export const ETC_HOSTNAME = '/etc/hostname';
export const ETC_RESOLV_CONF = '/etc/resolv.conf';
export type NetworkFile = typeof ETC_HOSTS | typeof ETC_HOSTNAME | typeof ETC_RESOLV_CONF;

/** The namespaces of the container's process this subcommand joins. */
export type Namespace = 'mnt' | 'uts' | 'net';

export type Step =
  /** Open /proc/<pid> (the host's): every namespace is opened through it. */
  | { readonly op: 'open-process'; readonly pid: number }
  /** Refuse unless the process opened is a live child of `parentPid` (checked through the handle). */
  | { readonly op: 'check-parent'; readonly pid: number; readonly parentPid: number }
  /** Open <pid>'s ns/<ns> through that handle. */
  | { readonly op: 'open-namespace'; readonly pid: number; readonly ns: Namespace }
  /** Refuse a namespace that is ours or pid 1's: never a container's, and changing it changes the host. */
  | { readonly op: 'refuse-host-namespace'; readonly pid: number; readonly ns: Namespace }
  /**
   * A detached bind mount of the host file `source`, made from the host with
   * the bind's final flags; `bind` numbers it for the step that attaches it,
   * at `target` (for messages).
   */
  | {
      readonly op: 'clone-source';
      readonly bind: number;
      readonly source: string;
      readonly target: string;
      readonly readOnly: boolean;
    }
  /** unshare(CLONE_FS): the kernel refuses a mount-namespace setns to a thread sharing its fs info. */
  | { readonly op: 'isolate-fs' }
  /** setns into the namespace opened for `ns`. */
  | { readonly op: 'enter'; readonly pid: number; readonly ns: Namespace }
  /** `/` and everything under it stop propagating mounts back to the host. */
  | { readonly op: 'mark-root-slave' }
  /** Open the mount namespace's `/`: paths inside it are resolved from this handle. */
  | { readonly op: 'open-root' }
  /** Open `rootfs` inside that `/`. */
  | { readonly op: 'open-rootfs'; readonly rootfs: string }
  /** Attach bind `bind` over the file's own path in the container's mount namespace. */
  | { readonly op: 'bind-host-file'; readonly bind: number; readonly file: NetworkFile; readonly source: string }
  /** Attach bind `bind` over the file's path inside the rootfs. */
  | {
      readonly op: 'bind-rootfs-file';
      readonly bind: number;
      readonly rootfs: string;
      readonly file: NetworkFile;
      readonly source: string;
    }
  | { readonly op: 'set-hostname'; readonly hostname: string }
  /** Bring up `lo` in the network namespace entered last. */
  | { readonly op: 'loopback-up'; readonly pid: number };

/** The flags `network-cni-setup` acts on (see ./flags.ts). */
export interface SetupFlags {
  pid?: number | undefined;
  parent_pid?: number | undefined;
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

/** `rootfs`/`file` as Mesos names it in messages. */
export function inRootfs(rootfs: string, file: NetworkFile): string {
  return `${rootfs === '/' ? '' : rootfs}${file}`;
}

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

  // A hostname means a container of its own network namespace: its `lo`
  // starts down and is ours to bring up.
  const namespaces: Namespace[] = flags.hostname === undefined ? ['mnt'] : ['mnt', 'uts', 'net'];
  const readOnly = flags.bind_readonly;
  const clones: Step[] = [];
  const binds: Step[] = [];
  for (const [file, source] of files) {
    if (flags.bind_host_files) {
      const bind = clones.length;
      clones.push({ op: 'clone-source', bind, source, target: file, readOnly });
      binds.push({ op: 'bind-host-file', bind, file, source });
    }
    if (rootfs !== undefined) {
      const bind = clones.length;
      clones.push({ op: 'clone-source', bind, source, target: inRootfs(rootfs, file), readOnly });
      binds.push({ op: 'bind-rootfs-file', bind, rootfs, file, source });
    }
  }

  const steps: Step[] = [
    { op: 'open-process', pid },
    ...(flags.parent_pid === undefined ? [] : [{ op: 'check-parent', pid, parentPid: flags.parent_pid } as Step]),
    ...namespaces.map((ns): Step => ({ op: 'open-namespace', pid, ns })),
    ...namespaces.map((ns): Step => ({ op: 'refuse-host-namespace', pid, ns })),
    ...clones,
    { op: 'isolate-fs' },
    { op: 'enter', pid, ns: 'mnt' },
    { op: 'mark-root-slave' },
  ];
  if (binds.length > 0) steps.push({ op: 'open-root' });
  if (rootfs !== undefined) steps.push({ op: 'open-rootfs', rootfs });
  steps.push(...binds);
  if (flags.hostname !== undefined) {
    steps.push(
      { op: 'enter', pid, ns: 'uts' },
      { op: 'set-hostname', hostname: flags.hostname },
      { op: 'enter', pid, ns: 'net' },
      { op: 'loopback-up', pid },
    );
  }
  return { ok: true, steps };
}
