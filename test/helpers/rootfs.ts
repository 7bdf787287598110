// A tiny root filesystem for container tests: a static busybox with a link
// for each of its applets, the directories a container mounts over, and
// just enough of /etc for users and hostnames. Made in a fresh temporary
// directory; `remove` deletes it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's busybox-static (and most other packages) put busybox. */
const BUSYBOX_CANDIDATES = ['/bin/busybox', '/usr/bin/busybox', '/sbin/busybox', '/usr/sbin/busybox'];

export function findBusybox(): string | undefined {
  return BUSYBOX_CANDIDATES.find((path) => existsSync(path));
}

/** Whether `path` is a static executable: a dynamic one would need its libraries in the rootfs. */
export function isStatic(path: string): boolean {
  const result = spawnSync('ldd', [path], { encoding: 'utf8' });
  // ldd says "not a dynamic executable" (glibc) or fails outright for a static binary.
  return result.status !== 0 || /not a dynamic executable|statically linked/.test(`${result.stdout}${result.stderr}`);
}

export interface Rootfs {
  /** The real, absolute path of the root directory. */
  readonly path: string;
  remove(): void;
}

export interface RootfsOptions {
  /** Extra files to write, by path inside the rootfs. */
  readonly files?: Readonly<Record<string, string>>;
}

/**
 * Builds a busybox rootfs. Throws when there is no static busybox here
 * (Debian: apt-get install busybox-static).
 */
export function makeBusyboxRootfs(options: RootfsOptions = {}): Rootfs {
  const busybox = findBusybox();
  if (busybox === undefined || !isStatic(busybox)) throw new Error('a static busybox is needed (apt-get install busybox-static)');
  // Realpath: launch wants a root that is its own real path.
  const path = realpathSync(mkdtempSync(join(tmpdir(), 'rootfs-')));
  const remove = () => rmSync(path, { recursive: true, force: true });
  try {
    for (const directory of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'root', 'home', 'var/tmp']) {
      mkdirSync(join(path, directory), { recursive: true });
    }
    copyFileSync(busybox, join(path, 'bin', 'busybox'));
    const list = spawnSync(busybox, ['--list'], { encoding: 'utf8' });
    if (list.status !== 0) throw new Error(`busybox --list failed: ${list.stderr}`);
    for (const applet of list.stdout.split('\n').filter((name) => name !== '' && name !== 'busybox')) {
      // Relative links: they resolve the same inside the container and out.
      const link = join(path, 'bin', applet);
      if (!existsSync(link)) symlinkSync('busybox', link);
    }
    const files: Record<string, string> = {
      '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
      '/etc/group': 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n',
      // Mount points for the files the agent binds in, so nothing is created in the image.
      '/etc/hosts': '127.0.0.1 localhost\n',
      '/etc/hostname': 'rootfs\n',
      '/etc/resolv.conf': '',
      ...options.files,
    };
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(join(path, file, '..'), { recursive: true });
      writeFileSync(join(path, file), content);
    }
  } catch (error) {
    remove();
    throw error;
  }
  return { path, remove };
}
