// One container start on a stacked root filesystem, for bench/rootfs.sh:
// the layers given (bottom first) stacked as the agent stacks them (its
// RootfsStep, the backend it would choose), a container of /bin/true on
// them with the agent's defaults (capabilities, masks, seccomp), started
// through the helper as the agent starts one, and everything removed.
//
//   node rootfs-task.js LAYER [LAYER...]
//
// A --rootfs directory is one layer; a cached image is its layers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerConfig } from '../src/agent/container-config';
import { containerDefaults, taskDefaults } from '../src/agent/defaults';
import { RootfsStep } from '../src/agent/rootfs-step';
import { Container } from '../src/agent/supervision/container';
import { randomUuid } from '../src/agent/uuid';

async function main(layers: string[]): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'bench-rootfs-'));
  try {
    const warn = (message: string) => process.stderr.write(`${message}\n`);
    const step = RootfsStep.start(join(work, 'provisioner'), process.env, warn);
    const containerId = randomUuid();
    const defaults = taskDefaults(containerDefaults(process.env), { asRoot: true, rootfs: true });
    if (typeof defaults === 'string') throw new Error(defaults);
    const stacked = step.provision(containerId, layers, []);
    try {
      const container = new Container(
        containerConfig({
          containerId,
          runtimeDirectory: join(work, 'run'),
          command: { shell: false, value: '/bin/true', arguments: ['/bin/true'] },
          environment: [],
          rootfs: stacked.rootfs,
          ...(stacked.overlay === undefined ? {} : { rootfsOverlay: stacked.overlay }),
          ...defaults,
          network: { isolated: false },
          pidsLimit: 64,
          cgroups: { name: `bench-rootfs-${containerId}` },
          stdout: 'inherit',
          stderr: 'inherit',
          warn,
        }),
      );
      const end = await container.ended;
      return end.ran && end.waitStatus === 0 ? 0 : 1;
    } finally {
      const failure = step.release(containerId);
      if (failure !== undefined) warn(failure);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`rootfs-task: ${error.message}\n`);
    process.exit(1);
  },
);
