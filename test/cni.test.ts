// network-cni-setup: the plan and its order against a recording stand-in (no
// root needed), then the real thing with the CNI bridge plugin, inside
// network namespaces made here (the "host" side included). Run
// `npm run build` first: the integration tests run bin/mesos-containerizer.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname as osHostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLONE_FS, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWUTS, mountFlagNames } from '../native/libc';
import { planNetworkCniSetup, type SetupFlags, type Step } from '../src/cni/plan';
import { runSteps, type CniSystem, type RunResult } from '../src/cni/steps';
import { CONTAINERIZER, containerizer, isRoot, type Result } from './helpers/run';
import {
  Cleanup,
  addNetns,
  cniAdd,
  haveTools,
  inContainer,
  mountPoints,
  startContainer,
  uniqueName,
  type Container,
} from './helpers/netns';

// ---------------------------------------------------------------- the plan

/** A stand-in system: answers from a small table, records every change. */
class Recorder implements CniSystem {
  /** The changes made and programs run, in order. */
  readonly calls: string[] = [];
  readonly files = new Set<string>();
  readonly symlinks = new Map<string, string>();
  /** realpath answers; a path not listed resolves to itself. */
  readonly realpaths = new Map<string, string>();
  /** Calls (by their recorded text's start) that fail, with the reason. */
  readonly failing = new Map<string, string>();
  readonly runResults: RunResult[] = [];

  constructor(paths: Iterable<string> = []) {
    for (const path of paths) this.files.add(path);
  }

  private record(call: string): void {
    this.calls.push(call);
    for (const [start, reason] of this.failing) if (call.startsWith(start)) throw new Error(reason);
  }

  exists(path: string): boolean {
    return this.files.has(path) || this.symlinks.has(path);
  }
  isSymlink(path: string): boolean {
    return this.symlinks.has(path);
  }
  realpath(path: string): string {
    if (!this.exists(path)) throw new Error('No such file or directory');
    return this.realpaths.get(path) ?? path;
  }
  mkdir(path: string): void {
    this.record(`mkdir ${path}`);
    this.files.add(path);
  }
  createFile(path: string): void {
    this.record(`create ${path}`);
    if (this.exists(path)) throw new Error('File exists');
    this.files.add(path);
  }
  remove(path: string): void {
    this.record(`remove ${path}`);
    this.symlinks.delete(path);
    this.files.delete(path);
  }
  unshare(flags: number): void {
    this.record(`unshare 0x${flags.toString(16)}`);
  }
  setns(path: string, nstype: number): void {
    this.record(`setns ${path} 0x${nstype.toString(16)}`);
  }
  mount(source: string | null, target: string, flags: number): void {
    this.record(`mount ${source ?? 'none'} ${target} ${mountFlagNames(flags)}`);
  }
  sethostname(name: string): void {
    this.record(`sethostname ${name}`);
  }
  run(argv: readonly string[]): RunResult {
    this.record(`run ${argv.join(' ')}`);
    return this.runResults.shift() ?? { started: true, status: 0, signal: null };
  }
}

const PID = 42;
const PROC = [`/proc/${PID}`, `/proc/${PID}/ns/mnt`, `/proc/${PID}/ns/uts`, `/proc/${PID}/ns/net`];
const SOURCES = ['/cni/c1/hosts', '/cni/c1/hostname', '/cni/c1/resolv.conf'];
const HOST_FILES = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf'];
const ALL_FILES: SetupFlags = {
  pid: PID,
  etc_hosts_path: '/cni/c1/hosts',
  etc_hostname_path: '/cni/c1/hostname',
  etc_resolv_conf: '/cni/c1/resolv.conf',
  bind_host_files: false,
  bind_readonly: false,
};

const ENTER_MNT = [`unshare 0x${CLONE_FS.toString(16)}`, `setns /proc/${PID}/ns/mnt 0x${CLONE_NEWNS.toString(16)}`];
const SLAVE = 'mount none / MS_SLAVE|MS_REC';
const BIND = 'MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_BIND';
const BIND_RO = 'MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_BIND';
const REMOUNT_RO = 'MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_REMOUNT|MS_BIND';
const HOSTNAME_AND_LO = [
  `setns /proc/${PID}/ns/uts 0x${CLONE_NEWUTS.toString(16)}`,
  'sethostname box',
  `setns /proc/${PID}/ns/net 0x${CLONE_NEWNET.toString(16)}`,
  'run ip link set dev lo up',
];

function plan(flags: SetupFlags, system: CniSystem, cwd = '/work'): Step[] | string {
  const result = planNetworkCniSetup(flags, { exists: (path) => system.exists(path), cwd });
  return result.ok ? result.steps : result.message;
}

