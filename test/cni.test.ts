// network-cni-setup: the plan and its calls against a recording stand-in
// (no root needed), then the real thing with the CNI bridge plugin, inside
// network namespaces made here (the "host" side included). Run
// `npm run build` first: the integration tests run bin/mesos-containerizer.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import {
  CLONE_FS,
  CLONE_NEWNET,
  CLONE_NEWNS,
  CLONE_NEWUTS,
  MOUNT_ATTR_NODEV,
  MOUNT_ATTR_NOEXEC,
  MOUNT_ATTR_NOSUID,
  MOUNT_ATTR_RDONLY,
  MS_SLAVE,
  mountFlagNames,
} from '../native/libc';
import { planNetworkCniSetup, type SetupFlags, type Step } from '../src/cni/plan';
import { isKernelThread, runSteps, type CniSystem, type Fd, type Identity } from '../src/cni/steps';
import {
  HOST_FILES,
  cleanupFor,
  hostState,
  loopbackIsUp,
  mountOptions,
  mountsOf,
  needsForReal,
  networkFiles,
  oneLine,
  setup,
  tempDir,
} from './helpers/cni';
import { addNetns, cniAdd, inContainer, startContainer, uniqueName, type Container } from './helpers/netns';
import { CONTAINERIZER, cleanEnv } from './helpers/run';

// ---------------------------------------------------------------- the plan

type Entry = { readonly kind: 'directory' } | { readonly kind: 'file' } | { readonly kind: 'symlink'; readonly target: string };

type Handle =
  | { readonly what: 'process'; readonly pid: string }
  | { readonly what: 'namespace'; readonly path: string; readonly ino: bigint }
  | { readonly what: 'path'; readonly path: string }
  | { readonly what: 'tree'; readonly source: string; readonly options: string };

const DIRECTORY: Entry = { kind: 'directory' };
const FILE: Entry = { kind: 'file' };
const link = (target: string): Entry => ({ kind: 'symlink', target });

const ATTRIBUTE_NAMES: ReadonlyArray<[number, string]> = [
  [MOUNT_ATTR_RDONLY, 'ro'],
  [MOUNT_ATTR_NOSUID, 'nosuid'],
  [MOUNT_ATTR_NODEV, 'nodev'],
  [MOUNT_ATTR_NOEXEC, 'noexec'],
];

/**
 * A stand-in system: the host's /proc (processes and their namespaces, by
 * inode), the host files to bind, and the container's filesystem as a table
 * of paths. It records every change and namespace entered, in order; a call
 * whose record starts with a `failing` key throws that reason. With `only`,
 * any method not listed fails the test loudly: a run meant to stop early
 * can't reach further calls unnoticed.
 */
class World {
  /** The changes made, in order. */
  readonly calls: string[] = [];
  /** Methods called that were not given. */
  readonly unexpected: string[] = [];
  /** Host files the plan's probe sees (and open_tree can clone). */
  readonly hostFiles = new Set<string>(SOURCES);
  /** /proc/<pid>/ns/<ns> (and /proc/self/ns/<ns>) -> namespace inode. */
  readonly namespaces = new Map<string, bigint>();
  /** Paths under /proc whose open is refused, with the reason. */
  readonly denied = new Map<string, string>();
  /** Whether /proc/2 is a kernel thread (kthreadd). */
  kernelThread = true;
  /** The container's mount namespace, by absolute path. */
  readonly tree = new Map<string, Entry>([
    ['/', DIRECTORY],
    ['/etc', DIRECTORY],
  ]);
  readonly failing = new Map<string, string>();
  private readonly fds = new Map<Fd, Handle>();
  private nextFd = 3;
  private readonly inodes = new Map<string, bigint>();

  constructor() {
    // The container's namespaces are its own; ours are the host's, as are the kernel's.
    for (const ns of ['mnt', 'uts', 'net'] as const) {
      this.namespaces.set(`/proc/${PID}/ns/${ns}`, BigInt(100 + ['mnt', 'uts', 'net'].indexOf(ns)));
      for (const host of ['self', '1', '2']) this.namespaces.set(`/proc/${host}/ns/${ns}`, BigInt(200 + ['mnt', 'uts', 'net'].indexOf(ns)));
    }
  }

  /** The container's `/etc/...` files exist as plain files. */
  withFiles(...paths: string[]): this {
    for (const path of paths) this.tree.set(path, FILE);
    return this;
  }

  /** Descriptors opened and not closed. */
  get open(): number {
    return this.fds.size;
  }

  private record(call: string): void {
    this.calls.push(call);
    for (const [start, reason] of this.failing) if (call.startsWith(start)) throw new Error(reason);
  }

  private handle(fd: Fd): Handle {
    const handle = this.fds.get(fd);
    if (handle === undefined) throw new Error(`Bad file descriptor (${fd})`);
    return handle;
  }

  private pathOf(fd: Fd): string {
    const handle = this.handle(fd);
    if (handle.what !== 'path') throw new Error(`fd ${fd} is not a path`);
    return handle.path;
  }

  private give(handle: Handle): Fd {
    const fd = this.nextFd++;
    this.fds.set(fd, handle);
    return fd;
  }

  private inode(key: string): bigint {
    if (!this.inodes.has(key)) this.inodes.set(key, BigInt(1000 + this.inodes.size));
    return this.inodes.get(key)!;
  }

