// The container's /etc/hosts and /etc/hostname and, with a rootfs, the
// host's name servers, as Mesos's network isolators write them into the
// runtime directory; launch binds them over the container's own (see
// launch-info.ts).
import { lstatSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EtcFiles } from './launch-info';

export function writeEtcFiles(files: EtcFiles, hostname: string, rootfs: string | undefined): void {
  writeFileSync(files.hosts, `127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n127.0.1.1 ${hostname}\n`);
  writeFileSync(files.hostname, `${hostname}\n`);
  if (rootfs === undefined) return;
  let nameservers = '';
  try {
    nameservers = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    // Loopback only: no name server could be reached anyway.
  }
  writeFileSync(files.resolvConf, nameservers);
  replaceEtcSymlinks(rootfs);
}

/**
 * A symlink where a file is bound in the rootfs would take the bind
 * wherever it leads: as Mesos does, it becomes an empty file. An /etc that
 * leads out of the rootfs is left alone, for launch to refuse.
 */
function replaceEtcSymlinks(rootfs: string): void {
  let etc: string;
  try {
    etc = realpathSync(join(rootfs, 'etc'));
  } catch {
    return;
  }
  if (!etc.startsWith(`${rootfs}/`)) return;
  for (const name of ['hosts', 'hostname', 'resolv.conf']) {
    const path = join(etc, name);
    try {
      if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() !== true) continue;
      unlinkSync(path);
      // Exclusive: nothing put there meanwhile is followed.
      writeFileSync(path, '', { flag: 'wx' });
    } catch (error) {
      const why = (error as Error).message.replace(/^[A-Z]+: ([^,]*),.*$/s, '$1');
      throw new Error(`failed to make '${path}' a plain file to bind over: ${why}`);
    }
  }
}