/** Plans and runs against `system`; the failure message, or undefined. */
function planAndRun(flags: SetupFlags, system: CniSystem): string | undefined {
  const steps = plan(flags, system);
  if (typeof steps === 'string') return steps;
  return runSteps(steps, system);
}

t.test('the plan: refusals, in Mesos order, before any change', async (t) => {
  const system = new Recorder([...SOURCES, ...PROC]);
  const cases: Array<[Partial<SetupFlags>, string]> = [
    [{ pid: undefined }, 'Container PID not specified'],
    [{ etc_hosts_path: '/nope/hosts', etc_resolv_conf: undefined }, "Unable to find '/nope/hosts'"],
    [{ etc_hostname_path: '/nope/hostname' }, "Unable to find '/nope/hostname'"],
    [{ etc_resolv_conf: undefined }, "Path to 'resolv.conf' not specified."],
    [{ etc_resolv_conf: '/nope/resolv.conf' }, "Unable to find '/nope/resolv.conf'"],
    [{ etc_hosts_path: '' }, "Unable to find ''"],
    [{ rootfs: '' }, "Flag --rootfs is empty: it must name the container's root directory"],
  ];
  for (const [change, message] of cases) {
    t.equal(plan({ ...ALL_FILES, ...change }, system), message, message);
  }
  t.same(system.calls, [], 'nothing was changed');
});

t.test('the plan: the steps for every flag, in order', async (t) => {
  const system = new Recorder([...SOURCES, ...PROC]);
  t.same(plan({ ...ALL_FILES, bind_host_files: true, rootfs: 'images/r', hostname: 'box', bind_readonly: true }, system), [
    { op: 'isolate-fs' },
    { op: 'enter', pid: PID, ns: 'mnt' },
    { op: 'mark-root-slave' },
    { op: 'bind-host-file', file: '/etc/hosts', source: '/cni/c1/hosts', readOnly: true },
    { op: 'bind-rootfs-file', rootfs: '/work/images/r', file: '/etc/hosts', source: '/cni/c1/hosts', readOnly: true },
    { op: 'bind-host-file', file: '/etc/hostname', source: '/cni/c1/hostname', readOnly: true },
    { op: 'bind-rootfs-file', rootfs: '/work/images/r', file: '/etc/hostname', source: '/cni/c1/hostname', readOnly: true },
    { op: 'bind-host-file', file: '/etc/resolv.conf', source: '/cni/c1/resolv.conf', readOnly: true },
    { op: 'bind-rootfs-file', rootfs: '/work/images/r', file: '/etc/resolv.conf', source: '/cni/c1/resolv.conf', readOnly: true },
    { op: 'enter', pid: PID, ns: 'uts' },
    { op: 'set-hostname', hostname: 'box' },
    { op: 'enter', pid: PID, ns: 'net' },
    { op: 'loopback-up', pid: PID },
  ]);
  // Only resolv.conf is required; a relative source is made absolute before the working directory changes.
  system.files.add('/work/rel/resolv.conf');
  system.files.add('rel/resolv.conf');
  t.same(plan({ pid: PID, etc_resolv_conf: 'rel/resolv.conf', bind_host_files: false, bind_readonly: false }, system), [
    { op: 'isolate-fs' },
    { op: 'enter', pid: PID, ns: 'mnt' },
    { op: 'mark-root-slave' },
  ]);
});

t.test('the calls: host files, rootfs, hostname and loopback, exactly in order', async (t) => {
  const system = new Recorder([...SOURCES, ...PROC, ...HOST_FILES, '/r', '/r/etc', '/r/etc/hosts']);
  t.equal(planAndRun({ ...ALL_FILES, bind_host_files: true, rootfs: '/r', hostname: 'box', bind_readonly: true }, system), undefined);
  t.same(system.calls, [
    ...ENTER_MNT,
    SLAVE,
    `mount /cni/c1/hosts /etc/hosts ${BIND_RO}`,
    `mount none /etc/hosts ${REMOUNT_RO}`,
    `mount /cni/c1/hosts /r/etc/hosts ${BIND_RO}`,
    `mount none /r/etc/hosts ${REMOUNT_RO}`,
    `mount /cni/c1/hostname /etc/hostname ${BIND_RO}`,
    `mount none /etc/hostname ${REMOUNT_RO}`,
    'create /r/etc/hostname',
    `mount /cni/c1/hostname /r/etc/hostname ${BIND_RO}`,
    `mount none /r/etc/hostname ${REMOUNT_RO}`,
    `mount /cni/c1/resolv.conf /etc/resolv.conf ${BIND_RO}`,
    `mount none /etc/resolv.conf ${REMOUNT_RO}`,
    'create /r/etc/resolv.conf',
    `mount /cni/c1/resolv.conf /r/etc/resolv.conf ${BIND_RO}`,
    `mount none /r/etc/resolv.conf ${REMOUNT_RO}`,
    ...HOSTNAME_AND_LO,
  ]);
});