  /** In-root resolution as openat2's RESOLVE_IN_ROOT does it. */
  private resolve(root: string, path: string, follow: boolean): string | undefined {
    const join = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);
    let parts = path.split('/').filter((part) => part !== '' && part !== '.');
    let current = root;
    for (let hops = 0; parts.length > 0; ) {
      const name = parts.shift()!;
      if (name === '..') {
        if (current !== root) current = dirname(current);
        continue;
      }
      const next = join(current, name);
      const entry = this.tree.get(next);
      if (entry === undefined) return undefined;
      if (entry.kind === 'symlink' && (parts.length > 0 || follow)) {
        if (++hops > 40) throw new Error('Too many levels of symbolic links');
        parts = [...entry.target.split('/').filter((part) => part !== '' && part !== '.'), ...parts];
        if (entry.target.startsWith('/')) current = root;
        continue;
      }
      current = next;
    }
    return current;
  }

  /** The system, every method recording; with `only`, just those methods. */
  system(only?: ReadonlyArray<keyof CniSystem>): CniSystem {
    const full: CniSystem = {
      exists: (path) => this.hostFiles.has(path),
      open: (dir, path) => {
        const full = dir === undefined ? path : `/proc/${this.processOf(dir)}/${path}`;
        const reason = this.denied.get(full);
        if (reason !== undefined) throw new Error(reason);
        if (dir === undefined && /^\/proc\/(\d+|self)$/.test(full)) {
          const pid = full.slice('/proc/'.length);
          return [...this.namespaces.keys()].some((key) => key.startsWith(`${full}/`)) ? this.give({ what: 'process', pid }) : undefined;
        }
        if (full.startsWith('/proc/')) {
          const ino = this.namespaces.get(full);
          return ino === undefined ? undefined : this.give({ what: 'namespace', path: full, ino });
        }
        return this.tree.has(full) ? this.give({ what: 'path', path: full }) : undefined;
      },
      readFile: (dir, path) => {
        const pid = this.processOf(dir);
        if (path !== 'stat') throw new Error('No such file or directory');
        return pid === '2' && this.kernelThread
          ? '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0'
          : `${pid} (sleep (x)) S 1 1 1 0 -1 4194560 0 0 0 0`;
      },
      resolveInRoot: (root, path, follow) => {
        const found = this.resolve(this.pathOf(root), path, follow);
        return found === undefined ? undefined : this.give({ what: 'path', path: found });
      },
      identify: (fd): Identity => {
        const handle = this.handle(fd);
        if (handle.what === 'namespace') return { dev: 4n, ino: handle.ino, kind: 'other' };
        if (handle.what !== 'path') return { dev: 9n, ino: this.inode(`${fd}`), kind: 'other' };
        const entry = this.tree.get(handle.path);
        const kind = entry === undefined ? 'file' : entry.kind;
        return { dev: 1n, ino: this.inode(handle.path), kind };
      },
      makeDirectory: (dir, name) => {
        const path = `${this.pathOf(dir).replace(/\/$/, '')}/${name}`;
        this.record(`mkdir ${path}`);
        if (this.tree.has(path)) throw new Error('File exists');
        this.tree.set(path, DIRECTORY);
      },
      createFile: (dir, name) => {
        const path = `${this.pathOf(dir).replace(/\/$/, '')}/${name}`;
        this.record(`create ${path}`);
        if (this.tree.has(path)) throw new Error('File exists');
        this.tree.set(path, FILE);
        return this.give({ what: 'path', path });
      },
      remove: (dir, name) => {
        const path = `${this.pathOf(dir).replace(/\/$/, '')}/${name}`;
        this.record(`remove ${path}`);
        this.tree.delete(path);
      },
      close: (fd) => {
        this.handle(fd);
        this.fds.delete(fd);
      },
      unshare: (flags) => this.record(`unshare 0x${flags.toString(16)}`),
      setns: (fd, nstype) => {
        const handle = this.handle(fd);
        this.record(`setns ${handle.what === 'namespace' ? handle.path : `fd ${fd}`} 0x${nstype.toString(16)}`);
      },
      mount: (target, flags) => this.record(`mount ${target} ${mountFlagNames(flags)}`),
      cloneMount: (path, attributes, propagation) => {
        const options = ATTRIBUTE_NAMES.filter(([bit]) => (attributes & bit) !== 0).map(([, name]) => name).join(',');
        this.record(`clone ${path} ${options} ${mountFlagNames(propagation)}`);
        if (!this.hostFiles.has(path)) throw new Error('No such file or directory');
        return this.give({ what: 'tree', source: path, options });
      },
      attachMount: (tree, target) => {
        const handle = this.handle(tree);
        if (handle.what !== 'tree') throw new Error('Invalid argument');
        this.record(`bind ${handle.source} ${this.pathOf(target)} ${handle.options}`);
      },
      sethostname: (name) => this.record(`sethostname ${name}`),
      loopbackUp: () => this.record('loopback up'),
    };
    if (only === undefined) return full;
    const limited = {} as Record<keyof CniSystem, unknown>;
    for (const name of Object.keys(full) as Array<keyof CniSystem>) {
      limited[name] = only.includes(name)
        ? full[name]
        : () => {
            this.unexpected.push(name);
            throw new Error(`unexpected call of ${name}`);
          };
    }
    return limited as unknown as CniSystem;
  }

  private processOf(fd: Fd): string {
    const handle = this.handle(fd);
    if (handle.what !== 'process') throw new Error(`fd ${fd} is not a process`);
    return handle.pid;
  }
}

