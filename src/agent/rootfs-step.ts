// The root filesystem step of a task's launch: a root filesystem directory
// the task names (ROOTFS_LABEL) is a read-only layer, as an image's layers
// are, under a writable layer of the container's own (overlayfs, or a copy
// where overlay can't be used: see provisioner/backend/). The user's
// directory is never written, and any number of tasks can use it at once.
import { mkdirSync, realpathSync } from 'node:fs';
import {
  type BackendName,
  type BackendSystem,
  destroyRootfs,
  provisionRootfs,
  selectBackend,
} from './provisioner/backend/index';
import { hostBackendSystem } from './provisioner/backend/system';

export interface StackedRootfs {
  /** The container's root, for launch. */
  readonly rootfs: string;
  /** overlay's mount of it, for the clone program to make in the container's new mount namespace. */
  readonly overlay?: { readonly target: string; readonly options: string };
}

export class RootfsStep {
  private constructor(
    private readonly provisionerDir: string,
    readonly backend: BackendName,
    private readonly system: BackendSystem,
  ) {}

  /**
   * Makes the provisioner directory (what a previous agent left there is
   * removeLeftovers's, in work-dir.ts) and chooses the backend
   * (MESOS_IMAGE_PROVISIONER_BACKEND, else overlay where it works, else
   * copy). Throws when the named backend can't be used.
   */
  static start(provisionerDir: string, env: NodeJS.ProcessEnv, warn: (message: string) => void, system: BackendSystem = hostBackendSystem): RootfsStep {
    mkdirSync(provisionerDir, { recursive: true, mode: 0o700 });
    const real = realpathSync(provisionerDir);
    const choice = selectBackend(env['MESOS_IMAGE_PROVISIONER_BACKEND'], system.support(real));
    if ('problem' in choice) throw new Error(choice.problem);
    for (const note of choice.notes) warn(`${note}: using the copy backend`);
    return new RootfsStep(real, choice.backend, system);
  }

  /** The container's root over `layers` (bottom first; a rootfs directory is one). Throws with the reason. */
  provision(containerId: string, layers: readonly string[], etcFiles: readonly string[]): StackedRootfs {
    const made = provisionRootfs({ provisionerDir: this.provisionerDir, containerId, backend: this.backend, layers, etcFiles }, this.system);
    const [mount] = made.mounts;
    return { rootfs: made.rootfs, ...(mount === undefined ? {} : { overlay: { target: mount.target, options: mount.options } }) };
  }

  /** Removes the container's writable layer and root; the failure, if any. */
  release(containerId: string): string | undefined {
    try {
      destroyRootfs(this.provisionerDir, containerId, this.system);
      return undefined;
    } catch (error) {
      return `Failed to remove the root filesystem of container ${containerId}: ${(error as Error).message}`;
    }
  }
}