t.test('the calls: writable binds are one mount each; no hostname, no UTS or network namespace', async (t) => {
  const system = new Recorder([...SOURCES, ...PROC, ...HOST_FILES]);
  t.equal(planAndRun({ ...ALL_FILES, bind_host_files: true }, system), undefined);
  t.same(system.calls, [
    ...ENTER_MNT,
    SLAVE,
    `mount /cni/c1/hosts /etc/hosts ${BIND}`,
    `mount /cni/c1/hostname /etc/hostname ${BIND}`,
    `mount /cni/c1/resolv.conf /etc/resolv.conf ${BIND}`,
  ]);
});

t.test('the calls: a missing host /etc/hosts or /etc/hostname is created; a missing /etc/resolv.conf is refused', async (t) => {
  const system = new Recorder([...SOURCES, ...PROC, '/etc/resolv.conf']);
  t.equal(planAndRun({ ...ALL_FILES, bind_host_files: true }, system), undefined);
  t.same(system.calls, [
    ...ENTER_MNT,
    SLAVE,
    'create /etc/hosts',
    `mount /cni/c1/hosts /etc/hosts ${BIND}`,
    'create /etc/hostname',
    `mount /cni/c1/hostname /etc/hostname ${BIND}`,
    `mount /cni/c1/resolv.conf /etc/resolv.conf ${BIND}`,
  ]);

  const noResolv = new Recorder([...SOURCES, ...PROC, '/etc/hosts', '/etc/hostname']);
  t.equal(
    planAndRun({ ...ALL_FILES, bind_host_files: true }, noResolv),
    "Mount point '/etc/resolv.conf' does not exist on the host filesystem",
  );
  t.same(noResolv.calls.slice(-1), [`mount /cni/c1/hostname /etc/hostname ${BIND}`], 'stops before resolv.conf');

  const readOnlyEtc = new Recorder([...SOURCES, ...PROC, '/etc/resolv.conf']);
  readOnlyEtc.failing.set('create /etc/hosts', 'Read-only file system');
  t.equal(
    planAndRun({ ...ALL_FILES, bind_host_files: true }, readOnlyEtc),
    'Unable to create missing mount point /etc/hosts on host filesystem: Read-only file system',
  );
});

t.test('the calls: a symlinked mount point in the rootfs becomes a plain file', async (t) => {
  for (const link of ['../run/resolv.conf', '/etc/resolv.conf']) {
    const system = new Recorder([...SOURCES, ...PROC, '/r', '/r/etc']);
    system.symlinks.set('/r/etc/resolv.conf', link);
    t.equal(planAndRun({ pid: PID, etc_resolv_conf: '/cni/c1/resolv.conf', rootfs: '/r', bind_host_files: false, bind_readonly: false }, system), undefined);
    t.same(
      system.calls,
      [
        ...ENTER_MNT,
        SLAVE,
        'remove /r/etc/resolv.conf',
        'create /r/etc/resolv.conf',
        `mount /cni/c1/resolv.conf /r/etc/resolv.conf ${BIND}`,
      ],
      `etc/resolv.conf -> ${link}`,
    );
  }
  const stuck = new Recorder([...SOURCES, ...PROC, '/r', '/r/etc']);
  stuck.symlinks.set('/r/etc/resolv.conf', '../run/resolv.conf');
  stuck.failing.set('remove', 'Permission denied');
  t.equal(
    planAndRun({ pid: PID, etc_resolv_conf: '/cni/c1/resolv.conf', rootfs: '/r', bind_host_files: false, bind_readonly: false }, stuck),
    "Failed to remove '/r/etc/resolv.conf' as it's a symbolic link",
  );
});