const PID = 42;
const SOURCES = ['/cni/c1/hosts', '/cni/c1/hostname', '/cni/c1/resolv.conf'];
const ALL_FILES: SetupFlags = {
  pid: PID,
  etc_hosts_path: '/cni/c1/hosts',
  etc_hostname_path: '/cni/c1/hostname',
  etc_resolv_conf: '/cni/c1/resolv.conf',
  bind_host_files: false,
  bind_readonly: false,
};
const RESOLV_ONLY: SetupFlags = { pid: PID, etc_resolv_conf: '/cni/c1/resolv.conf', bind_host_files: false, bind_readonly: false };

/** What the host side may do before entering anything: look, never change. */
const LOOKING: ReadonlyArray<keyof CniSystem> = ['exists', 'open', 'readFile', 'identify', 'close'];

const hex = (value: number) => `0x${value.toString(16)}`;
const W = 'nosuid,nodev,noexec';
const RO = 'ro,nosuid,nodev,noexec';
const SLAVE = mountFlagNames(MS_SLAVE);
const clone = (source: string, options = W) => `clone ${source} ${options} ${SLAVE}`;
const ENTER_MNT = [`unshare ${hex(CLONE_FS)}`, `setns /proc/${PID}/ns/mnt ${hex(CLONE_NEWNS)}`, 'mount / MS_SLAVE|MS_REC'];
const HOSTNAME_AND_LO = [
  `setns /proc/${PID}/ns/uts ${hex(CLONE_NEWUTS)}`,
  'sethostname box',
  `setns /proc/${PID}/ns/net ${hex(CLONE_NEWNET)}`,
  'loopback up',
];

function plan(flags: SetupFlags, system: CniSystem, cwd = '/work'): Step[] | string {
  const result = planNetworkCniSetup(flags, { exists: (path) => system.exists(path), cwd });
  return result.ok ? result.steps : result.message;
}

/** Plans and runs against `world` (limited to `only`); the failure message, or undefined. */
function planAndRun(flags: SetupFlags, world: World, only?: ReadonlyArray<keyof CniSystem>): string | undefined {
  const system = world.system(only);
  const steps = plan(flags, system);
  if (typeof steps === 'string') return steps;
  return runSteps(steps, system);
}

t.test('the plan: refusals, in Mesos order, before any change', async (t) => {
  const world = new World();
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
    t.equal(plan({ ...ALL_FILES, ...change }, world.system(['exists'])), message, message);
  }
  t.same(world.calls, [], 'nothing was changed');
  t.same(world.unexpected, [], 'only the sources were looked at');
});

t.test('the plan: the steps for every flag, in order', async (t) => {
  const world = new World();
  const flags = { ...ALL_FILES, bind_host_files: true, rootfs: 'images/r', hostname: 'box', bind_readonly: true };
  const r = '/work/images/r';
  t.same(plan(flags, world.system()), [
    { op: 'open-process', pid: PID },
    { op: 'open-namespace', pid: PID, ns: 'mnt' },
    { op: 'open-namespace', pid: PID, ns: 'uts' },
    { op: 'open-namespace', pid: PID, ns: 'net' },
    { op: 'refuse-host-namespace', pid: PID, ns: 'mnt' },
    { op: 'refuse-host-namespace', pid: PID, ns: 'uts' },
    { op: 'refuse-host-namespace', pid: PID, ns: 'net' },
    { op: 'clone-source', bind: 0, source: '/cni/c1/hosts', target: '/etc/hosts', readOnly: true },
    { op: 'clone-source', bind: 1, source: '/cni/c1/hosts', target: `${r}/etc/hosts`, readOnly: true },
    { op: 'clone-source', bind: 2, source: '/cni/c1/hostname', target: '/etc/hostname', readOnly: true },
    { op: 'clone-source', bind: 3, source: '/cni/c1/hostname', target: `${r}/etc/hostname`, readOnly: true },
    { op: 'clone-source', bind: 4, source: '/cni/c1/resolv.conf', target: '/etc/resolv.conf', readOnly: true },
    { op: 'clone-source', bind: 5, source: '/cni/c1/resolv.conf', target: `${r}/etc/resolv.conf`, readOnly: true },
    { op: 'isolate-fs' },
    { op: 'enter', pid: PID, ns: 'mnt' },
    { op: 'mark-root-slave' },
    { op: 'open-root' },
    { op: 'open-rootfs', rootfs: r },
    { op: 'bind-host-file', bind: 0, file: '/etc/hosts', source: '/cni/c1/hosts' },
    { op: 'bind-rootfs-file', bind: 1, rootfs: r, file: '/etc/hosts', source: '/cni/c1/hosts' },
    { op: 'bind-host-file', bind: 2, file: '/etc/hostname', source: '/cni/c1/hostname' },
    { op: 'bind-rootfs-file', bind: 3, rootfs: r, file: '/etc/hostname', source: '/cni/c1/hostname' },
    { op: 'bind-host-file', bind: 4, file: '/etc/resolv.conf', source: '/cni/c1/resolv.conf' },
    { op: 'bind-rootfs-file', bind: 5, rootfs: r, file: '/etc/resolv.conf', source: '/cni/c1/resolv.conf' },
    { op: 'enter', pid: PID, ns: 'uts' },
    { op: 'set-hostname', hostname: 'box' },
    { op: 'enter', pid: PID, ns: 'net' },
    { op: 'loopback-up', pid: PID },
  ]);
  // Only resolv.conf is required; a relative source is made absolute before the working directory changes.
  world.hostFiles.add('rel/resolv.conf');
  t.same(plan({ pid: PID, etc_resolv_conf: 'rel/resolv.conf', bind_host_files: false, bind_readonly: false }, world.system()), [
    { op: 'open-process', pid: PID },
    { op: 'open-namespace', pid: PID, ns: 'mnt' },
    { op: 'refuse-host-namespace', pid: PID, ns: 'mnt' },
    { op: 'isolate-fs' },
    { op: 'enter', pid: PID, ns: 'mnt' },
    { op: 'mark-root-slave' },
  ]);
});

