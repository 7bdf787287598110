// The decisions of a container's root filesystem, without a system call:
// where its pieces go under the provisioner directory (Mesos's layout),
// the overlay mount that stacks the layers, and what the agent prepares in
// the writable layer so that the files it binds into /etc have a plain
// file to go on.
//
//   <provisioner>/containers/<container id>/backends/<backend>/
//     rootfses/<rootfs id>/            the root: the overlay's mount point, or the copy
//     scratch/<rootfs id>/upperdir/    overlay's writable layer (the container's writes)
//     scratch/<rootfs id>/workdir/     overlay's work directory
//     scratch/<rootfs id>/links        a link to a short directory of links 0..N-1 to the layers
import { join } from 'node:path';
import type { BackendName } from './select';

/** mount(2) takes at most a page of options. */
export const MOUNT_OPTIONS_MAX = 4095;

export interface RootfsLayout {
  readonly containerDir: string;
  readonly rootfs: string;
  /** Overlay only. */
  readonly upperdir: string;
  readonly workdir: string;
  readonly links: string;
}

export function containersDir(provisionerDir: string): string {
  return join(provisionerDir, 'containers');
}

export function rootfsLayout(provisionerDir: string, containerId: string, backend: BackendName, rootfsId: string): RootfsLayout {
  const containerDir = join(containersDir(provisionerDir), containerId);
  const backendDir = join(containerDir, 'backends', backend);
  const scratch = join(backendDir, 'scratch', rootfsId);
  return {
    containerDir,
    rootfs: join(backendDir, 'rootfses', rootfsId),
    upperdir: join(scratch, 'upperdir'),
    workdir: join(scratch, 'workdir'),
    links: join(scratch, 'links'),
  };
}

/** A mount of the launch info. */
export interface RootfsMount {
  readonly source: string;
  readonly target: string;
  readonly type: string;
  readonly flags: number;
  readonly options: string;
}

export class RootfsPlanError extends Error {}

/** A path in overlay's options can't hold its separators. */
function optionPath(path: string): string {
  if (/[,:\\\n]/.test(path)) throw new RootfsPlanError(`The path '${path}' can't be given to overlayfs (it holds ',', ':' or '\\')`);
  return path;
}

/**
 * The overlay mount of `layers` (bottom first, as their links), with its
 * writable layer: overlayfs stacks lowerdir from the right, so the
 * bottom layer goes last.
 */
export function overlayMount(links: readonly string[], layout: RootfsLayout): RootfsMount {
  if (links.length === 0) throw new RootfsPlanError('No filesystem layer provided');
  const lower = [...links].reverse().map(optionPath).join(':');
  const options = `lowerdir=${lower},upperdir=${optionPath(layout.upperdir)},workdir=${optionPath(layout.workdir)}`;
  if (options.length > MOUNT_OPTIONS_MAX) {
    throw new RootfsPlanError(`Too many layers for one overlay mount: its options take ${options.length} bytes, mount(2) ${MOUNT_OPTIONS_MAX}`);
  }
  return { source: 'overlay', target: layout.rootfs, type: 'overlay', flags: 0, options };
}

/** What a layer has at /etc, not followed. */
export type EtcKind =
  | { readonly kind: 'directory'; readonly mode: number; readonly uid: number; readonly gid: number }
  | { readonly kind: 'missing' | 'whiteout' | 'other' };

/**
 * What goes into the writable layer for the files bound over /etc/<name>:
 * a plain empty file for each, in an /etc that looks as the top layer's
 * does, so that a bind never lands on a symlink of the image (which would
 * take it wherever the link leads in the root, or fail on a dangling one).
 * An /etc that is not a directory in the image (a symlink) is left alone:
 * launch resolves through it inside the root. `etcOf` is the layers' /etc,
 * top first, up to the first that has one.
 */
export function etcPlaceholders(topDown: readonly EtcKind[], names: readonly string[]): { readonly etc: { mode: number; uid: number; gid: number }; readonly files: readonly string[] } | undefined {
  if (names.length === 0) return undefined;
  const top = topDown.find((entry) => entry.kind !== 'missing');
  if (top === undefined || top.kind === 'whiteout') return { etc: { mode: 0o755, uid: 0, gid: 0 }, files: names };
  if (top.kind !== 'directory') return undefined;
  return { etc: { mode: top.mode & 0o7777, uid: top.uid, gid: top.gid }, files: names };
}