t.test('the calls: rootfs directories are resolved, made when missing, and must stay inside', async (t) => {
  const flags: SetupFlags = { pid: PID, etc_resolv_conf: '/cni/c1/resolv.conf', rootfs: '/link/r', bind_host_files: false, bind_readonly: false };

  // The rootfs itself through a symlink, its etc/ missing.
  const missing = new Recorder([...SOURCES, ...PROC, '/link/r', '/real/r']);
  missing.realpaths.set('/link/r', '/real/r');
  t.equal(planAndRun(flags, missing), undefined);
  t.same(missing.calls, [
    ...ENTER_MNT,
    SLAVE,
    'mkdir /real/r/etc',
    'create /real/r/etc/resolv.conf',
    `mount /cni/c1/resolv.conf /real/r/etc/resolv.conf ${BIND}`,
  ]);

  // etc/ a symlink to another directory inside the rootfs: followed.
  const inside = new Recorder([...SOURCES, ...PROC, '/link/r', '/real/r', '/real/r/usr/etc', '/real/r/usr/etc/resolv.conf']);
  inside.realpaths.set('/link/r', '/real/r');
  inside.symlinks.set('/real/r/etc', 'usr/etc');
  inside.realpaths.set('/real/r/etc', '/real/r/usr/etc');
  t.equal(planAndRun(flags, inside), undefined);
  t.same(inside.calls, [...ENTER_MNT, SLAVE, `mount /cni/c1/resolv.conf /real/r/usr/etc/resolv.conf ${BIND}`]);

  // etc/ a symlink leading out of the rootfs: refused before anything is made or mounted.
  for (const [link, real] of [
    ['/etc', '/etc'],
    ['../../outside/etc', '/outside/etc'],
    ['../r2/etc', '/real/r2/etc'],
  ]) {
    const outside = new Recorder([...SOURCES, ...PROC, '/link/r', '/real/r', real]);
    outside.realpaths.set('/link/r', '/real/r');
    outside.symlinks.set('/real/r/etc', link);
    outside.realpaths.set('/real/r/etc', real);
    t.equal(
      planAndRun(flags, outside),
      `Refusing to bind '/cni/c1/resolv.conf' into the rootfs: '/real/r/etc' resolves to '${real}', outside '/real/r'`,
      `etc -> ${link}`,
    );
    t.same(outside.calls, [...ENTER_MNT, SLAVE], `etc -> ${link}: no change past the slave mark`);
  }

  // A dangling etc/ symlink can't be resolved: refused too.
  const dangling = new Recorder([...SOURCES, ...PROC, '/link/r', '/real/r']);
  dangling.realpaths.set('/link/r', '/real/r');
  dangling.symlinks.set('/real/r/etc', '/nowhere');
  dangling.realpath = (path: string) => {
    if (path === '/real/r/etc') throw new Error('No such file or directory');
    return Recorder.prototype.realpath.call(dangling, path);
  };
  t.equal(planAndRun(flags, dangling), "Failed to resolve '/real/r/etc' in the rootfs: No such file or directory");
  t.same(dangling.calls, [...ENTER_MNT, SLAVE]);

  const gone = new Recorder([...SOURCES, ...PROC]);
  t.equal(planAndRun(flags, gone), "Failed to resolve the rootfs '/link/r': No such file or directory");

  const hostRoot = new Recorder([...SOURCES, ...PROC, '/link/r', '/']);
  hostRoot.realpaths.set('/link/r', '/');
  t.equal(planAndRun(flags, hostRoot), "Refusing to use '/link/r' as the rootfs: it resolves to '/'");
  t.same(hostRoot.calls, [...ENTER_MNT, SLAVE], "the host's own files are left alone");
});

t.test('the calls: a pid that is gone, a namespace that is not there, a refused setns', async (t) => {
  const gone = new Recorder(SOURCES);
  t.equal(planAndRun({ ...ALL_FILES, hostname: 'box' }, gone), `Failed to enter the mount namespace of pid ${PID}: Pid ${PID} does not exist`);
  t.same(gone.calls, [ENTER_MNT[0]], 'only the CLONE_FS unshare ran');

  const noUts = new Recorder([...SOURCES, `/proc/${PID}`, `/proc/${PID}/ns/mnt`]);
  t.equal(planAndRun({ ...ALL_FILES, hostname: 'box' }, noUts), `Failed to enter the UTS namespace of pid ${PID}: Namespace 'uts' is not supported`);

  const refused = new Recorder([...SOURCES, ...PROC]);
  refused.failing.set(`setns /proc/${PID}/ns/net`, 'Operation not permitted');
  t.equal(planAndRun({ ...ALL_FILES, hostname: 'box' }, refused), `Failed to enter the network namespace of pid ${PID}: Operation not permitted`);
  t.same(refused.calls.slice(-2), ['sethostname box', `setns /proc/${PID}/ns/net 0x${CLONE_NEWNET.toString(16)}`]);

  const badName = new Recorder([...SOURCES, ...PROC]);
  badName.failing.set('sethostname', 'Invalid argument');
  t.equal(planAndRun({ ...ALL_FILES, hostname: 'box' }, badName), "Failed to set the hostname of the container to 'box': Invalid argument");

  const noSlave = new Recorder([...SOURCES, ...PROC]);
  noSlave.failing.set('mount none /', 'Invalid argument');
  t.equal(planAndRun(ALL_FILES, noSlave), 'Failed to mark `/` as a SLAVE mount: Invalid argument');
});