t.test('the calls: host files, rootfs, hostname and loopback, exactly in order', async (t) => {
  const world = new World().withFiles('/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/r', '/r/etc', '/r/etc/hosts');
  world.tree.set('/r', DIRECTORY).set('/r/etc', DIRECTORY);
  t.equal(planAndRun({ ...ALL_FILES, bind_host_files: true, rootfs: '/r', hostname: 'box', bind_readonly: true }, world), undefined);
  t.same(world.calls, [
    clone('/cni/c1/hosts', RO),
    clone('/cni/c1/hosts', RO),
    clone('/cni/c1/hostname', RO),
    clone('/cni/c1/hostname', RO),
    clone('/cni/c1/resolv.conf', RO),
    clone('/cni/c1/resolv.conf', RO),
    ...ENTER_MNT,
    `bind /cni/c1/hosts /etc/hosts ${RO}`,
    `bind /cni/c1/hosts /r/etc/hosts ${RO}`,
    `bind /cni/c1/hostname /etc/hostname ${RO}`,
    'create /r/etc/hostname',
    `bind /cni/c1/hostname /r/etc/hostname ${RO}`,
    `bind /cni/c1/resolv.conf /etc/resolv.conf ${RO}`,
    'create /r/etc/resolv.conf',
    `bind /cni/c1/resolv.conf /r/etc/resolv.conf ${RO}`,
    ...HOSTNAME_AND_LO,
  ]);
  t.equal(world.open, 0, 'every descriptor was closed');
});

t.test('the calls: writable binds are nosuid,nodev,noexec too; no hostname, no UTS or network namespace', async (t) => {
  const world = new World().withFiles('/etc/hosts', '/etc/hostname', '/etc/resolv.conf');
  t.equal(planAndRun({ ...ALL_FILES, bind_host_files: true }, world), undefined);
  t.same(world.calls, [
    clone('/cni/c1/hosts'),
    clone('/cni/c1/hostname'),
    clone('/cni/c1/resolv.conf'),
    ...ENTER_MNT,
    `bind /cni/c1/hosts /etc/hosts ${W}`,
    `bind /cni/c1/hostname /etc/hostname ${W}`,
    `bind /cni/c1/resolv.conf /etc/resolv.conf ${W}`,
  ]);
  t.equal(world.open, 0, 'every descriptor was closed');
});

t.test('the calls: a missing host /etc/hosts or /etc/hostname is created; a missing /etc/resolv.conf is refused', async (t) => {
  const world = new World().withFiles('/etc/resolv.conf');
  t.equal(planAndRun({ ...ALL_FILES, bind_host_files: true }, world), undefined);
  t.same(world.calls.slice(3), [
    ...ENTER_MNT,
    'create /etc/hosts',
    `bind /cni/c1/hosts /etc/hosts ${W}`,
    'create /etc/hostname',
    `bind /cni/c1/hostname /etc/hostname ${W}`,
    `bind /cni/c1/resolv.conf /etc/resolv.conf ${W}`,
  ]);

  const noResolv = new World().withFiles('/etc/hosts', '/etc/hostname');
  t.equal(
    planAndRun({ ...ALL_FILES, bind_host_files: true }, noResolv),
    "Mount point '/etc/resolv.conf' does not exist on the host filesystem",
  );
  t.same(noResolv.calls.slice(-1), [`bind /cni/c1/hostname /etc/hostname ${W}`], 'stops before resolv.conf');
  t.equal(noResolv.open, 0, 'every descriptor was closed');

  const readOnlyEtc = new World().withFiles('/etc/resolv.conf');
  readOnlyEtc.failing.set('create /etc/hosts', 'Read-only file system');
  t.equal(
    planAndRun({ ...ALL_FILES, bind_host_files: true }, readOnlyEtc),
    'Unable to create missing mount point /etc/hosts on host filesystem: Read-only file system',
  );

  const noEtc = new World();
  noEtc.tree.delete('/etc');
  t.equal(
    planAndRun({ ...ALL_FILES, bind_host_files: true }, noEtc),
    'Unable to create missing mount point /etc/hosts on host filesystem: No such file or directory',
  );
});

