// Hostile images against the filesystem steps of `launch`, as root.
//
// 1. The check-then-use race of runc's CVE-2021-30465: while launch works,
//    a process swaps a directory of the rootfs with a symlink to a host
//    directory (renameat2 RENAME_EXCHANGE in a tight loop). A launch that
//    looks a path up and then uses it by name lands, now and then, on the
//    host. What stops it: every path is opened by the kernel inside the
//    rootfs (openat2 RESOLVE_IN_ROOT) and used only through the fd it gave
//    (src/launch/filesystem.ts).
// 2. Images whose /tmp or /proc is a symlink leading out.
// 3. A read-only bind keeps the nosuid, nodev and noexec of its source.
//
// Every launch runs under `unshare -m`: no mount made here reaches the
// test's own mount table. Run `npm run build` first.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { hostBusybox, makeBusyboxRootfs, type BusyboxRootfs } from './helpers/busybox-rootfs';
import { helperEnv, WITHOUT_TAP } from './helpers/fuzz';
import { killQuietly } from './helpers/process';
import { CONTAINERIZER, isRoot } from './helpers/run';

const CLONE_NEWNS = 0x20000;
const MS_RDONLY = 0x1;
const MS_BIND = 0x1000;
const HOST_MARKER = 'host-only-marker';

const have = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
const skip = !isRoot
  ? 'needs root'
  : hostBusybox() === undefined
    ? 'needs busybox-static'
    : !have('cc') || !have('unshare')
      ? 'needs cc and unshare(1)'
      : false;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `[...prefix] node bin/mesos-containerizer launch --launch_info=...`, to its end. */
function launch(info: Record<string, unknown>, prefix: readonly string[] = ['unshare', '-m']): Ran {
  const argv = [...WITHOUT_TAP, ...prefix, process.execPath, CONTAINERIZER, 'launch', `--launch_info=${JSON.stringify(info)}`];
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', env: helperEnv(), timeout: 60_000 });
  if (result.error !== undefined) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The last line of stderr, for messages. */
const last = (ran: Ran) => ran.stderr.trimEnd().split('\n').at(-1) ?? '';

/** The test's own mount table, without the `ip netns` mounts others' tests make meanwhile. */
function hostMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !/ \/(var\/)?run\/netns(\/| )/.test(line));
}

/** Every entry under `directory`, recursively, with its kind: a listing to compare. */
function listing(directory: string): string[] {
  const entries: string[] = [];
  const walk = (path: string, prefix: string) => {
    for (const name of readdirSync(path).sort()) {
      const stats = lstatSync(join(path, name));
      entries.push(`${prefix}${name} ${stats.isSymbolicLink() ? 'link' : stats.isDirectory() ? 'dir' : 'file'}`);
      if (stats.isDirectory()) walk(join(path, name), `${prefix}${name}/`);
    }
  };
  walk(directory, '');
  return entries;
}

function rootfs(t: Test, prefix: string): BusyboxRootfs {
  const fs = makeBusyboxRootfs(prefix);
  t.teardown(() => fs.cleanup());
  return fs;
}

/** A directory beside the rootfs, as the host's own: a marker and a secret. */
function hostDirectory(fs: BusyboxRootfs): string {
  const host = join(fs.base, 'host');
  mkdirSync(host);
  writeFileSync(join(host, HOST_MARKER), '');
  writeFileSync(join(host, 'secret'), 'host secret\n');
  mkdirSync(join(host, 'secret-dir'));
  return host;
}