t.test('the calls: a failed bind and a failed read-only remount', async (t) => {
  const bindFails = new Recorder([...SOURCES, ...PROC, ...HOST_FILES]);
  bindFails.failing.set('mount /cni/c1/hosts', 'No such file or directory');
  t.equal(
    planAndRun({ ...ALL_FILES, bind_host_files: true }, bindFails),
    "Failed to bind mount from '/cni/c1/hosts' to '/etc/hosts': No such file or directory",
  );
  const remountFails = new Recorder([...SOURCES, ...PROC, ...HOST_FILES]);
  remountFails.failing.set('mount none /etc/hosts', 'Permission denied');
  t.equal(
    planAndRun({ ...ALL_FILES, bind_host_files: true, bind_readonly: true }, remountFails),
    "Failed to bind mount from '/cni/c1/hosts' to '/etc/hosts': Read-only remount failed: Permission denied",
  );
});

t.test('the calls: loopback through ip, else ifconfig', async (t) => {
  const flags: SetupFlags = { ...ALL_FILES, hostname: 'box' };
  const prefix = `Failed to bring up the loopback interface in the new network namespace of pid ${PID}`;

  const noIp = new Recorder([...SOURCES, ...PROC]);
  noIp.runResults.push({ started: false, reason: 'No such file or directory' });
  t.equal(planAndRun(flags, noIp), undefined);
  t.same(noIp.calls.slice(-2), ['run ip link set dev lo up', 'run ifconfig lo up']);

  const neither = new Recorder([...SOURCES, ...PROC]);
  neither.runResults.push({ started: false, reason: 'No such file or directory' }, { started: false, reason: 'Permission denied' });
  t.equal(planAndRun(flags, neither), `${prefix}: could not start 'ip' (No such file or directory) nor 'ifconfig' (Permission denied)`);

  const ipFails = new Recorder([...SOURCES, ...PROC]);
  ipFails.runResults.push({ started: true, status: 2, signal: null });
  t.equal(planAndRun(flags, ipFails), `${prefix}: 'ip link set dev lo up' exited with status 2`);
  t.same(ipFails.calls.slice(-1), ['run ip link set dev lo up'], 'a failing ip is not retried with ifconfig');

  const killed = new Recorder([...SOURCES, ...PROC]);
  killed.runResults.push({ started: false, reason: 'No such file or directory' }, { started: true, status: null, signal: 'SIGKILL' });
  t.equal(planAndRun(flags, killed), `${prefix}: 'ifconfig lo up' was killed by signal SIGKILL`);
});

// ------------------------------------------------------------ for real

const BRIDGE = '/usr/lib/cni/bridge';
const needs =
  !isRoot
    ? 'needs root'
    : !haveTools('ip', 'unshare', 'nsenter', 'ifconfig')
      ? 'needs ip, unshare, nsenter and ifconfig'
      : !existsSync(BRIDGE) || !existsSync('/usr/lib/cni/host-local')
        ? 'needs the CNI bridge and host-local plugins'
        : !existsSync(join(__dirname, '..', 'dist', 'mesos-containerizer.js'))
          ? 'run `npm run build` first'
          : false;

interface HostState {
  files: Record<string, string>;
  hostname: string;
  mounts: string[];
}

function hostState(): HostState {
  const files: Record<string, string> = {};
  for (const file of HOST_FILES) files[file] = existsSync(file) ? readFileSync(file, 'utf8') : '<missing>';
  const hostnameRun = spawnSync('hostname', { encoding: 'utf8' });
  return { files, hostname: hostnameRun.status === 0 ? hostnameRun.stdout.trim() : osHostname(), mounts: mountPoints() };
}