t.test("the calls: a host file's symlink is followed, but only within the namespace's /", async (t) => {
  // Debian's /etc/resolv.conf may link to the resolver's file: the bind goes
  // there and the link stays, as a bind by path would have it.
  const world = new World().withFiles('/run/resolv.conf');
  world.tree.set('/run', DIRECTORY).set('/etc/resolv.conf', link('../run/resolv.conf'));
  t.equal(planAndRun({ ...RESOLV_ONLY, bind_host_files: true }, world), undefined);
  t.same(world.calls.slice(-1), [`bind /cni/c1/resolv.conf /run/resolv.conf ${W}`]);
  t.same(world.tree.get('/etc/resolv.conf'), link('../run/resolv.conf'), 'the link is left alone');

  // `..` stops at `/`.
  const climbing = new World().withFiles('/run/resolv.conf');
  climbing.tree.set('/run', DIRECTORY).set('/etc/resolv.conf', link('../../../../run/resolv.conf'));
  t.equal(planAndRun({ ...RESOLV_ONLY, bind_host_files: true }, climbing), undefined);
  t.same(climbing.calls.slice(-1), [`bind /cni/c1/resolv.conf /run/resolv.conf ${W}`]);
});

t.test('the calls: a symlinked mount point in the rootfs becomes a plain file', async (t) => {
  const flags: SetupFlags = { ...RESOLV_ONLY, rootfs: '/r' };
  for (const target of ['../run/resolv.conf', '/etc/resolv.conf', '/nowhere']) {
    const world = new World().withFiles('/etc/resolv.conf', '/r/run/resolv.conf');
    world.tree.set('/r', DIRECTORY).set('/r/etc', DIRECTORY).set('/r/run', DIRECTORY).set('/r/etc/resolv.conf', link(target));
    t.equal(planAndRun(flags, world), undefined, `etc/resolv.conf -> ${target}`);
    t.same(
      world.calls.slice(1),
      [...ENTER_MNT, 'remove /r/etc/resolv.conf', 'create /r/etc/resolv.conf', `bind /cni/c1/resolv.conf /r/etc/resolv.conf ${W}`],
      `etc/resolv.conf -> ${target}: replaced, and nothing else touched`,
    );
    t.same(world.tree.get('/r/run/resolv.conf'), FILE, "the link's target is left alone");
  }
  const stuck = new World();
  stuck.tree.set('/r', DIRECTORY).set('/r/etc', DIRECTORY).set('/r/etc/resolv.conf', link('../run/resolv.conf'));
  stuck.failing.set('remove', 'Permission denied');
  t.equal(planAndRun(flags, stuck), "Failed to remove '/r/etc/resolv.conf' as it's a symbolic link");
  t.same(stuck.calls.slice(-1), ['remove /r/etc/resolv.conf'], 'nothing is mounted');
  t.equal(stuck.open, 0, 'every descriptor was closed');
});

t.test("the calls: rootfs paths resolve in the rootfs as its own /: made when missing, never outside", async (t) => {
  const flags: SetupFlags = { ...RESOLV_ONLY, rootfs: '/r' };
  const rootfs = (world: World) => world.tree.set('/r', DIRECTORY);

  // etc/ missing: made.
  const missing = new World();
  rootfs(missing);
  t.equal(planAndRun(flags, missing), undefined);
  t.same(missing.calls.slice(1), [...ENTER_MNT, 'mkdir /r/etc', 'create /r/etc/resolv.conf', `bind /cni/c1/resolv.conf /r/etc/resolv.conf ${W}`]);

  // etc/ an absolute or relative link to a directory of the image: followed inside the rootfs.
  for (const target of ['/usr/etc', 'usr/etc', '../../usr/etc']) {
    const inside = new World();
    rootfs(inside).set('/r/usr', DIRECTORY).set('/r/usr/etc', DIRECTORY).set('/r/etc', link(target));
    inside.tree.set('/usr', DIRECTORY).set('/usr/etc', DIRECTORY);
    t.equal(planAndRun(flags, inside), undefined, `etc -> ${target}`);
    t.same(
      inside.calls.slice(-2),
      ['create /r/usr/etc/resolv.conf', `bind /cni/c1/resolv.conf /r/usr/etc/resolv.conf ${W}`],
      `etc -> ${target}: the image's /usr/etc, not the host's`,
    );
  }

  // etc/ a link whose target is not in the rootfs (though it is on the host): refused, nothing made.
  for (const target of ['/outside/etc', '../../outside/etc', '/nowhere']) {
    const outside = new World();
    rootfs(outside).set('/outside', DIRECTORY).set('/outside/etc', DIRECTORY).set('/r/etc', link(target));
    t.equal(
      planAndRun(flags, outside),
      "Failed to create directory '/r/etc' for the mount point: File exists",
      `etc -> ${target}`,
    );
    t.same(outside.calls.slice(1), [...ENTER_MNT, 'mkdir /r/etc'], `etc -> ${target}: nothing made or mounted`);
    t.equal(outside.open, 0, 'every descriptor was closed');
  }

  const gone = new World();
  t.equal(planAndRun(flags, gone), "Failed to open the rootfs '/r': No such file or directory");

  const hostRoot = new World();
  hostRoot.tree.set('/r', link('/'));
  t.equal(planAndRun(flags, hostRoot), "Refusing to use '/r' as the rootfs: it resolves to '/'");
  t.same(hostRoot.calls.slice(1), ENTER_MNT, "the namespace's own files are left alone");
});