// The attacker: swaps each pair of names (a directory and a symlink) for
// as long as it runs; prints how many swaps it made when told to stop.
const SWAPPER = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
static volatile sig_atomic_t stop;
static void done(int sig) { (void)sig; stop = 1; }
int main(int argc, char **argv) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGTERM, done);
  unsigned long swaps = 0;
  while (!stop)
    for (int i = 1; i + 1 < argc; i += 2, swaps++)
      if (syscall(SYS_renameat2, AT_FDCWD, argv[i], AT_FDCWD, argv[i + 1], 2 /* RENAME_EXCHANGE */) != 0) {
        perror("renameat2");
        return 1;
      }
  printf("%lu\\n", swaps);
  return 0;
}
`;

const LAUNCHES = 100;
/** Operations of each kind per launch, half through each swapped name. */
const PER_LAUNCH = 4;

t.test('a directory swapped with a symlink to the host while launch works', { skip }, async (t) => {
  const fs = rootfs(t, 'mc-race-');
  const r = fs.path;
  const host = hostDirectory(fs);
  // Two swapped names: one whose link is absolute, one whose link climbs out.
  const races = [
    { name: 'race', link: host },
    { name: 'race2', link: '../host' },
  ];
  // Inside the rootfs, the links lead to these: the image's own copies of
  // the paths, so that each operation lands somewhere whichever way the
  // swap stands, and can be counted.
  const decoys = [join(r, host), join(r, 'host')];
  const names = (launchIndex: number, k: number) => `${launchIndex}-${k}`;
  mkdirSync(join(r, 'victims'));
  mkdirSync(join(r, 'loot'));
  for (const directory of [host, ...decoys, ...races.map(({ name }) => join(r, name))]) {
    mkdirSync(join(directory, 'secret-dir'), { recursive: true });
    writeFileSync(join(directory, 'secret'), 'a secret\n');
    for (let launchIndex = 0; launchIndex < LAUNCHES; launchIndex++) {
      for (let k = 0; k < PER_LAUNCH; k++) writeFileSync(join(directory, `steal-${names(launchIndex, k)}`), '');
    }
  }
  for (let launchIndex = 0; launchIndex < LAUNCHES; launchIndex++) {
    for (let k = 0; k < PER_LAUNCH; k++) writeFileSync(join(r, 'victims', `v-${names(launchIndex, k)}`), '');
  }
  for (const { name, link } of races) symlinkSync(link, join(r, `${name}.link`));

  const swapperSource = join(fs.base, 'swapper.c');
  writeFileSync(swapperSource, SWAPPER);
  const swapperPath = join(fs.base, 'swapper');
  const compiled = spawnSync('cc', ['-O2', '-o', swapperPath, swapperSource], { encoding: 'utf8' });
  t.equal(compiled.status, 0, `the swapper compiles ${compiled.stderr}`);

  const hostBefore = listing(host);
  const besideBefore = readdirSync(fs.base).sort();
  const mountsBefore = hostMounts();

  const swapper = spawn(swapperPath, races.flatMap(({ name }) => [join(r, name), join(r, `${name}.link`)]), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let swapperOutput = '';
  swapper.stdout.on('data', (chunk: Buffer) => (swapperOutput += chunk.toString()));
  swapper.stderr.on('data', (chunk: Buffer) => (swapperOutput += chunk.toString()));
  const swapperExit = new Promise<number | null>((resolve) => swapper.once('exit', (code) => resolve(code)));
  t.teardown(() => killQuietly(swapper.pid));
  // Below the launches: they must get the CPU, the swapper whatever is left.
  setPriority(swapper.pid!, 10);

  const started = Date.now();
  const problems: string[] = [];
  let launched = 0;
  for (let launchIndex = 0; launchIndex < LAUNCHES; launchIndex++) {
    const mounts: unknown[] = [];
    const operations: unknown[] = [];
    const masks: string[] = [];
    for (let k = 0; k < PER_LAUNCH; k++) {
      const through = `${r}/${races[k % 2]!.name}`;
      const n = names(launchIndex, k);
      mounts.push({ source: 'tmpfs', target: `${through}/m-${n}`, type: 'tmpfs', options: 'size=16k' });
      masks.push(`${through}/secret`, `${through}/secret-dir`);
      operations.push(
        { operation: 'MKDIR', mkdir: { target: `${through}/mk-${n}/a/b`, recursive: true } },
        { operation: 'SYMLINK', symlink: { source: '/etc/passwd', target: `${through}/ln-${n}` } },
        { operation: 'RENAME', rename: { source: `${r}/victims/v-${n}`, target: `${through}/mv-${n}` } },
        { operation: 'RENAME', rename: { source: `${through}/steal-${n}`, target: `${r}/loot/steal-${n}` } },
      );
    }
    // In the helper's mount namespace, after the mounts, masks and file
    // operations: any mount point at or under the host directory.
    const check = `grep -F ' ${host}' /proc/self/mountinfo | sed 's/^/leak: /'; true`;
    const ran = launch({
      command: { shell: false, value: '/bin/true' },
      rootfs: r,
      clone_namespaces: [CLONE_NEWNS],
      mounts,
      masked_paths: masks,
      file_operations: operations,
      pre_exec_commands: [{ value: check }],
    });
    launched++;
    if (ran.code !== 0) problems.push(`launch ${launchIndex}: exit ${ran.code}: ${last(ran)}`);
    const leaks = ran.stdout.split('\n').filter((line) => line.startsWith('leak: '));
    if (leaks.length > 0) problems.push(`launch ${launchIndex}: mounted on the host directory: ${leaks.join('; ')}`);
    const hostNow = listing(host);
    if (hostNow.join('\n') !== hostBefore.join('\n')) {
      problems.push(`launch ${launchIndex}: the host directory changed: ${hostNow.filter((entry) => !hostBefore.includes(entry)).join(', ') || 'entries went missing'}`);
      break;
    }
    if (readdirSync(fs.base).sort().join('\n') !== besideBefore.join('\n')) {
      problems.push(`launch ${launchIndex}: something was made beside the rootfs: ${readdirSync(fs.base).join(', ')}`);
      break;
    }
    if (hostMounts().join('\n') !== mountsBefore.join('\n')) {
      problems.push(`launch ${launchIndex}: the test's own mount table changed`);
      break;
    }
  }
  const seconds = (Date.now() - started) / 1000;
  swapper.kill('SIGTERM');
  const swapperCode = await swapperExit;
  t.equal(swapperCode, 0, `the swapper ran to the end (${swapperOutput.trim()})`);
  t.comment(`${launched} launches in ${seconds.toFixed(1)} s, ${swapperOutput.trim()} swaps meanwhile`);

  t.same(problems, [], `${launched} launches under the swap: each ran, and nothing of the host changed`);
  t.equal(launched, LAUNCHES, 'every launch ran');
  t.same(listing(host), hostBefore, 'the host directory is as it was');
  t.same(hostMounts(), mountsBefore, "the test's own mount table is as it was");

  // Where each operation landed: the real directories (whichever name each
  // has now) or the image's copies of the host path. Exactly once each,
  // and both ways, or the swap never met a launch.
  const realDirectories = races.map(({ name }) =>
    [join(r, name), join(r, `${name}.link`)].find((path) => !lstatSync(path).isSymbolicLink())!,
  );
  const places = [...realDirectories, ...decoys];
  const count = (prefix: string, at: readonly string[]) =>
    at.reduce((sum, directory) => sum + readdirSync(directory).filter((name) => name.startsWith(prefix)).length, 0);
  const total = LAUNCHES * PER_LAUNCH;
  for (const [what, prefix] of [
    ['mount targets', 'm-'],
    ['MKDIR', 'mk-'],
    ['SYMLINK', 'ln-'],
    ['RENAME into', 'mv-'],
  ] as const) {
    const inReal = count(prefix, realDirectories);
    const inDecoys = count(prefix, decoys);
    t.equal(inReal + inDecoys, total, `${what}: all ${total} landed in the rootfs (${inReal} in the swapped directories, ${inDecoys} where the links lead)`);
    t.ok(inReal > 0 && inDecoys > 0, `${what}: the swap met the launches both ways`);
  }
  const stolen = readdirSync(join(r, 'loot')).length;
  t.equal(stolen, total, 'RENAME out of: every file moved came from the rootfs');
  t.equal(count('steal-', places), total * 4 - total, 'each from one of its two copies in the rootfs');
});

