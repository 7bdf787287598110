// A root filesystem directory is an image too: the agent stacks it as a
// read-only layer under a writable layer of the container's own (overlay,
// or the copy backend), so the user's directory is never changed, whatever
// the task does, and two tasks can use it at once; the writable layer goes
// with the container, and with the next agent after a crash. And the
// defaults every container gets (masked paths, read-only /proc parts,
// Docker's capabilities less MKNOD, the seccomp profile), each switched off
// with the agent's own Mesos flags.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalAgent } from '../src/agent/local-agent';
import { ROOTFS_LABEL } from '../src/agent/task-info';
import type { TaskInfo } from '../src/master/types';
import { startAgent } from './helpers/local-agent';
import { commandTask, framework, MasterStub } from './helpers/master-stub';
import { testDir } from './helpers/process';
import { makeBusyboxRootfs } from './helpers/rootfs';
import { isRoot } from './helpers/run';

const rootOnly = { skip: !isRoot && 'needs root (namespaces, mounts and overlayfs)' };

/** Every entry of a tree: type, mode, owner, size, times, contents' hash, link target, device. */
function treeListing(root: string): string[] {
  const lines: string[] = [];
  const walk = (relative: string) => {
    const path = join(root, relative);
    const stat = lstatSync(path, { bigint: true });
    let what = '';
    if (stat.isFile()) what = createHash('sha256').update(readFileSync(path)).digest('hex');
    else if (stat.isSymbolicLink()) what = `-> ${readlinkSync(path)}`;
    else if (stat.isCharacterDevice() || stat.isBlockDevice()) what = `dev ${stat.rdev}`;
    lines.push(`${relative || '.'} ${stat.mode.toString(8)} ${stat.uid}:${stat.gid} ${stat.size} ${stat.nlink} m${stat.mtimeNs} c${stat.ctimeNs} ${what}`);
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(relative, name));
  };
  walk('');
  return lines;
}

function rootfsTask(taskId: string, rootfs: string, command: string, more: Partial<TaskInfo> = {}): TaskInfo {
  return commandTask(taskId, command, { labels: { labels: [{ key: ROOTFS_LABEL, value: rootfs }] }, ...more });
}

/** Launches the task; resolves with how it ended and its output. */
function launch(stub: MasterStub, agent: LocalAgent, task: TaskInfo): Promise<{ state: string; message?: string; stdout: string; stderr: string }> {
  agent.runTask(framework('F'), task);
  const taskId = task.task_id.value;
  const view = agent.taskView('F', taskId);
  return ended(stub, view?.sandbox, taskId);
}

async function ended(stub: MasterStub, sandbox: string | undefined, taskId: string): Promise<{ state: string; message?: string; stdout: string; stderr: string }> {
  const end = await stub.waitForEnd(taskId, 60_000);
  const read = (name: string) => (sandbox === undefined || !existsSync(join(sandbox, name)) ? '' : readFileSync(join(sandbox, name), 'utf8'));
  return { state: end.status.state, ...(end.status.message === undefined ? {} : { message: end.status.message }), stdout: read('stdout'), stderr: read('stderr') };
}

function layerDirectories(): number {
  return readdirSync(tmpdir()).filter((name) => name.startsWith('mesos-layers-')).length;
}

/** A busybox rootfs whose /etc has what images have: a dangling resolv.conf link, a hostname link. */
function userRootfs(t: Test) {
  const rootfs = makeBusyboxRootfs();
  t.teardown(rootfs.remove);
  rmSync(join(rootfs.path, 'etc/resolv.conf'));
  symlinkSync('/run/systemd/resolve/stub-resolv.conf', join(rootfs.path, 'etc/resolv.conf'));
  rmSync(join(rootfs.path, 'etc/hostname'));
  symlinkSync('../etc/hosts', join(rootfs.path, 'etc/hostname'));
  mkdirSync(join(rootfs.path, 'data/deep'), { recursive: true });
  writeFileSync(join(rootfs.path, 'data/deep/file'), 'original\n');
  chmodSync(join(rootfs.path, 'data'), 0o750);
  return rootfs;
}