t.test('the calls: a pid that is gone, a namespace that is not there, an unopenable one, a refused setns', async (t) => {
  const gone = new World();
  gone.namespaces.clear();
  t.equal(planAndRun({ ...ALL_FILES, hostname: 'box' }, gone, LOOKING), `Failed to enter the mount namespace of pid ${PID}: Pid ${PID} does not exist`);

  const noUts = new World();
  noUts.namespaces.delete(`/proc/${PID}/ns/uts`);
  t.equal(
    planAndRun({ ...ALL_FILES, hostname: 'box' }, noUts, LOOKING),
    `Failed to enter the UTS namespace of pid ${PID}: Namespace 'uts' is not supported`,
  );
  t.same([noUts.calls, noUts.unexpected, noUts.open], [[], [], 0], 'nothing was entered or changed, nothing left open');

  const denied = new World();
  denied.denied.set(`/proc/${PID}/ns/net`, 'Permission denied');
  t.equal(
    planAndRun({ ...ALL_FILES, hostname: 'box' }, denied, LOOKING),
    `Failed to enter the network namespace of pid ${PID}: Failed to open '/proc/${PID}/ns/net': Permission denied`,
  );
  t.same([denied.calls, denied.unexpected], [[], []], 'refused before any change: every namespace is opened first');

  const refused = new World();
  refused.failing.set(`setns /proc/${PID}/ns/net`, 'Operation not permitted');
  t.equal(planAndRun({ ...ALL_FILES, hostname: 'box' }, refused), `Failed to enter the network namespace of pid ${PID}: Operation not permitted`);
  t.same(refused.calls.slice(-2), ['sethostname box', `setns /proc/${PID}/ns/net ${hex(CLONE_NEWNET)}`]);
  t.equal(refused.open, 0, 'every descriptor was closed');

  const noSlave = new World();
  noSlave.failing.set('mount /', 'Invalid argument');
  t.equal(planAndRun(ALL_FILES, noSlave), 'Failed to mark `/` as a SLAVE mount: Invalid argument');

  const badName = new World();
  badName.failing.set('sethostname', 'Invalid argument');
  t.equal(planAndRun({ ...ALL_FILES, hostname: 'box' }, badName), "Failed to set the hostname of the container to 'box': Invalid argument");
});

t.test("the calls: the host's namespaces and our own are refused before anything is entered", async (t) => {
  const flags: SetupFlags = { ...ALL_FILES, bind_host_files: true, hostname: 'box' };
  const refusal = (ns: string, what: string) => `Refusing to enter the ${ns} namespace of pid ${PID}: ${what}`;
  const cases: Array<[string, (world: World) => void, string]> = [
    ["pid 1's mount namespace", (w) => w.namespaces.set(`/proc/${PID}/ns/mnt`, 200n).set('/proc/2/ns/mnt', 999n).set('/proc/self/ns/mnt', 998n), refusal('mount', "it is the host's, not a container's")],
    ["the kernel's, pid 1's being out of reach", (w) => {
      w.namespaces.set(`/proc/${PID}/ns/mnt`, 200n).set('/proc/1/ns/mnt', 997n).set('/proc/self/ns/mnt', 998n);
      w.denied.set('/proc/1/ns/mnt', 'Permission denied');
    }, refusal('mount', "it is the host's, not a container's")],
    ['our own mount namespace', (w) => w.namespaces.set(`/proc/${PID}/ns/mnt`, 300n).set('/proc/self/ns/mnt', 300n), refusal('mount', "it is our own, not a container's")],
    ["pid 1's unreachable and pid 2 no kernel thread: can't tell", (w) => {
      w.denied.set('/proc/1/ns/mnt', 'Permission denied');
      w.kernelThread = false;
    }, refusal('mount', "cannot tell it from the host's: Failed to open '/proc/1/ns/mnt': Permission denied")],
    ["the host's UTS namespace", (w) => w.namespaces.set(`/proc/${PID}/ns/uts`, 201n), refusal('UTS', "it is the host's, not a container's")],
    ['our own network namespace', (w) => w.namespaces.set(`/proc/${PID}/ns/net`, 302n).set('/proc/self/ns/net', 302n), refusal('network', "it is our own, not a container's")],
    ["our own namespace can't be opened", (w) => w.denied.set('/proc/self/ns/mnt', 'Permission denied'), refusal('mount', "cannot tell it from our own: Failed to open '/proc/self/ns/mnt': Permission denied")],
  ];
  for (const [what, arrange, message] of cases) {
    const world = new World();
    arrange(world);
    t.equal(planAndRun(flags, world, LOOKING), message, what);
    t.same([world.calls, world.unexpected, world.open], [[], [], 0], `${what}: nothing cloned, entered or changed; nothing left open`);
  }
  // Without a hostname the UTS and network namespaces are not ours to touch, nor to judge.
  const hostUts = new World().withFiles('/etc/hosts', '/etc/hostname', '/etc/resolv.conf');
  hostUts.namespaces.set(`/proc/${PID}/ns/uts`, 201n).set(`/proc/${PID}/ns/net`, 202n);
  t.equal(planAndRun({ ...ALL_FILES, bind_host_files: true }, hostUts), undefined);
  t.notOk(hostUts.calls.some((call) => call.includes('/ns/uts') || call.includes('/ns/net')), 'only the mount namespace is entered');
});

