// The root filesystem backends' decisions, without root: the backend
// Mesos's rules choose, the overlay mount of a layer stack, the writable
// layer's /etc placeholders, what provisioning and removal do (run against
// a recording stand-in of the system), the seccomp profile format and the
// defaults a task gets.
import t from 'tap';
import { type BackendSystem, destroyRootfs, provisionRootfs, removeRootfsLeftovers, RootfsPlanError, selectBackend } from '../src/agent/provisioner/backend/index';
import { type EtcKind, etcPlaceholders, MOUNT_OPTIONS_MAX, overlayMount, rootfsLayout } from '../src/agent/provisioner/backend/plan';
import { containerDefaults, DEFAULT_CAPABILITIES, DefaultsError, MASKED_PATHS, taskCapabilities, taskDefaults, taskSeccomp } from '../src/agent/defaults';
import { parseSeccompProfile, SeccompProfileError } from '../src/agent/seccomp-profile';
import { readFileSync } from 'node:fs';
import { parseLaunchInfo } from '../src/launch/launch-info';
import { planCommandTask } from '../src/agent/task-info';
import { buildLaunchInfo } from '../src/agent/launch-info';
import { DEFAULT_SANDBOX_DIRECTORY, sandboxDirectory } from '../src/agent/sandbox';
import { MS_BIND, MS_NODEV, MS_NOSUID, MS_REC } from '../native/libc';
import { commandTask } from './helpers/master-stub';

const EXT4 = 0xef53;
const OVERLAYFS = 0x794c7630;

t.test('backend selection as Mesos chooses', async (t) => {
  t.same(selectBackend(undefined, { overlayInKernel: true, filesystemType: EXT4 }), { backend: 'overlay', notes: [] });
  t.match(selectBackend(undefined, { overlayInKernel: true, filesystemType: OVERLAYFS }), {
    backend: 'copy',
    notes: ["Backend 'overlay' is not supported on the underlying filesystem 'overlay'"],
  });
  t.match(selectBackend(undefined, { overlayInKernel: false, filesystemType: EXT4 }), { backend: 'copy', notes: [/no overlay filesystem/] });
  t.same(selectBackend('copy', { overlayInKernel: true, filesystemType: EXT4 }), { backend: 'copy', notes: [] });
  t.same(selectBackend('overlay', { overlayInKernel: true, filesystemType: 0x9123683e }), {
    problem: "Backend 'overlay' is not supported on the underlying filesystem 'btrfs'",
  });
  t.same(selectBackend('aufs', { overlayInKernel: true, filesystemType: EXT4 }), { problem: "The specified provisioner backend 'aufs' is not supported" });
});