t.test("an image whose /tmp is a symlink: the root changes without mounting anything there", { skip }, async (t) => {
  for (const to of ['/etc', 'host']) {
    const fs = rootfs(t, 'mc-tmp-link-');
    const r = fs.path;
    const host = hostDirectory(fs);
    const link = to === 'host' ? host : to;
    rmSync(join(r, 'tmp'), { recursive: true });
    symlinkSync(link, join(r, 'tmp'));
    const imageBefore = listing(r);
    const hostBefore = listing(host);
    const etcBefore = readdirSync('/etc').sort();
    const ran = launch({
      command: { shell: true, value: 'echo ran; cat /proc/self/mountinfo' },
      rootfs: r,
      clone_namespaces: [CLONE_NEWNS],
      mounts: [{ source: 'proc', target: `${r}/proc`, type: 'proc' }],
    });
    t.equal(ran.code, 0, `tmp -> ${link}: the task ran (${last(ran)})`);
    t.match(ran.stdout, /^ran$/m);
    const mountPoints = ran.stdout
      .split('\n')
      .filter((line) => / - /.test(line))
      .map((line) => line.split(' ')[4]);
    t.same(
      mountPoints.filter((point) => point === '/tmp' || point === '/etc' || point === link || point!.startsWith(`${link}/`)),
      [],
      `tmp -> ${link}: nothing is mounted at the link or where it leads (${JSON.stringify(mountPoints)})`,
    );
    t.same(listing(r), imageBefore, `tmp -> ${link}: nothing was made in the image`);
    t.same(listing(host), hostBefore, `tmp -> ${link}: nor in the host directory`);
    t.same(readdirSync('/etc').sort(), etcBefore, `tmp -> ${link}: nor in the host's /etc`);
  }
});

