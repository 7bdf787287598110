// A container's root filesystem from read-only layers, as Mesos's
// provisioner backends make it: overlayfs over the layers with a writable
// layer of the container's own, or a copy of the layers laid one over the
// other. The overlay itself is mounted inside the container's own mount
// namespace as it is made (by the clone program, before the helper or a
// CNI network's setup look at the root), so it can't leak into the host's
// and goes with the container's last process, even when the agent dies; what stays on disk (the writable layer, the copy,
// the short links) goes with `destroyRootfs`, or with the next agent's
// `removeRootfsLeftovers`.
//
// Every system call is the BackendSystem's (system.ts); the decisions are
// plan.ts's and select.ts's.
import { join } from 'node:path';
import { randomUuid } from '../../uuid';
import { containersDir, type EtcKind, etcPlaceholders, overlayMount, type RootfsMount, rootfsLayout } from './plan';
import type { BackendName, BackendSupport } from './select';

export { selectBackend, type BackendName, type BackendChoice } from './select';
export { RootfsPlanError, type RootfsMount } from './plan';

export interface BackendSystem {
  support(directory: string): BackendSupport;
  /** mkdir -p; the last one with `mode`. */
  makeDirectory(path: string, mode: number): void;
  /** A fresh directory of our own with a short path, for the links to the layers. */
  makeLinkDirectory(): string;
  /** Whether `path` is one makeLinkDirectory made (so that removing it is ours to do). */
  isLinkDirectory(path: string): boolean;
  symlink(target: string, path: string): void;
  /** The symlink's text, or undefined when `path` is not a symlink. */
  readLink(path: string): string | undefined;
  /** Lays `layer` over `rootfs`, whiteouts and opaque directories honoured, nothing followed. */
  applyLayer(layer: string, rootfs: string): void;
  /** What `layer` has at /etc, not followed. */
  etcOf(layer: string): EtcKind;
  /** Makes `<directory>/etc` as given, and an empty file for each name, in our own fresh writable layer. */
  makeEtcPlaceholders(directory: string, etc: { mode: number; uid: number; gid: number }, files: readonly string[]): void;
  /** Replaces each `<rootfs>/etc/<name>` that is a symlink with an empty file; an /etc that is not a directory is left alone. */
  replaceEtcSymlinks(rootfs: string, files: readonly string[]): void;
  /** The names in a directory; none when it is not there. */
  list(directory: string): string[];
  /** rm -rf, following no link. */
  removeTree(path: string): void;
}

export interface RootfsRequest {
  /** The agent's provisioner directory: a real path, no symlink in it. */
  readonly provisionerDir: string;
  readonly containerId: string;
  readonly backend: BackendName;
  /** The read-only layers, bottom first: the agent's own real paths. */
  readonly layers: readonly string[];
  /** The files of /etc the agent will bind in (hosts, hostname, resolv.conf). */
  readonly etcFiles: readonly string[];
}

export interface ProvisionedRootfs {
  readonly backend: BackendName;
  /** The container's root: the real path launch gets. */
  readonly rootfs: string;
  /** overlay's mount, to be made in the container's mount namespace; none for a copy. */
  readonly mounts: readonly RootfsMount[];
}

/** Makes the container's root filesystem; on a failure, removes what it made and throws. */
export function provisionRootfs(request: RootfsRequest, system: BackendSystem): ProvisionedRootfs {
  const layout = rootfsLayout(request.provisionerDir, request.containerId, request.backend, randomUuid());
  if (request.layers.length === 0) throw new Error('No filesystem layer provided');
  try {
    system.makeDirectory(layout.rootfs, 0o755);
    if (request.backend === 'copy') {
      for (const layer of request.layers) system.applyLayer(layer, layout.rootfs);
      system.replaceEtcSymlinks(layout.rootfs, request.etcFiles);
      return { backend: 'copy', rootfs: layout.rootfs, mounts: [] };
    }
    system.makeDirectory(layout.upperdir, 0o755);
    system.makeDirectory(layout.workdir, 0o700);
    const linkDirectory = system.makeLinkDirectory();
    system.symlink(linkDirectory, layout.links);
    const links = request.layers.map((layer, index) => {
      const link = join(linkDirectory, String(index));
      system.symlink(layer, link);
      return link;
    });
    const mount = overlayMount(links, layout);
    const etc = etcPlaceholders([...request.layers].reverse().map((layer) => system.etcOf(layer)), request.etcFiles);
    if (etc !== undefined) system.makeEtcPlaceholders(layout.upperdir, etc.etc, etc.files);
    return { backend: 'overlay', rootfs: layout.rootfs, mounts: [mount] };
  } catch (error) {
    try {
      destroyRootfs(request.provisionerDir, request.containerId, system);
    } catch {
      // The first failure is the one to tell; the next agent's start removes what is left.
    }
    throw error;
  }
}

/**
 * Removes everything the container's root filesystem left on disk: the
 * short links (where its `links` leads, if it is ours), the writable
 * layer, the copy, the mount point.
 */
export function destroyRootfs(provisionerDir: string, containerId: string, system: BackendSystem): void {
  const containerDir = join(containersDir(provisionerDir), containerId);
  for (const backend of system.list(join(containerDir, 'backends'))) {
    const scratch = join(containerDir, 'backends', backend, 'scratch');
    for (const rootfsId of system.list(scratch)) {
      const target = system.readLink(join(scratch, rootfsId, 'links'));
      if (target !== undefined && system.isLinkDirectory(target)) system.removeTree(target);
    }
  }
  system.removeTree(containerDir);
}

/** Removes what containers of a previous agent left; resolves with the failures, one line each. */
export function removeRootfsLeftovers(provisionerDir: string, system: BackendSystem): string[] {
  const failures: string[] = [];
  for (const containerId of system.list(containersDir(provisionerDir))) {
    try {
      destroyRootfs(provisionerDir, containerId, system);
    } catch (error) {
      failures.push(`Failed to remove the root filesystem of container ${containerId}: ${(error as Error).message}`);
    }
  }
  return failures;
}