t.test('isKernelThread reads PF_KTHREAD after the last parenthesis', async (t) => {
  t.ok(isKernelThread('2 (kthreadd) S 0 0 0 0 -1 2129984 0 0'));
  t.notOk(isKernelThread('2 (a) b) 1 2) S 1 1 1 0 -1 4194560 0 0'), 'a comm holding ") ... 2129984" is not fooled');
  t.notOk(isKernelThread('2 (sleep) S 1 1 1 0 -1 4194560 0 0'));
  t.notOk(isKernelThread(''));
});

t.test('the calls: a failed clone, a failed attach, a failed loopback', async (t) => {
  const cloneFails = new World().withFiles('/etc/hosts', '/etc/hostname', '/etc/resolv.conf');
  cloneFails.failing.set('clone /cni/c1/hostname', 'No such file or directory');
  t.equal(
    planAndRun({ ...ALL_FILES, bind_host_files: true }, cloneFails),
    "Failed to bind mount from '/cni/c1/hostname' to '/etc/hostname': No such file or directory",
  );
  t.same(cloneFails.calls, [clone('/cni/c1/hosts'), clone('/cni/c1/hostname')], 'before the mount namespace is entered');
  t.equal(cloneFails.open, 0, 'the detached copy made first is closed (and so gone)');

  const attachFails = new World().withFiles('/etc/hosts', '/etc/hostname', '/etc/resolv.conf');
  attachFails.failing.set('bind /cni/c1/hosts', 'Invalid argument');
  t.equal(
    planAndRun({ ...ALL_FILES, bind_host_files: true }, attachFails),
    "Failed to bind mount from '/cni/c1/hosts' to '/etc/hosts': Invalid argument",
  );

  const loopbackFails = new World();
  loopbackFails.failing.set('loopback up', 'Operation not permitted');
  t.equal(
    planAndRun({ ...ALL_FILES, hostname: 'box' }, loopbackFails),
    `Failed to bring up the loopback interface in the new network namespace of pid ${PID}: Operation not permitted`,
  );
  t.notOk(loopbackFails.calls.some((call) => call.startsWith('run')), 'no program is run');
});

// ------------------------------------------------------------ for real

const BRIDGE = '/usr/lib/cni/bridge';
const needs =
  needsForReal ||
  (!existsSync(BRIDGE) || !existsSync('/usr/lib/cni/host-local') ? 'needs the CNI bridge and host-local plugins' : false);

function inRootfs(container: Container, rootfs: string, argv: readonly string[]) {
  return inContainer(container.pid, ['chroot', rootfs, '/bin/busybox', ...argv]);
}

