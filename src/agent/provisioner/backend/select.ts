// Which backend stacks a container's root filesystem, as Mesos's
// provisioner chooses: the one the operator names
// (--image_provisioner_backend, MESOS_IMAGE_PROVISIONER_BACKEND), else the
// first of overlay and copy that works here. Overlay needs overlayfs in
// the kernel and a provisioner directory on a filesystem it can keep an
// upper layer on (not aufs, btrfs, eCryptfs, zfs or overlayfs itself);
// copy works everywhere.

export type BackendName = 'overlay' | 'copy';

/** statfs's f_type of the filesystems overlay can't keep its upper layer on. */
export const OVERLAY_UNSUPPORTED_FILESYSTEMS: Readonly<Record<number, string>> = {
  0x61756673: 'aufs',
  0x9123683e: 'btrfs',
  0xf15f: 'ecryptfs',
  0x2fc12fc1: 'zfs',
  0x794c7630: 'overlay',
};

/** What the selection looks at, probed by the system. */
export interface BackendSupport {
  /** overlay is in /proc/filesystems. */
  readonly overlayInKernel: boolean;
  /** statfs's f_type of the provisioner directory. */
  readonly filesystemType: number;
}

export type BackendChoice = { readonly backend: BackendName; readonly notes: readonly string[] } | { readonly problem: string };

/** Why overlay can't be used here, or undefined when it can. */
function overlayProblem(support: BackendSupport): string | undefined {
  if (!support.overlayInKernel) return "Backend 'overlay' is not supported: the kernel has no overlay filesystem";
  const name = OVERLAY_UNSUPPORTED_FILESYSTEMS[support.filesystemType];
  if (name !== undefined) return `Backend 'overlay' is not supported on the underlying filesystem '${name}'`;
  return undefined;
}

export function selectBackend(named: string | undefined, support: BackendSupport): BackendChoice {
  if (named !== undefined && named !== '') {
    if (named === 'copy') return { backend: 'copy', notes: [] };
    if (named !== 'overlay') return { problem: `The specified provisioner backend '${named}' is not supported` };
    const problem = overlayProblem(support);
    return problem === undefined ? { backend: 'overlay', notes: [] } : { problem };
  }
  const problem = overlayProblem(support);
  return problem === undefined ? { backend: 'overlay', notes: [] } : { backend: 'copy', notes: [problem] };
}