function tempDir(cleanup: Cleanup, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.add(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A Cleanup run at teardown; leftovers it could not undo fail the test. */
function cleanupFor(t: Test): Cleanup {
  const cleanup = new Cleanup();
  t.teardown(async () => {
    await cleanup.run();
    if (cleanup.failures.length > 0) throw new Error(`cleanup failed: ${cleanup.failures.join('; ')}`);
  });
  return cleanup;
}

function setup(args: readonly string[], env?: NodeJS.ProcessEnv): Result {
  const options = env === undefined ? {} : { env };
  return containerizer(['network-cni-setup', ...args], options);
}

/** The network files as an agent's CNI isolator would write them. */
function networkFiles(dir: string, name: string, address: string): { hosts: string; hostname: string; resolv: string } {
  const files = {
    hosts: join(dir, 'hosts'),
    hostname: join(dir, 'hostname'),
    resolv: join(dir, 'resolv.conf'),
  };
  writeFileSync(files.hosts, `127.0.0.1 localhost\n${address} ${name}\n`);
  writeFileSync(files.hostname, `${name}\n`);
  writeFileSync(files.resolv, `# ${name}\nnameserver 10.99.0.53\n`);
  return files;
}

function loopbackIsUp(container: Container): boolean {
  const link = inContainer(container.pid, ['ip', '-o', 'link', 'show', 'dev', 'lo']);
  return /<[^>]*\bUP\b[^>]*>/.test(link.stdout);
}

/** mountinfo lines of the container's mount namespace, by mount point. */
function containerMounts(container: Container): Map<string, string> {
  const info = readFileSync(`/proc/${container.pid}/mountinfo`, 'utf8');
  const byPoint = new Map<string, string>();
  for (const line of info.split('\n').filter((l) => l !== '')) byPoint.set(line.split(' ')[4]!, line);
  return byPoint;
}

function oneLine(t: Test, result: Result, message: string): void {
  t.equal(result.code, 1, `exit 1: ${message}`);
  t.equal(result.stderr, `${message}\n`, 'one line on stderr');
  t.equal(result.stdout, '', 'nothing on stdout');
}

t.test('for real: a bridge-attached container gets its files, hostname and loopback', { skip: needs }, async (t) => {
  const cleanup = cleanupFor(t);
  const dir = tempDir(cleanup, 'mc-cni-');
  const hostNs = uniqueName('mch');
  addNetns(hostNs, cleanup);
  const container = await startContainer(cleanup);
  t.notOk(loopbackIsUp(container), 'lo starts down in the new network namespace');

  const result = cniAdd(
    hostNs,
    container.pid,
    {
      cniVersion: '0.4.0',
      name: 'mc-test',
      type: 'bridge',
      bridge: uniqueName('mcbr'),
      isGateway: false,
      ipMasq: false,
      ipam: { type: 'host-local', subnet: '10.99.0.0/24', dataDir: join(dir, 'ipam') },
    },
    cleanup,
  ) as { ips?: Array<{ address: string }> };
  const address = result.ips?.[0]?.address ?? '';
  t.match(address, /^10\.99\.0\.\d+\/24$/, 'the plugin gave the container an address');
  const ip = address.split('/')[0]!;

  const files = networkFiles(dir, 'mc-box', ip);
  const before = hostState();
  const run = setup([
    `--pid=${container.pid}`,
    '--hostname=mc-box',
    `--etc_hosts_path=${files.hosts}`,
    `--etc_hostname_path=${files.hostname}`,
    `--etc_resolv_conf=${files.resolv}`,
    '--bind_host_files',
    '--bind_readonly',
  ]);
  t.same({ code: run.code, stderr: run.stderr, stdout: run.stdout }, { code: 0, stderr: '', stdout: '' }, 'setup succeeds quietly');

  t.equal(inContainer(container.pid, ['hostname']).stdout.trim(), 'mc-box', 'the hostname is set');
  t.ok(loopbackIsUp(container), 'lo is UP');
  t.equal(inContainer(container.pid, ['cat', '/etc/hosts']).stdout, readFileSync(files.hosts, 'utf8'), '/etc/hosts is ours');
  t.equal(inContainer(container.pid, ['cat', '/etc/hostname']).stdout, 'mc-box\n', '/etc/hostname is ours');
  t.equal(inContainer(container.pid, ['cat', '/etc/resolv.conf']).stdout, readFileSync(files.resolv, 'utf8'), '/etc/resolv.conf is ours');
  for (const file of HOST_FILES) {
    const write = inContainer(container.pid, ['sh', '-c', `echo more >> ${file}`]);
    t.not(write.status, 0, `writing ${file} fails`);
    t.match(write.stderr, /Read-only file system/, `${file} is read-only`);
    const line = containerMounts(container).get(file) ?? '';
    t.match(line.split(' ')[5] ?? '', /^ro,nosuid,nodev,noexec/, `${file} is bound ro,nosuid,nodev,noexec`);
  }
  t.equal(readFileSync(files.hosts, 'utf8'), `127.0.0.1 localhost\n${ip} mc-box\n`, 'the source is untouched');
  const addresses = inContainer(container.pid, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']).stdout;
  t.match(addresses, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`), "the plugin's address is still on eth0");
  t.match(inContainer(container.pid, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'lo']).stdout, /inet 127\.0\.0\.1\/8/, 'lo has 127.0.0.1');

  t.same(hostState(), before, "the host's files, hostname and mount points are unchanged");
});

t.test('for real: writable binds, and ifconfig when there is no ip', { skip: needs }, async (t) => {
  const cleanup = cleanupFor(t);
  const dir = tempDir(cleanup, 'mc-cni-');
  const container = await startContainer(cleanup);
  const files = networkFiles(dir, 'mc-plain', '10.99.0.9');
  // A PATH with ifconfig but no ip: the loopback falls back.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const ifconfig = spawnSync('sh', ['-c', 'command -v ifconfig'], { encoding: 'utf8' }).stdout.trim();
  symlinkSync(ifconfig, join(bin, 'ifconfig'));

  const before = hostState();
  const run = spawnSync(
    process.execPath,
    [
      CONTAINERIZER,
      'network-cni-setup',
      `--pid=${container.pid}`,
      '--hostname=mc-plain',
      `--etc_hosts_path=${files.hosts}`,
      `--etc_hostname_path=${files.hostname}`,
      `--etc_resolv_conf=${files.resolv}`,
      '--bind_host_files',
    ],
    { encoding: 'utf8', env: { PATH: bin } },
  );
  t.same({ code: run.status, stderr: run.stderr }, { code: 0, stderr: '' }, 'setup succeeds');
  t.ok(loopbackIsUp(container), 'lo is UP through ifconfig');
  t.equal(inContainer(container.pid, ['hostname']).stdout.trim(), 'mc-plain');
  const write = inContainer(container.pid, ['sh', '-c', 'echo "10.99.0.10 other" >> /etc/hosts']);
  t.equal(write.status, 0, 'a writable bind takes writes');
  t.match(readFileSync(files.hosts, 'utf8'), /10\.99\.0\.10 other\n$/, 'which land in the source file');
  t.same(hostState(), before, 'the host is unchanged');

  // Neither ip nor ifconfig: one line.
  const other = await startContainer(cleanup);
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  const none = spawnSync(
    process.execPath,
    [CONTAINERIZER, 'network-cni-setup', `--pid=${other.pid}`, '--hostname=x', `--etc_resolv_conf=${files.resolv}`],
    { encoding: 'utf8', env: { PATH: empty } },
  );
  t.equal(none.status, 1);
  t.equal(
    none.stderr,
    `Failed to bring up the loopback interface in the new network namespace of pid ${other.pid}: could not start 'ip' (No such file or directory) nor 'ifconfig' (No such file or directory)\n`,
  );
});

/** A small rootfs: busybox, etc/, run/resolv.conf holding the image's own text. */
function makeRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'etc', 'run', 'tmp']) mkdirSync(join(rootfs, sub), { recursive: true });
  copyFileSync('/usr/bin/busybox', join(rootfs, 'bin', 'busybox'));
  writeFileSync(join(rootfs, 'run', 'resolv.conf'), 'nameserver 192.0.2.1 # the image\n');
  return rootfs;
}

function inRootfs(container: Container, rootfs: string, argv: readonly string[]) {
  return inContainer(container.pid, ['chroot', rootfs, '/bin/busybox', ...argv]);
}

t.test('for real: --rootfs with etc/resolv.conf a symlink, inside or out', { skip: needs || (!existsSync('/usr/bin/busybox') && 'needs busybox') }, async (t) => {
  for (const link of ['../run/resolv.conf', '/etc/resolv.conf']) {
    await t.test(`etc/resolv.conf -> ${link}`, async (t) => {
      const cleanup = cleanupFor(t);
      const dir = tempDir(cleanup, 'mc-cni-');
      const rootfs = makeRootfs(dir);
      symlinkSync(link, join(rootfs, 'etc', 'resolv.conf'));
      const files = networkFiles(dir, 'mc-image', '10.99.0.7');
      const container = await startContainer(cleanup);
      const containerResolvBefore = inContainer(container.pid, ['cat', '/etc/resolv.conf']).stdout;
      const before = hostState();

      const run = setup([
        `--pid=${container.pid}`,
        '--hostname=mc-image',
        `--rootfs=${rootfs}`,
        `--etc_hosts_path=${files.hosts}`,
        `--etc_hostname_path=${files.hostname}`,
        `--etc_resolv_conf=${files.resolv}`,
      ]);
      t.same({ code: run.code, stderr: run.stderr }, { code: 0, stderr: '' }, 'setup succeeds');

      t.equal(inRootfs(container, rootfs, ['cat', '/etc/resolv.conf']).stdout, readFileSync(files.resolv, 'utf8'), "the rootfs's /etc/resolv.conf is ours");
      t.equal(inRootfs(container, rootfs, ['cat', '/etc/hosts']).stdout, readFileSync(files.hosts, 'utf8'), "the rootfs's /etc/hosts (made) is ours");
      t.equal(inRootfs(container, rootfs, ['hostname']).stdout.trim(), 'mc-image');
      t.equal(inRootfs(container, rootfs, ['cat', '/run/resolv.conf']).stdout, 'nameserver 192.0.2.1 # the image\n', "the link's old target is untouched");
      t.equal(
        inContainer(container.pid, ['cat', '/etc/resolv.conf']).stdout,
        containerResolvBefore,
        "outside the rootfs, the container's own /etc/resolv.conf is untouched",
      );
      const mounts = containerMounts(container);
      t.notOk(mounts.has('/etc/resolv.conf') || mounts.has('/etc/hosts'), 'nothing is mounted outside the rootfs');
      t.ok(mounts.has(join(rootfs, 'etc', 'resolv.conf')), 'the bind is at <rootfs>/etc/resolv.conf');

      const mountPoint = lstatSync(join(rootfs, 'etc', 'resolv.conf'));
      t.ok(mountPoint.isFile() && mountPoint.size === 0, 'the symlink became an empty plain file');
      t.equal(readFileSync(join(rootfs, 'run', 'resolv.conf'), 'utf8'), 'nameserver 192.0.2.1 # the image\n');
      t.same(hostState(), before, "the host's files, hostname and mount points are unchanged");
    });
  }
});

t.test('for real: --rootfs whose etc/ leads outside it is refused', { skip: needs }, async (t) => {
  for (const kind of ['absolute', 'relative'] as const) {
    await t.test(`etc/ -> ${kind} path outside`, async (t) => {
      const cleanup = cleanupFor(t);
      const dir = tempDir(cleanup, 'mc-cni-');
      const rootfs = join(dir, 'rootfs');
      mkdirSync(rootfs);
      const outsideEtc = join(dir, 'outside-etc');
      mkdirSync(outsideEtc);
      writeFileSync(join(outsideEtc, 'keep'), 'keep\n');
      symlinkSync(kind === 'absolute' ? outsideEtc : '../outside-etc', join(rootfs, 'etc'));
      const files = networkFiles(dir, 'mc-escape', '10.99.0.8');
      const container = await startContainer(cleanup);
      const mountsBefore = [...containerMounts(container).keys()];
      const before = hostState();

      const run = setup([`--pid=${container.pid}`, `--rootfs=${rootfs}`, `--etc_resolv_conf=${files.resolv}`]);
      oneLine(
        t,
        run,
        `Refusing to bind '${files.resolv}' into the rootfs: '${join(rootfs, 'etc')}' resolves to '${outsideEtc}', outside '${rootfs}'`,
      );
      t.same(readdirSync(outsideEtc), ['keep'], 'nothing was made outside the rootfs');
      t.equal(readlinkSync(join(rootfs, 'etc')), kind === 'absolute' ? outsideEtc : '../outside-etc', 'the link is left alone');
      t.same([...containerMounts(container).keys()], mountsBefore, 'no mount was made in the container');
      t.same(hostState(), before, 'the host is unchanged');
    });
  }
});

t.test('for real: refusals are one line and exit 1', { skip: needs }, async (t) => {
  const cleanup = cleanupFor(t);
  const dir = tempDir(cleanup, 'mc-cni-');
  const files = networkFiles(dir, 'mc-refused', '10.99.0.6');
  const before = hostState();

  oneLine(t, setup([`--etc_resolv_conf=${files.resolv}`]), 'Container PID not specified');
  oneLine(t, setup(['--pid=1', `--etc_hosts_path=${join(dir, 'no-hosts')}`, `--etc_resolv_conf=${files.resolv}`]), `Unable to find '${join(dir, 'no-hosts')}'`);
  oneLine(t, setup(['--pid=1', `--etc_hostname_path=${join(dir, 'no-hostname')}`, `--etc_resolv_conf=${files.resolv}`]), `Unable to find '${join(dir, 'no-hostname')}'`);
  oneLine(t, setup(['--pid=1', `--etc_hosts_path=${files.hosts}`]), "Path to 'resolv.conf' not specified.");
  oneLine(t, setup(['--pid=1', `--etc_resolv_conf=${join(dir, 'no-resolv.conf')}`]), `Unable to find '${join(dir, 'no-resolv.conf')}'`);

  // A pid that is gone: a process we started and reaped.
  const gone = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  const pid = Number(gone.stdout.trim());
  t.notOk(existsSync(`/proc/${pid}`), `pid ${pid} is gone`);
  oneLine(
    t,
    setup([`--pid=${pid}`, '--hostname=x', `--etc_resolv_conf=${files.resolv}`, '--bind_host_files']),
    `Failed to enter the mount namespace of pid ${pid}: Pid ${pid} does not exist`,
  );
  t.same(hostState(), before, 'the host is unchanged');
});