const WRITER = [
  'set -e',
  'echo written > /tmp/written',
  'echo more >> /data/deep/file',
  'rm -r /data/deep',
  'echo intruder:x:0:0::/:/bin/sh >> /etc/passwd',
  'rm /etc/group',
  'ln -sf /nowhere /etc/motd',
  'rm /bin/cat',
  'chmod 777 /data',
  'chown 65534 /etc',
  'mknod /tmp/null c 1 3',
  'mknod /made b 7 0',
  'mkfifo /fifo',
  'touch -d 2001-01-01 /bin/busybox',
  // The agent's files, in place, whatever the image had there.
  'test "$(cat /etc/hostname)" = "$(hostname)" || { echo "hostname: $(cat /etc/hostname)"; exit 3; }',
  'grep -q nameserver /etc/resolv.conf || test ! -s /etc/resolv.conf',
  'sleep 1',
  'echo wrote',
].join('\n');

for (const backend of ['overlay', 'copy']) {
  t.test(`a rootfs directory stays as it was, byte for byte, with two tasks in it at once (${backend})`, rootOnly, async (t) => {
    const rootfs = userRootfs(t);
    const before = treeListing(rootfs.path);
    const layersBefore = layerDirectories();
    const stub = new MasterStub(true);
    const workDir = testDir(t, 'agent-rootfs-');
    const agent = await startAgent(t, stub, { workDir, rootfsLabel: true, network: 'isolated', env: { MESOS_IMAGE_PROVISIONER_BACKEND: backend } });
    const caps = { container: { type: 'MESOS' as const, linux_info: { effective_capabilities: { capabilities: ['MKNOD', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER'] } } } };
    const [writer, reader] = await Promise.all([
      launch(stub, agent, rootfsTask('writer', rootfs.path, WRITER, caps as Partial<TaskInfo>)),
      launch(stub, agent, rootfsTask('reader', rootfs.path, 'sleep 0.5; test ! -e /tmp/written && grep -q original /data/deep/file && test -e /etc/group && echo untouched')),
    ]);
    t.match(writer, { state: 'TASK_FINISHED', stdout: 'wrote\n' }, 'the writer wrote');
    t.match(reader, { state: 'TASK_FINISHED', stdout: 'untouched\n' }, 'the reader saw none of it');
    await agent.taskEnded('F', 'writer');
    await agent.taskEnded('F', 'reader');
    t.same(treeListing(rootfs.path), before, 'the source tree is unchanged');
    t.same(readdirSync(join(workDir, 'provisioner', 'containers')), [], 'the writable layers are gone');
    t.equal(layerDirectories(), layersBefore, 'so are the short links to the layers');
  });
}

for (const backend of ['overlay', 'copy']) {
  t.test(`no device node of the rootfs opens in the container (${backend})`, rootOnly, async (t) => {
    const rootfs = makeBusyboxRootfs();
    t.teardown(rootfs.remove);
    const made = spawnSync('mknod', [join(rootfs.path, 'zero'), 'c', '1', '5']);
    t.equal(made.status, 0);
    // Every capability: only the mount's nodev stands in the way.
    const end = await runIn(t, { MESOS_ISOLATION: '', MESOS_IMAGE_PROVISIONER_BACKEND: backend }, 'head -c 1 /zero; echo "image=$?"; mknod /made c 1 5 && head -c 1 /made; echo "made=$?"; head -c 1 /dev/zero | wc -c', { rootfsPath: rootfs.path });
    t.match(end, { state: 'TASK_FINISHED', stdout: 'image=1\nmade=1\n1\n' });
    t.match(end.stderr, /zero: Permission denied/);
  });
}

t.test("the overlay is mounted in the container's own mount namespace: never in the agent's", rootOnly, async (t) => {
  const rootfs = userRootfs(t);
  const stub = new MasterStub(true);
  const workDir = testDir(t, 'agent-rootfs-');
  const agent = await startAgent(t, stub, { workDir, rootfsLabel: true });
  const done = launch(stub, agent, rootfsTask('inside', rootfs.path, 'head -1 /proc/mounts | cut -d" " -f1-3; sleep 30'));
  await stub.waitForState('inside', 'TASK_RUNNING');
  const view = agent.taskView('F', 'inside')!;
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.notMatch(readFileSync('/proc/self/mountinfo', 'utf8'), workDir, 'nothing of the container in our mount table');
  t.match(readFileSync(`/proc/${view.pid}/mountinfo`, 'utf8'), /overlay/, "the overlay is in the container's");
  agent.killTask('F', 'inside', { grace_period: { nanoseconds: 0 } });
  const end = await done;
  t.match(end, { state: 'TASK_KILLED', stdout: 'overlay / overlay\n' });
});

t.test("a dead agent's root filesystems go with the next agent's start", rootOnly, async (t) => {
  const rootfs = userRootfs(t);
  const workDir = testDir(t, 'agent-rootfs-');
  const containers = join(workDir, 'provisioner', 'containers');
  // What a killed agent leaves: a container's writable layer, its links, and a copy.
  const links = mkdtempSync(join(tmpdir(), 'mesos-layers-'));
  symlinkSync(rootfs.path, join(links, '0'));
  const scratch = join(containers, 'dead', 'backends', 'overlay', 'scratch', 'r');
  mkdirSync(join(scratch, 'upperdir', 'tmp'), { recursive: true });
  writeFileSync(join(scratch, 'upperdir', 'tmp', 'left'), 'x');
  // A link the task made in its writable layer leads nowhere for the removal.
  symlinkSync(rootfs.path, join(scratch, 'upperdir', 'escape'));
  symlinkSync(links, join(scratch, 'links'));
  mkdirSync(join(containers, 'dead2', 'backends', 'copy', 'rootfses', 'r', 'etc'), { recursive: true });
  const before = treeListing(rootfs.path);
  const stub = new MasterStub(true);
  await startAgent(t, stub, { workDir, rootfsLabel: true });
  t.same(readdirSync(containers), []);
  t.notOk(existsSync(links));
  t.same(treeListing(rootfs.path), before);
});

for (const backend of ['overlay', 'copy']) {
  t.test(`a task in a rootfs has its sandbox at /mnt/mesos/sandbox and starts there, as in Mesos (${backend})`, rootOnly, async (t) => {
    const rootfs = makeBusyboxRootfs();
    t.teardown(rootfs.remove);
    const before = treeListing(rootfs.path);
    const stub = new MasterStub(true);
    const agent = await startAgent(t, stub, { rootfsLabel: true, env: { MESOS_IMAGE_PROVISIONER_BACKEND: backend } });
    const command = 'pwd; echo "$MESOS_SANDBOX"; echo kept > note; test -e "$MESOS_DIRECTORY" && echo host-path || echo no-host-path; ls /mnt/mesos/sandbox';
    agent.runTask(framework('F'), rootfsTask('boxed', rootfs.path, command));
    const sandbox = agent.taskView('F', 'boxed')!.sandbox;
    const end = await ended(stub, sandbox, 'boxed');
    t.match(end, { state: 'TASK_FINISHED', stdout: '/mnt/mesos/sandbox\n/mnt/mesos/sandbox\nno-host-path\nnote\nstderr\nstdout\n' });
    t.equal(readFileSync(join(sandbox, 'note'), 'utf8'), 'kept\n', "what the task wrote there is in the agent's sandbox");
    t.equal(lstatSync(sandbox).mode & 0o777, 0o750, 'the sandbox is private to the task, as Mesos makes it');
    await agent.taskEnded('F', 'boxed');
    t.same(treeListing(rootfs.path), before, 'the mount point was made in the writable layer, not in the source');
  });
}

t.test("MESOS_SANDBOX_DIRECTORY moves it; a bad one stops the agent", rootOnly, async (t) => {
  const end = await runIn(t, { MESOS_SANDBOX_DIRECTORY: '/data/box/' }, 'pwd; echo "$MESOS_SANDBOX"; touch here');
  t.match(end, { state: 'TASK_FINISHED', stdout: '/data/box\n/data/box\n' });
  const stub = new MasterStub(true);
  await t.rejects(startAgent(t, stub, { rootfsLabel: true, env: { MESOS_SANDBOX_DIRECTORY: 'box' } }), {
    message: "The sandbox directory 'box' (--sandbox_directory) is not an absolute path",
  });
});

/** A busybox rootfs and an agent on a work dir open to pass through to the sandboxes, as Mesos's is. */
async function openWorkDirAgent(t: Test) {
  const rootfs = makeBusyboxRootfs();
  t.teardown(rootfs.remove);
  const stub = new MasterStub(true);
  const workDir = testDir(t, 'agent-rootfs-');
  chmodSync(workDir, 0o755);
  const agent = await startAgent(t, stub, { workDir, rootfsLabel: true });
  return { rootfs, stub, agent };
}

t.test("the sandbox belongs to the task's user, who can write there, on the host's filesystem and in a rootfs", rootOnly, async (t) => {
  const { rootfs, stub, agent } = await openWorkDirAgent(t);
  const asNobody = (taskId: string, command: string, user: string, rootfsPath?: string): TaskInfo => {
    const task = rootfsPath === undefined ? commandTask(taskId, command) : rootfsTask(taskId, rootfsPath, command);
    return { ...task, command: { ...task.command!, user } };
  };
  const host = await launch(stub, agent, asNobody('host', 'id -u; touch "$MESOS_SANDBOX/mine" && echo wrote', 'nobody'));
  t.match(host, { state: 'TASK_FINISHED', stdout: '65534\nwrote\n' });
  agent.runTask(framework('F'), asNobody('boxed', 'id -u; touch "$MESOS_SANDBOX/mine" && echo wrote', 'nobody', rootfs.path));
  const sandbox = agent.taskView('F', 'boxed')!.sandbox;
  t.match(await ended(stub, sandbox, 'boxed'), { state: 'TASK_FINISHED', stdout: '65534\nwrote\n' });
  t.match(lstatSync(sandbox), { uid: 65534, gid: 65534 }, "the sandbox is the user's");
  t.equal(lstatSync(join(sandbox, 'mine')).uid, 65534);
});

t.test("what a task puts in its sandbox's place of stderr is never opened by the agent: a FIFO, a link to a host file", rootOnly, async (t) => {
  const rootfs = makeBusyboxRootfs();
  t.teardown(rootfs.remove);
  const secret = join(testDir(t, 'agent-secret-'), 'secret');
  writeFileSync(secret, 'the host secret\n', { mode: 0o600 });
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub, { rootfsLabel: true });
  // Only the end is waited for here: reading the swapped names would block or leak this test.
  const end = async (taskId: string, command: string) => {
    agent.runTask(framework('F'), rootfsTask(taskId, rootfs.path, command));
    return (await stub.waitForEnd(taskId, 30_000)).status;
  };
  const fifo = await end('fifo', 'cd "$MESOS_SANDBOX" && rm stderr && mkfifo stderr && exit 3');
  t.match(fifo, { state: 'TASK_FAILED', message: 'Command exited with status 3' }, 'the end is told, not waited on a reader');
  const link = await end('link', `cd "$MESOS_SANDBOX" && rm stderr && ln -s ${secret} stderr && kill -9 $$`);
  t.equal(link.state, 'TASK_FAILED');
  t.notMatch(link.message ?? '', /secret/, "no word of the host's file");
  t.equal(readFileSync(secret, 'utf8'), 'the host secret\n');
  const after = await launch(stub, agent, commandTask('after', 'echo served'));
  t.match(after, { state: 'TASK_FINISHED', stdout: 'served\n' }, 'the agent goes on');
});

t.test("a rootfs task's sandbox is root's alone on the host: a set-uid file it makes there serves no host user", rootOnly, async (t) => {
  const { rootfs, stub, agent } = await openWorkDirAgent(t);
  agent.runTask(framework('F'), rootfsTask('planter', rootfs.path, 'cp /bin/busybox "$MESOS_SANDBOX/p" && chmod 4755 "$MESOS_SANDBOX/p" && chmod 755 "$MESOS_SANDBOX" && echo planted'));
  const sandbox = agent.taskView('F', 'planter')!.sandbox;
  t.match(await ended(stub, sandbox, 'planter'), { state: 'TASK_FINISHED', stdout: 'planted\n' });
  t.equal(lstatSync(join(sandbox, '..')).mode & 0o777, 0o700, 'the directory above the sandbox is root\'s alone');
  const asNobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', join(sandbox, 'p'), 'id', '-u'], { encoding: 'utf8' });
  t.not(asNobody.status, 0, 'a host user can not reach it');
  t.notMatch(asNobody.stdout, /^0$/m);
});

t.test('a tree too deep for a recursive removal, in the sandbox and in the writable layer, still goes', rootOnly, async (t) => {
  const rootfs = makeBusyboxRootfs();
  t.teardown(rootfs.remove);
  const workDir = testDir(t, 'agent-rootfs-');
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub, { workDir, rootfsLabel: true });
  // 3,001 levels: two chains of 1,500, the one moved to the bottom of the other (a shell can't cd past PATH_MAX).
  const chain = 'i=0; while [ $i -lt 1500 ]; do mkdir d && cd d || exit 1; i=$((i+1)); done';
  const deep = (where: string) => `cd ${where} && mkdir x y && (cd x && ${chain}) && (cd y && ${chain} && mv ${where}/x .)`;
  const end = await launch(stub, agent, rootfsTask('deep', rootfs.path, `(${deep('"$MESOS_SANDBOX"')}) && (${deep('/tmp')}) && echo deep`));
  t.match(end, { state: 'TASK_FINISHED', stdout: 'deep\n' });
  await agent.taskEnded('F', 'deep');
  t.same(readdirSync(join(workDir, 'provisioner', 'containers')), [], 'the writable layer went with the container');
  await agent.close();
  // startAgent fails the test on any warning: the sandboxes go without one.
  await startAgent(t, new MasterStub(true), { workDir, rootfsLabel: true });
  t.notOk(existsSync(join(workDir, 'slaves')), "the next start removed the sandboxes");
});

/** Runs one task in a rootfs under an agent with `env`, and returns how it ended. */
async function runIn(t: Test, env: NodeJS.ProcessEnv, command: string, options: { rootfs?: boolean; rootfsPath?: string; more?: Partial<TaskInfo> } = {}) {
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub, { rootfsLabel: true, env });
  let task: TaskInfo;
  if (options.rootfs === false) {
    task = commandTask('task', command, options.more ?? {});
  } else if (options.rootfsPath !== undefined) {
    task = rootfsTask('task', options.rootfsPath, command, options.more ?? {});
  } else {
    const rootfs = makeBusyboxRootfs();
    t.teardown(rootfs.remove);
    task = rootfsTask('task', rootfs.path, command, options.more ?? {});
  }
  return launch(stub, agent, task);
}

const PROBES = [
  'mknod /tmp/n c 1 3 2>/dev/null && echo mknod=yes || echo mknod=no',
  'head -c 1 /proc/kcore 2>/dev/null | wc -c | sed "s/^ */kcore=/"',
  'grep -q " /proc/keys " /proc/mounts && echo keys=masked || echo keys=open',
  'grep -q " /sys/firmware " /proc/mounts && echo firmware=masked || echo firmware=open',
  'grep " /proc/sys " /proc/mounts | grep -q "[ ,]ro[ ,]" && echo procsys=ro || echo procsys=rw',
  'grep " /proc/irq " /proc/mounts | grep -q "[ ,]ro[ ,]" && echo irq=ro || echo irq=rw',
  'unshare -U true 2>/dev/null && echo unshare=yes || echo unshare=no',
  'grep CapEff /proc/self/status',
].join('; ');

function probed(stdout: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const match = /^(\w+)[=:]\s*(\S+)$/.exec(line);
    if (match !== null) result[match[1]!] = match[2]!;
  }
  return result;
}

// Docker's set less MKNOD: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT AUDIT_WRITE SETFCAP.
const DEFAULT_CAP_EFF = '00000000a00425fb';

t.test('the defaults: no device nodes, no /proc/kcore, masked and read-only /proc, no new namespaces', rootOnly, async (t) => {
  const end = await runIn(t, {}, PROBES);
  t.equal(end.state, 'TASK_FINISHED');
  t.same(probed(end.stdout), {
    mknod: 'no',
    kcore: '0',
    keys: 'masked',
    firmware: 'masked',
    procsys: 'ro',
    irq: 'ro',
    unshare: 'no',
    CapEff: DEFAULT_CAP_EFF,
  });
});

t.test('the defaults without a rootfs', rootOnly, async (t) => {
  const end = await runIn(t, {}, PROBES, { rootfs: false });
  t.equal(end.state, 'TASK_FINISHED');
  t.match(probed(end.stdout), { mknod: 'no', kcore: '0', keys: 'masked', procsys: 'ro', irq: 'ro', unshare: 'no', CapEff: DEFAULT_CAP_EFF });
});

t.test('each default switched off with MESOS_ISOLATION', rootOnly, async (t) => {
  const none = probed((await runIn(t, { MESOS_ISOLATION: 'cgroups/cpu,cgroups/mem' }, PROBES)).stdout);
  t.match(none, { mknod: 'yes', keys: 'open', firmware: 'open', unshare: 'yes' }, 'none of ours');
  t.not(none['CapEff'], DEFAULT_CAP_EFF);
  const noFilesystem = probed((await runIn(t, { MESOS_ISOLATION: 'linux/capabilities,linux/seccomp' }, PROBES)).stdout);
  t.match(noFilesystem, { mknod: 'no', keys: 'open', firmware: 'open', unshare: 'no' }, 'without filesystem/linux: no masks');
  const noCapabilities = probed((await runIn(t, { MESOS_ISOLATION: 'filesystem/linux,linux/seccomp' }, PROBES)).stdout);
  t.match(noCapabilities, { mknod: 'yes', keys: 'masked' }, 'without linux/capabilities: every capability');
  const noSeccomp = probed((await runIn(t, { MESOS_ISOLATION: 'filesystem/linux,linux/capabilities' }, PROBES)).stdout);
  t.match(noSeccomp, { mknod: 'no', keys: 'masked', unshare: 'yes', CapEff: DEFAULT_CAP_EFF }, 'without linux/seccomp: no filter');
});

t.test("the operator's capabilities and seccomp profile, and the task's own capabilities", rootOnly, async (t) => {
  const mknod = probed((await runIn(t, { MESOS_EFFECTIVE_CAPABILITIES: '{"capabilities":["MKNOD"]}' }, PROBES)).stdout);
  t.match(mknod, { mknod: 'yes', CapEff: '0000000008000000' });
  const own = await runIn(t, {}, PROBES, { more: { container: { type: 'MESOS', linux_info: { effective_capabilities: { capabilities: ['MKNOD'] } } } } as Partial<TaskInfo> });
  t.match(probed(own.stdout), { mknod: 'yes', CapEff: '0000000008000000' }, "the task's own win");
  const bounded = await runIn(t, { MESOS_BOUNDING_CAPABILITIES: '{"capabilities":["CHOWN"]}' }, 'true', {
    more: { container: { type: 'MESOS', linux_info: { effective_capabilities: { capabilities: ['SYS_ADMIN'] } } } } as Partial<TaskInfo>,
  });
  t.match(bounded, { state: 'TASK_FAILED', message: "Failed to launch container: Requested capabilities '{ SYS_ADMIN }', but only '{ CHOWN }' are allowed" });
  const profiles = testDir(t, 'seccomp-');
  writeFileSync(
    join(profiles, 'no-mkdir.json'),
    JSON.stringify({
      defaultAction: 'SCMP_ACT_ALLOW',
      archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }, { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: [] }],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }],
    }),
  );
  const custom = await runIn(t, { MESOS_SECCOMP_CONFIG_DIR: profiles, MESOS_SECCOMP_PROFILE_NAME: 'no-mkdir.json' }, 'mkdir /tmp/d 2>&1; unshare -U true && echo unshare=yes');
  t.match(custom, { state: 'TASK_FINISHED', stdout: /Operation not permitted[\s\S]*unshare=yes/ });
  const seccomp = (value: object) => ({ container: { type: 'MESOS', linux_info: { seccomp: value } } }) as Partial<TaskInfo>;
  const unconfined = await runIn(t, {}, 'unshare -U true && echo unshare=yes', { more: seccomp({ unconfined: true }) });
  t.match(unconfined, { state: 'TASK_FINISHED', stdout: 'unshare=yes\n' }, 'a task may ask to be unconfined');
  const named = await runIn(t, { MESOS_SECCOMP_CONFIG_DIR: profiles }, 'mkdir /tmp/d 2>&1; unshare -U true && echo unshare=yes', { more: seccomp({ profile_name: 'no-mkdir.json' }) });
  t.match(named, { state: 'TASK_FINISHED', stdout: /Operation not permitted[\s\S]*unshare=yes/ }, 'or name a profile of the directory');
  const missing = await runIn(t, {}, 'true', { more: seccomp({ profile_name: 'none.json' }) });
  t.match(missing, { state: 'TASK_FAILED', message: /^Failed to launch container: Failed to read Seccomp profile '.*none.json'/ });
});