t.test('an image whose /proc is a symlink to / does not get host directories bound', { skip }, async (t) => {
  // As the agent asks for a rootfs: <rootfs>/proc/sys bound onto itself,
  // read-only. Resolved the host's way, <rootfs>/proc/sys would be the
  // host's /sys; in the image it is the image's own /sys.
  const fs = rootfs(t, 'mc-proc-link-');
  const r = fs.path;
  rmSync(join(r, 'proc'), { recursive: true });
  symlinkSync('/', join(r, 'proc'));
  writeFileSync(join(r, 'sys', 'image-sys-marker'), '');
  const bind = (target: string) => ({ source: `${r}/proc/sys`, target, flags: MS_BIND | MS_RDONLY });
  const probe = 'echo "sys=$(ls /sys | tr "\\n" " ")"; echo "bound=$(ls /mnt/sys | tr "\\n" " ")"; touch /mnt/sys/x 2>/dev/null && echo write=yes || echo write=no';
  for (const [what, mounts] of [
    ['bound elsewhere', [bind(`${r}/mnt/sys`)]],
    ['bound onto itself, then elsewhere', [bind(`${r}/proc/sys`), bind(`${r}/mnt/sys`)]],
  ] as const) {
    const ran = launch({ command: { shell: true, value: probe }, rootfs: r, clone_namespaces: [CLONE_NEWNS], mounts });
    t.equal(ran.code, 0, `${what}: the task ran (${last(ran)})`);
    t.match(ran.stdout, /^bound=image-sys-marker $/m, `${what}: what was bound at /mnt/sys is the image's /sys, not the host's`);
    t.match(ran.stdout, /^sys=image-sys-marker $/m, `${what}: the image's /sys is its own`);
    t.match(ran.stdout, /^write=no$/m, `${what}: bound read-only`);
  }
  t.notOk(existsSync(join(r, 'sys', 'x')), 'nothing was written through the binds');
});

t.test('a read-only bind keeps the nosuid, nodev and noexec of its source', { skip }, async (t) => {
  const fs = rootfs(t, 'mc-ro-bind-');
  const r = fs.path;
  const source = join(fs.base, 'volume');
  mkdirSync(source);
  // The source: a tmpfs mounted nosuid,nodev,noexec in the namespace launch starts in.
  const prefix = ['unshare', '-m', 'sh', '-c', 'mount -t tmpfs -o nosuid,nodev,noexec,size=1m tmpfs "$0" && echo in-volume > "$0/file" && exec "$@"', source];
  const ran = launch(
    {
      command: {
        shell: true,
        value: 'grep " /data " /proc/self/mountinfo; cat /data/file; touch /data/x 2>/dev/null && echo write=yes || echo write=no',
      },
      rootfs: r,
      clone_namespaces: [CLONE_NEWNS],
      mounts: [
        { source: 'proc', target: `${r}/proc`, type: 'proc' },
        { source, target: `${r}/data`, flags: MS_BIND | MS_RDONLY },
      ],
    },
    prefix,
  );
  t.equal(ran.code, 0, `the task ran (${last(ran)})`);
  const line = ran.stdout.split('\n').find((entry) => entry.split(' ')[4] === '/data');
  const options = line?.split(' ')[5]?.split(',') ?? [];
  for (const option of ['ro', 'nosuid', 'nodev', 'noexec']) t.ok(options.includes(option), `/data is ${option} (${line})`);
  t.match(ran.stdout, /^in-volume$/m, 'the volume is there');
  t.match(ran.stdout, /^write=no$/m, 'and read-only');
  t.notOk(existsSync(join(source, 'x')), 'nothing reached the source directory');
});
