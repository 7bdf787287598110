// A tiny root filesystem for launch tests: a statically linked busybox with
// its applets as symlinks, the usual empty mount points, and passwd/group
// files naming root and nobody. Built in a fresh temporary directory; the
// caller removes it with `cleanup()` (after any mounts in it are gone).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BusyboxRootfs {
  /** The temporary directory holding the rootfs (and room for more). */
  base: string;
  /** The rootfs itself: `${base}/rootfs`, a canonical path. */
  path: string;
  cleanup(): void;
}

/** Where Debian's busybox-static puts its binary. */
export const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];

export function hostBusybox(): string | undefined {
  return BUSYBOX_CANDIDATES.find((candidate) => existsSync(candidate));
}

function applets(busybox: string): string[] {
  const result = spawnSync(busybox, ['--list'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${busybox} --list failed: ${result.stderr}`);
  return result.stdout.split('\n').filter((name) => /^[A-Za-z0-9_.[\-]+$/.test(name) && name !== 'busybox');
}

const DIRECTORIES = ['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home'];

export function makeBusyboxRootfs(prefix = 'launch-rootfs-'): BusyboxRootfs {
  const busybox = hostBusybox();
  if (busybox === undefined) throw new Error('busybox is not installed (apt-get install busybox-static)');
  // The canonical path: launch refuses a rootfs whose realpath differs.
  const base = mkdtempSync(join(tmpdir(), prefix));
  const path = join(base, 'rootfs');
  const cleanup = () => rmSync(base, { recursive: true, force: true });
  try {
    mkdirSync(path, { mode: 0o755 });
    chmodSync(path, 0o755);
    for (const directory of DIRECTORIES) {
      mkdirSync(join(path, directory), { mode: 0o755 });
      chmodSync(join(path, directory), 0o755);
    }
    chmodSync(join(path, 'tmp'), 0o1777);
    copyFileSync(busybox, join(path, 'bin', 'busybox'));
    chmodSync(join(path, 'bin', 'busybox'), 0o755);
    for (const applet of applets(busybox)) {
      const link = join(path, 'bin', applet);
      if (!existsSync(link)) symlinkSync('busybox', link);
    }
    writeFileSync(
      join(path, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
      { mode: 0o644 },
    );
    writeFileSync(join(path, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\nnobody:x:65534:\n', { mode: 0o644 });
  } catch (error) {
    cleanup();
    throw error;
  }
  return { base, path, cleanup };
}
