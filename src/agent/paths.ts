// The package's own programs, found by walking up from this module: it sits
// in src/agent/ when run from source and in dist/ when bundled.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function findInPackage(relative: string): string {
  for (let directory = resolve(__dirname); ; directory = dirname(directory)) {
    const candidate = join(directory, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(directory) === directory) {
      throw new Error(`Cannot find ${relative} above ${__dirname} (has the package been built?)`);
    }
  }
}

/** `bin/mesos-containerizer`, the helper every container starts as. */
export function containerizerPath(): string {
  return findInPackage(join('bin', 'mesos-containerizer'));
}

/** `native/build/clone`, which starts a program in new namespaces. */
export function clonePath(): string {
  return findInPackage(join('native', 'build', 'clone'));
}

/** `seccomp/`, the package's seccomp profiles (Mesos's --seccomp_config_dir). */
export function seccompConfigDir(): string {
  return findInPackage('seccomp');
}