t.test('the overlay mount: bottom layer last, a page of options at most', async (t) => {
  const layout = rootfsLayout('/w/provisioner', 'c1', 'overlay', 'r1');
  t.same(layout, {
    containerDir: '/w/provisioner/containers/c1',
    rootfs: '/w/provisioner/containers/c1/backends/overlay/rootfses/r1',
    upperdir: '/w/provisioner/containers/c1/backends/overlay/scratch/r1/upperdir',
    workdir: '/w/provisioner/containers/c1/backends/overlay/scratch/r1/workdir',
    links: '/w/provisioner/containers/c1/backends/overlay/scratch/r1/links',
  });
  t.same(overlayMount(['/l/0', '/l/1', '/l/2'], layout), {
    source: 'overlay',
    target: layout.rootfs,
    type: 'overlay',
    flags: 0,
    options: `lowerdir=/l/2:/l/1:/l/0,upperdir=${layout.upperdir},workdir=${layout.workdir}`,
  });
  // 127 layers (Docker's most) through short links fit; the same through long paths would not.
  t.ok(overlayMount(Array.from({ length: 127 }, (_, i) => `/tmp/mesos-layers-abcdef/${i}`), layout).options.length <= MOUNT_OPTIONS_MAX);
  t.throws(() => overlayMount(Array.from({ length: 127 }, (_, i) => `/var/lib/mesos/store/docker/layers/${'f'.repeat(64)}/rootfs/${i}`), layout), { message: /^Too many layers for one overlay mount/ });
  t.throws(() => overlayMount([], layout), { message: 'No filesystem layer provided' });
  t.throws(() => overlayMount(['/a:b'], layout), { message: /can't be given to overlayfs/ });
  t.throws(() => overlayMount(['/a,upperdir=/etc'], layout), { message: /can't be given to overlayfs/ });
  t.ok(new RootfsPlanError('x') instanceof Error);
});

t.test("the writable layer's /etc placeholders", async (t) => {
  const dir: EtcKind = { kind: 'directory', mode: 0o40750, uid: 0, gid: 4 };
  t.same(etcPlaceholders([{ kind: 'missing' }, dir], ['hosts']), { etc: { mode: 0o750, uid: 0, gid: 4 }, files: ['hosts'] });
  t.same(etcPlaceholders([{ kind: 'whiteout' }, dir], ['hosts']), { etc: { mode: 0o755, uid: 0, gid: 0 }, files: ['hosts'] });
  t.same(etcPlaceholders([], ['hosts', 'hostname']), { etc: { mode: 0o755, uid: 0, gid: 0 }, files: ['hosts', 'hostname'] });
  // A symlinked /etc is resolved by launch inside the root; a directory in the upper layer would hide it.
  t.equal(etcPlaceholders([{ kind: 'other' }, dir], ['hosts']), undefined);
  t.equal(etcPlaceholders([dir], []), undefined);
});

/** A stand-in that records every call and answers from `tree`. */
function recording(options: { links?: Record<string, string>; listing?: Record<string, string[]>; etc?: EtcKind; failOn?: string } = {}) {
  const calls: string[] = [];
  const record = (call: string) => {
    calls.push(call);
    if (options.failOn !== undefined && call.startsWith(options.failOn)) throw new Error(`${call} failed`);
  };
  const system: BackendSystem = {
    support: () => ({ overlayInKernel: true, filesystemType: EXT4 }),
    makeDirectory: (path, mode) => record(`mkdir ${path} ${mode.toString(8)}`),
    makeLinkDirectory: () => {
      record('mkdtemp');
      return '/tmp/mesos-layers-AAAAAA';
    },
    isLinkDirectory: (path) => path.startsWith('/tmp/mesos-layers-'),
    symlink: (target, path) => record(`symlink ${target} ${path}`),
    readLink: (path) => options.links?.[path],
    applyLayer: (layer, rootfs) => record(`apply ${layer} ${rootfs}`),
    etcOf: (layer) => {
      record(`etc ${layer}`);
      return options.etc ?? { kind: 'missing' };
    },
    makeEtcPlaceholders: (directory, etc, files) => record(`placeholders ${directory} ${etc.mode.toString(8)} ${files.join(',')}`),
    replaceEtcSymlinks: (rootfs, files) => record(`replace-etc ${rootfs} ${files.join(',')}`),
    list: (directory) => options.listing?.[directory] ?? [],
    removeTree: (path) => record(`rm ${path}`),
  };
  return { system, calls };
}

t.test('provisioning with overlay: scratch directories, short links, the mount for launch', async (t) => {
  const { system, calls } = recording();
  const made = provisionRootfs({ provisionerDir: '/p', containerId: 'c', backend: 'overlay', layers: ['/L0', '/L1'], etcFiles: ['hosts'] }, system);
  t.equal(made.backend, 'overlay');
  t.match(made.rootfs, /^\/p\/containers\/c\/backends\/overlay\/rootfses\/[0-9a-f-]{36}$/);
  const id = made.rootfs.split('/').pop()!;
  const scratch = `/p/containers/c/backends/overlay/scratch/${id}`;
  t.same(calls, [
    `mkdir ${made.rootfs} 755`,
    `mkdir ${scratch}/upperdir 755`,
    `mkdir ${scratch}/workdir 700`,
    'mkdtemp',
    `symlink /tmp/mesos-layers-AAAAAA ${scratch}/links`,
    'symlink /L0 /tmp/mesos-layers-AAAAAA/0',
    'symlink /L1 /tmp/mesos-layers-AAAAAA/1',
    // Top layer first.
    'etc /L1',
    'etc /L0',
    `placeholders ${scratch}/upperdir 755 hosts`,
  ]);
  t.same(made.mounts, [
    {
      source: 'overlay',
      target: made.rootfs,
      type: 'overlay',
      flags: 0,
      options: `lowerdir=/tmp/mesos-layers-AAAAAA/1:/tmp/mesos-layers-AAAAAA/0,upperdir=${scratch}/upperdir,workdir=${scratch}/workdir`,
    },
  ]);
});

t.test('provisioning with copy: each layer laid over the last, bottom first', async (t) => {
  const { system, calls } = recording();
  const made = provisionRootfs({ provisionerDir: '/p', containerId: 'c', backend: 'copy', layers: ['/L0', '/L1'], etcFiles: ['hosts', 'hostname'] }, system);
  t.same(made.mounts, []);
  t.same(calls, [`mkdir ${made.rootfs} 755`, `apply /L0 ${made.rootfs}`, `apply /L1 ${made.rootfs}`, `replace-etc ${made.rootfs} hosts,hostname`]);
});

t.test('a failed provisioning leaves nothing behind', async (t) => {
  const { system, calls } = recording({ failOn: 'apply /L1' });
  t.throws(() => provisionRootfs({ provisionerDir: '/p', containerId: 'c', backend: 'copy', layers: ['/L0', '/L1'], etcFiles: [] }, system), { message: /apply \/L1 .* failed/ });
  t.equal(calls.at(-1), 'rm /p/containers/c');
});

t.test('removal: the short links only when they are ours, then the container directory', async (t) => {
  const scratch = '/p/containers/c/backends/overlay/scratch';
  const { system, calls } = recording({
    listing: { '/p/containers': ['c'], '/p/containers/c/backends': ['overlay'], [scratch]: ['r1', 'r2'] },
    links: { [`${scratch}/r1/links`]: '/tmp/mesos-layers-BBBBBB', [`${scratch}/r2/links`]: '/etc' },
  });
  t.same(removeRootfsLeftovers('/p', system), []);
  t.same(calls, ['rm /tmp/mesos-layers-BBBBBB', 'rm /p/containers/c']);
  const failing = recording({ listing: { '/p/containers': ['a'] }, failOn: 'rm /p/containers/a' });
  t.same(removeRootfsLeftovers('/p', failing.system), ['Failed to remove the root filesystem of container a: rm /p/containers/a failed']);
  const once = recording();
  destroyRootfs('/p', 'x', once.system);
  t.same(once.calls, ['rm /p/containers/x']);
});

t.test("the package's default seccomp profile, in Mesos's format", async (t) => {
  const text = readFileSync(new URL('../seccomp/default.json', `file://${__filename}`), 'utf8');
  const profile = parseSeccompProfile(text, 'ARCH_X86_64');
  t.equal(profile['default_action'], 'ACT_ALLOW');
  t.same(profile['architectures'], ['ARCH_X86', 'ARCH_X32', 'ARCH_X86_64']);
  const rules = profile['syscalls'] as Array<Record<string, unknown>>;
  t.ok(rules.some((rule) => (rule['names'] as string[]).includes('keyctl') && rule['action'] === 'ACT_ERRNO' && rule['excludes'] === undefined));
  t.ok(rules.some((rule) => (rule['names'] as string[]).includes('unshare') && JSON.stringify(rule['excludes']) === '{"capabilities":["SYS_ADMIN"]}'));
  t.same(parseSeccompProfile(text, 'ARCH_AARCH64')['architectures'], ['ARCH_ARM', 'ARCH_AARCH64']);
  // launch takes it as it is.
  t.doesNotThrow(() => parseLaunchInfo({ command: { value: 'true' }, seccomp_profile: profile }, 'task'));
});

t.test('profiles: arches filters, and what is refused', async (t) => {
  const profile = (syscalls: unknown[], more: object = {}) =>
    JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: [] }], syscalls, ...more });
  const parsed = parseSeccompProfile(
    profile([
      { names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64'] } },
      { names: ['b'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
      { names: ['c'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
      { names: ['d'], action: 'SCMP_ACT_KILL', args: [{ index: 1, value: 2, valueTwo: 3, op: 'SCMP_CMP_MASKED_EQ' }], includes: { caps: ['CAP_NET_RAW'] }, comment: 'x' },
    ]),
    'ARCH_X86_64',
  );
  t.same(parsed, {
    default_action: 'ACT_ERRNO',
    architectures: ['ARCH_X86_64'],
    syscalls: [
      { names: ['a'], action: 'ACT_ALLOW' },
      { names: ['d'], action: 'ACT_KILL', args: [{ index: 1, op: 'CMP_MASKED_EQ', value: 2, value_two: 3 }], includes: { capabilities: ['NET_RAW'] } },
    ],
  });
  t.throws(() => parseSeccompProfile('{', 'ARCH_X86_64'), { message: /^Failed to parse the Seccomp profile: / });
  t.ok(new SeccompProfileError('x') instanceof Error);
  t.throws(() => parseSeccompProfile(profile([{ names: ['a'], action: 'SCMP_ACT_LOG' }]), 'ARCH_X86_64'), { message: "Unknown Seccomp action 'SCMP_ACT_LOG'" });
  t.throws(() => parseSeccompProfile(JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] }), 'ARCH_X86_64'), { message: /'archMap'/ });
  t.throws(() => parseSeccompProfile(profile([{ names: [], action: 'SCMP_ACT_ALLOW' }]), 'ARCH_X86_64'), { message: /empty/ });
});

t.test("the defaults from the agent's Mesos flags", async (t) => {
  const all = containerDefaults({});
  t.equal(all.filesystem, true);
  t.same(all.capabilities, { effective: DEFAULT_CAPABILITIES, builtIn: true });
  t.equal(all.seccomp?.default?.name, 'default.json');
  t.notOk(DEFAULT_CAPABILITIES.includes('MKNOD'));
  const none = containerDefaults({ MESOS_ISOLATION: 'cgroups/cpu,cgroups/mem' });
  t.same(none, { filesystem: false });
  t.same(containerDefaults({ MESOS_ISOLATION: 'linux/capabilities', MESOS_EFFECTIVE_CAPABILITIES: '{"capabilities":["NET_RAW"]}' }), {
    filesystem: false,
    capabilities: { effective: ['NET_RAW'], builtIn: false },
  });
  // A config directory without a profile name: no default profile, as in Mesos.
  t.same(containerDefaults({ MESOS_SECCOMP_CONFIG_DIR: '/nowhere' }).seccomp, { configDir: '/nowhere' });
  t.throws(() => containerDefaults({ MESOS_SECCOMP_CONFIG_DIR: '/nowhere', MESOS_SECCOMP_PROFILE_NAME: 'x.json' }), { message: /Failed to read Seccomp profile '\/nowhere\/x.json'/ });
  t.throws(() => containerDefaults({ MESOS_EFFECTIVE_CAPABILITIES: '{"capabilities":["FLY"]}' }), { message: "MESOS_EFFECTIVE_CAPABILITIES: unknown capability 'FLY'" });
  t.throws(() => containerDefaults({ MESOS_BOUNDING_CAPABILITIES: 'NET_RAW' }), { message: /^Failed to load flag 'bounding_capabilities': / });
  t.ok(new DefaultsError('x') instanceof Error);
  t.throws(() => containerDefaults({ MESOS_ISOLATION: 'posix' }), { message: "Unknown or unsupported isolator 'posix'" });
});

t.test("a task's capabilities, as Mesos's linux/capabilities isolator weighs them", async (t) => {
  const builtIn = containerDefaults({ MESOS_ISOLATION: 'linux/capabilities' });
  t.same(taskCapabilities(builtIn, { asRoot: true }), { effective: DEFAULT_CAPABILITIES, bounding: DEFAULT_CAPABILITIES });
  // A task that doesn't run as root is only bounded by it.
  t.same(taskCapabilities(builtIn, { asRoot: false }), { bounding: DEFAULT_CAPABILITIES });
  // The task's own win.
  t.same(taskCapabilities(builtIn, { asRoot: true, effective: ['SYS_ADMIN'] }), { effective: ['SYS_ADMIN'], bounding: ['SYS_ADMIN'] });
  t.same(taskCapabilities(builtIn, { asRoot: true, bounding: ['CHOWN', 'SYS_ADMIN'] }), { effective: ['CHOWN'], bounding: ['CHOWN', 'SYS_ADMIN'] });
  const operator = containerDefaults({ MESOS_ISOLATION: 'linux/capabilities', MESOS_BOUNDING_CAPABILITIES: '{"capabilities":["CHOWN","KILL"]}' });
  t.same(taskCapabilities(operator, { asRoot: true }), { bounding: ['CHOWN', 'KILL'] });
  t.same(taskCapabilities(operator, { asRoot: true, effective: ['KILL'] }), { effective: ['KILL'], bounding: ['CHOWN', 'KILL'] });
  t.equal(taskCapabilities(operator, { asRoot: true, effective: ['SYS_ADMIN'] }), "Requested capabilities '{ SYS_ADMIN }', but only '{ CHOWN, KILL }' are allowed");
  t.equal(taskCapabilities(operator, { asRoot: true, bounding: ['NET_RAW'] }), "Bounding capabilities '{ NET_RAW }', but only '{ CHOWN, KILL }' are allowed");
  t.same(taskCapabilities(containerDefaults({ MESOS_ISOLATION: '' }), { asRoot: true, effective: ['KILL'] }), { effective: ['KILL'] });
});

t.test("a task's defaults: masks and read-only /proc with filesystem/linux, the profile with linux/seccomp", async (t) => {
  const all = taskDefaults(containerDefaults({}), { asRoot: true, rootfs: false });
  t.match(all, { maskedPaths: MASKED_PATHS, readOnlyProc: true, seccompProfile: { default_action: 'ACT_ALLOW' } });
  t.ok(MASKED_PATHS.includes('/proc/kcore'));
  const off = taskDefaults(containerDefaults({ MESOS_ISOLATION: '' }), { asRoot: true, rootfs: false });
  t.same(off, { readOnlyProc: false });
  // A rootfs keeps its read-only /proc parts whatever the isolation.
  t.same(taskDefaults(containerDefaults({ MESOS_ISOLATION: '' }), { asRoot: true, rootfs: true }), { readOnlyProc: true });
});

t.test("a task's own seccomp, as Mesos's linux/seccomp isolator weighs it", async (t) => {
  const defaults = containerDefaults({});
  const profile = defaults.seccomp!.default!.profile;
  t.equal(taskSeccomp(defaults, undefined), profile);
  t.equal(taskSeccomp(defaults, { unconfined: true }), undefined);
  t.equal(taskSeccomp(defaults, { unconfined: false }), 'Missing Seccomp profile name');
  t.same(taskSeccomp(defaults, { profileName: 'default.json' }), profile);
  t.equal(taskSeccomp(defaults, { profileName: 'x.json', unconfined: true }), "Invalid Seccomp configuration: 'profile_name' given even though 'unconfined' Seccomp setting is enabled");
  t.equal(taskSeccomp(defaults, { profileName: '../../etc/passwd' }), "Invalid Seccomp profile name '../../etc/passwd'");
  t.match(taskSeccomp(defaults, { profileName: 'none.json' }), /^Failed to read Seccomp profile '.*\/none.json': /);
  const off = containerDefaults({ MESOS_ISOLATION: '' });
  t.equal(taskSeccomp(off, { unconfined: true }), undefined);
  t.equal(taskSeccomp(off, { profileName: 'default.json' }), "Seccomp profile 'default.json' asked for, but the 'linux/seccomp' isolator is not enabled");
  t.equal(taskDefaults(defaults, { asRoot: true, rootfs: false, seccomp: { unconfined: false } }), 'Missing Seccomp profile name');
});

t.test("a TaskInfo's linux_info.seccomp reaches the plan", async (t) => {
  const framework = { user: 'root', name: 'f' };
  const withSeccomp = (seccomp: unknown) => commandTask('t', 'true', { container: { type: 'MESOS', linux_info: { seccomp } } } as never);
  t.match(planCommandTask(framework, withSeccomp({ unconfined: true }), { agentUser: 'root' }), { seccomp: { unconfined: true } });
  t.match(planCommandTask(framework, withSeccomp({ profile_name: 'mine.json' }), { agentUser: 'root' }), { seccomp: { profileName: 'mine.json' } });
  t.match(planCommandTask(framework, withSeccomp({ profile_name: 3 }), { agentUser: 'root' }), { refused: true, state: 'TASK_ERROR', message: /^Invalid container.linux_info.seccomp/ });
});

t.test("the sandbox in a root filesystem: bound where --sandbox_directory says, after the container's /dev", async (t) => {
  const command = { shell: true as const, value: 'true' };
  const info = buildLaunchInfo({
    command,
    environment: [],
    rootfs: '/r',
    sandbox: { source: '/work/sandbox', target: '/mnt/mesos/sandbox' },
    isolateNetwork: false,
  });
  const mounts = info['mounts'] as Array<Record<string, unknown>>;
  const index = mounts.findIndex((mount) => mount['source'] === '/work/sandbox');
  t.same(mounts[index], { source: '/work/sandbox', target: '/r/mnt/mesos/sandbox', flags: MS_BIND | MS_REC | MS_NODEV | MS_NOSUID });
  t.ok(index > mounts.findIndex((mount) => mount['target'] === '/r/dev'), 'over the fresh /dev, not under it');
  t.doesNotThrow(() => parseLaunchInfo(info, 'task'), 'launch takes it');
  const host = buildLaunchInfo({ command, environment: [], sandbox: { source: '/work/sandbox', target: '/mnt/mesos/sandbox' }, isolateNetwork: false });
  t.notOk((host['mounts'] as Array<Record<string, unknown>>).some((mount) => mount['source'] === '/work/sandbox'), 'the host filesystem has it where it is');

  t.equal(sandboxDirectory({}), DEFAULT_SANDBOX_DIRECTORY);
  t.equal(DEFAULT_SANDBOX_DIRECTORY, '/mnt/mesos/sandbox');
  t.equal(sandboxDirectory({ MESOS_SANDBOX_DIRECTORY: '/data//box/' }), '/data/box');
  t.throws(() => sandboxDirectory({ MESOS_SANDBOX_DIRECTORY: 'box' }), { message: "The sandbox directory 'box' (--sandbox_directory) is not an absolute path" });
  t.throws(() => sandboxDirectory({ MESOS_SANDBOX_DIRECTORY: '/x/..' }), { message: "The sandbox directory '/x/..' (--sandbox_directory) can't be the container's root" });
});