t.test('for real: a bridge-attached container gets its files, hostname and loopback', { skip: needs }, async (t) => {
  const cleanup = cleanupFor(t);
  const dir = tempDir(cleanup, 'mc-cni-');
  const hostNs = uniqueName('mch');
  addNetns(hostNs, cleanup);
  const container = await startContainer(cleanup);
  t.notOk(loopbackIsUp(container.pid), 'lo starts down in the new network namespace');

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
  t.ok(loopbackIsUp(container.pid), 'lo is UP');
  t.equal(inContainer(container.pid, ['cat', '/etc/hosts']).stdout, readFileSync(files.hosts, 'utf8'), '/etc/hosts is ours');
  t.equal(inContainer(container.pid, ['cat', '/etc/hostname']).stdout, 'mc-box\n', '/etc/hostname is ours');
  t.equal(inContainer(container.pid, ['cat', '/etc/resolv.conf']).stdout, readFileSync(files.resolv, 'utf8'), '/etc/resolv.conf is ours');
  for (const file of HOST_FILES) {
    const write = inContainer(container.pid, ['sh', '-c', `echo more >> ${file}`]);
    t.not(write.status, 0, `writing ${file} fails`);
    t.match(write.stderr, /Read-only file system/, `${file} is read-only`);
    const options = mountOptions(mountsOf(container.pid).get(file) ?? '');
    t.ok(['ro', 'nosuid', 'nodev', 'noexec'].every((option) => options.has(option)), `${file} is bound ro,nosuid,nodev,noexec`);
  }
  t.equal(readFileSync(files.hosts, 'utf8'), `127.0.0.1 localhost\n${ip} mc-box\n`, 'the source is untouched');
  const addresses = inContainer(container.pid, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']).stdout;
  t.match(addresses, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/24`), "the plugin's address is still on eth0");
  t.match(inContainer(container.pid, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'lo']).stdout, /inet 127\.0\.0\.1\/8/, 'lo has 127.0.0.1');

  t.same(hostState(), before, "the host's files, hostname and mount points are unchanged");
});

t.test('for real: writable binds are nosuid,nodev,noexec, and lo comes up with nothing on PATH', { skip: needsForReal }, async (t) => {
  const cleanup = cleanupFor(t);
  const dir = tempDir(cleanup, 'mc-cni-');
  const container = await startContainer(cleanup);
  const files = networkFiles(dir, 'mc-plain', '10.99.0.9');
  const empty = join(dir, 'empty');
  mkdirSync(empty);

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
    // No ip, no ifconfig, nothing at all to run.
    { encoding: 'utf8', env: { ...cleanEnv(), PATH: empty } },
  );
  t.same({ code: run.status, stderr: run.stderr }, { code: 0, stderr: '' }, 'setup succeeds');
  t.ok(loopbackIsUp(container.pid), 'lo is UP');
  t.equal(inContainer(container.pid, ['hostname']).stdout.trim(), 'mc-plain');
  const write = inContainer(container.pid, ['sh', '-c', 'echo "10.99.0.10 other" >> /etc/hosts']);
  t.equal(write.status, 0, 'a writable bind takes writes');
  t.match(readFileSync(files.hosts, 'utf8'), /10\.99\.0\.10 other\n$/, 'which land in the source file');
  for (const file of HOST_FILES) {
    const options = mountOptions(mountsOf(container.pid).get(file) ?? '');
    t.ok(['rw', 'nosuid', 'nodev', 'noexec'].every((option) => options.has(option)), `${file} is bound rw,nosuid,nodev,noexec`);
  }
  t.same(hostState(), before, 'the host is unchanged');
});

/** A small rootfs: busybox, etc/, run/resolv.conf holding the image's own text. */
function makeRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'etc', 'run', 'tmp']) mkdirSync(join(rootfs, sub), { recursive: true });
  copyFileSync('/usr/bin/busybox', join(rootfs, 'bin', 'busybox'));
  writeFileSync(join(rootfs, 'run', 'resolv.conf'), 'nameserver 192.0.2.1 # the image\n');
  return rootfs;
}

const needsBusybox = needsForReal || (!existsSync('/usr/bin/busybox') && 'needs busybox');

t.test('for real: --rootfs with etc/resolv.conf a symlink, inside or out', { skip: needsBusybox }, async (t) => {
  for (const target of ['../run/resolv.conf', '/etc/resolv.conf']) {
    await t.test(`etc/resolv.conf -> ${target}`, async (t) => {
      const cleanup = cleanupFor(t);
      const dir = tempDir(cleanup, 'mc-cni-');
      const rootfs = makeRootfs(dir);
      symlinkSync(target, join(rootfs, 'etc', 'resolv.conf'));
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
      const mounts = mountsOf(container.pid);
      t.notOk(mounts.has('/etc/resolv.conf') || mounts.has('/etc/hosts'), 'nothing is mounted outside the rootfs');
      t.ok(mounts.has(join(rootfs, 'etc', 'resolv.conf')), 'the bind is at <rootfs>/etc/resolv.conf');

      const mountPoint = lstatSync(join(rootfs, 'etc', 'resolv.conf'));
      t.ok(mountPoint.isFile() && mountPoint.size === 0, 'the symlink became an empty plain file');
      t.equal(readFileSync(join(rootfs, 'run', 'resolv.conf'), 'utf8'), 'nameserver 192.0.2.1 # the image\n');
      t.same(hostState(), before, "the host's files, hostname and mount points are unchanged");
    });
  }
});

t.test("for real: --rootfs whose etc/ is an absolute link lands in the image's directory", { skip: needsBusybox }, async (t) => {
  // Images link /etc -> /usr/etc and mean their own /usr/etc: resolved in
  // the rootfs as its own /, never on the host.
  const cleanup = cleanupFor(t);
  const dir = tempDir(cleanup, 'mc-cni-');
  const rootfs = makeRootfs(dir);
  rmSync(join(rootfs, 'etc'), { recursive: true });
  mkdirSync(join(rootfs, 'usr', 'etc'), { recursive: true });
  symlinkSync('/usr/etc', join(rootfs, 'etc'));
  const files = networkFiles(dir, 'mc-usr', '10.99.0.5');
  const container = await startContainer(cleanup);
  const before = hostState();
  const run = setup([`--pid=${container.pid}`, `--rootfs=${rootfs}`, `--etc_resolv_conf=${files.resolv}`]);
  t.same({ code: run.code, stderr: run.stderr }, { code: 0, stderr: '' }, 'setup succeeds');
  t.equal(inRootfs(container, rootfs, ['cat', '/etc/resolv.conf']).stdout, readFileSync(files.resolv, 'utf8'), "the image's /etc/resolv.conf is ours");
  t.ok(mountsOf(container.pid).has(join(rootfs, 'usr', 'etc', 'resolv.conf')), 'bound at <rootfs>/usr/etc/resolv.conf');
  t.same(hostState(), before, 'the host is unchanged');
});

t.test('for real: --rootfs whose etc/ leads outside it is refused', { skip: needsForReal }, async (t) => {
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
      const mountsBefore = [...mountsOf(container.pid).keys()];
      const before = hostState();

      const run = setup([`--pid=${container.pid}`, `--rootfs=${rootfs}`, `--etc_resolv_conf=${files.resolv}`]);
      // Inside the rootfs the link leads nowhere, and a directory can't be made in its place.
      oneLine(t, run, `Failed to create directory '${join(rootfs, 'etc')}' for the mount point: File exists`);
      t.same(readdirSync(outsideEtc), ['keep'], 'nothing was made outside the rootfs');
      t.equal(readlinkSync(join(rootfs, 'etc')), kind === 'absolute' ? outsideEtc : '../outside-etc', 'the link is left alone');
      t.same([...mountsOf(container.pid).keys()], mountsBefore, 'no mount was made in the container');
      t.same(hostState(), before, 'the host is unchanged');
    });
  }
});

t.test('for real: refusals are one line and exit 1', { skip: needsForReal }, async (t) => {
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
