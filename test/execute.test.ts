// mesos-execute with its local cluster, and the standalone task library
// under it, end to end as root: the task runs isolated (its own pid 1,
// hostname, /etc/hosts and /etc/hostname, network with only loopback, up,
// and mounts that never reach us; the host's own files and hostname stay
// as they were), exit codes and signals become Mesos's states and
// messages, --kill_after and Ctrl-C kill, the memory limit is enforced,
// and nothing is left behind: no processes, cgroups, work or runtime
// directories or mounts. With the local cluster our lines are on stderr
// and the task's output on stdout. Run `npm run build` first: the tests
// run bin/mesos-execute and native/build/clone.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname as osHostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchTask, runTask, type TaskStatus } from '../src/agent/standalone/task';
import { parseDuration } from '../src/execute/duration';
import { parseResources } from '../src/agent/standalone/resources';
import { describeWaitStatus, formatBytes } from '../src/agent/standalone/status';
import { processesInNamespace, testDir } from './helpers/process';
import { findBusybox, isStatic, makeBusyboxRootfs, type Rootfs } from './helpers/rootfs';
import { cleanEnv, EXECUTE, isRoot, ROOT, run, type Result } from './helpers/run';

// ------------------------------------------------------------ pure parts

t.test('stout durations', async (t) => {
  t.equal(parseDuration('10secs'), 10_000);
  t.equal(parseDuration('1.5mins'), 90_000);
  t.equal(parseDuration('250ms'), 250);
  t.equal(parseDuration('2hrs'), 7_200_000);
  t.equal(parseDuration('3us'), 0.003);
  t.throws(() => parseDuration('10'), { message: "Invalid duration '10'" });
  t.throws(() => parseDuration('10s'), { message: "Unknown duration unit 's'" });
  t.throws(() => parseDuration('secs'), { message: "Failed to convert '' to number" });
});

t.test('resources text', async (t) => {
  t.same(parseResources('cpus:1;mem:128'), { cpus: 1, mem: 128 });
  t.same(parseResources(' cpus(*):0.5 ; mem:64;disk:10;cpus:0.5 '), { cpus: 1, mem: 64, disk: 10 });
  t.throws(() => parseResources('cpus'), /no value/);
  t.throws(() => parseResources('cpus:abc'), /Invalid scalar value 'abc'/);
  t.throws(() => parseResources('ports:[31000-32000]'), /no ranges resource 'ports'/);
  t.throws(() => parseResources('cpus(web):1'), /reserved for role 'web'/);
});

t.test("wait statuses and sizes in Mesos's words", async (t) => {
  t.equal(describeWaitStatus(0), 'exited with status 0');
  t.equal(describeWaitStatus(768), 'exited with status 3');
  t.equal(describeWaitStatus(9), 'terminated with signal Killed');
  t.equal(describeWaitStatus(15), 'terminated with signal Terminated');
  t.equal(describeWaitStatus(0x80 | 11), 'terminated with signal Segmentation fault (core dumped)');
  t.equal(formatBytes(128 * 1024 * 1024), '128MB');
  t.equal(formatBytes(1536 * 1024), '1536KB');
  t.equal(formatBytes(1000), '1000B');
});

// ------------------------------------------------------------ the command line

function execute(args: readonly string[], options: { cwd?: string } = {}): Result {
  return run(EXECUTE, args, { cwd: options.cwd ?? tmpdir() });
}

t.test('missing --name or --command is a usage error, as in Mesos', async (t) => {
  for (const [args, message] of [
    [['--command=true'], 'Missing required option --name'],
    [['--name=x'], 'Missing required option --command'],
    [['--name=x', '--command=true', '--bogus'], "Failed to load unknown flag 'bogus'"],
    [['--name=x', '--command=true', '--kill_after=5'], "Failed to load flag 'kill_after': Failed to load value '5': Invalid duration '5'"],
  ] as const) {
    const result = execute(args);
    t.equal(result.code, 1, args.join(' '));
    t.equal(result.stdout, '', 'nothing on stdout');
    t.ok(result.stderr.startsWith(`${message}\n\nUsage: mesos-execute [options]\n`), result.stderr.split('\n')[0]);
  }
  const help = execute(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^Usage: mesos-execute \[options\]\n/);
  t.match(help.stdout, /--kill_after=VALUE/);
  t.match(help.stdout, /Exits 0 when the task finished/);
});

t.test('what this mesos-execute cannot honour is refused in one line', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['--master=zk://10.0.0.1:2181/mesos'], /^Master 'zk:\/\/10\.0\.0\.1:2181\/mesos' is not supported: this client does not detect masters through ZooKeeper; give HOST:PORT or http:\/\/HOST:PORT$/m],
    [['--master=10.0.0.1'], /^Master '10\.0\.0\.1' is not supported: expected a host and a port/],
    [['--master=127.0.0.1:1', '--rootfs=/srv'], /^Flag --rootfs is only for --master=local/],
    [['--appc_image=busybox'], /^Flag --appc_image is not supported yet/],
    [['--volumes=[]'], /^Flag --volumes is not supported yet/],
    [['--package=x.tgz'], /^Flag --package is not supported yet/],
    [['--principal=me'], /^Flag --principal is not supported yet/],
    [['--framework_capabilities=GPU_RESOURCES'], /^Flag --framework_capabilities is not supported yet/],
    [['--containerizer=docker'], /^Flag --containerizer=docker is not supported yet/],
    [['--containerizer=other'], /^Unsupported containerizer: other$/m],
    [['--content_type=xml'], /^Invalid content type 'xml'$/m],
    [['--resources=cpus:x'], /^Failed to parse resources 'cpus:x': /],
    [['--effective_capabilities={"capabilities":["NO_SUCH"]}'], /^Invalid --effective_capabilities: Failed to find enum for 'NO_SUCH' in field 'capabilities\[0\]'$/m],
  ];
  if (isRoot) {
    cases.push(
      [['--checkpoint'], /^Flag --checkpoint is not supported with --master=local/],
      [['--rootfs=/no/such/rootfs'], /^Root filesystem '\/no\/such\/rootfs' does not exist$/m],
    );
  } else {
    cases.push([[], /^The local cluster needs root/]);
  }
  for (const [args, message] of cases) {
    const result = execute(['--name=x', '--command=true', ...args]);
    t.equal(result.code, 1, args.join(' '));
    t.equal(result.stdout, '', `${args.join(' ')}: nothing started`);
    t.equal(result.stderr.split('\n').length, 2, `${args.join(' ')}: one line`);
    t.match(result.stderr, message);
  }
  const both = execute(['--task={}', '--name=x']);
  t.equal(both.code, 1);
  t.match(both.stderr, /^'--name, --command, --env, --appc_image, --docker_image, --volumes' can only be set when both '--task' and '--task_group' are not set\n\nUsage:/);
  const bad = execute(['--task={"name":"x"}']);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /^Failed to load flag 'task': Failed to load value '\{\\"name\\":\\"x\\"\}': Missing required fields: task_id, agent_id\n\nUsage:/);
});

t.test('what only the local agent can tell is said once the cluster is up', { skip: !isRoot && 'needs root' }, async (t) => {
  await leavingNothingBehind(t, async () => {
    const big = execute(['--name=big', '--command=true', '--resources=cpus:100000']);
    t.equal(big.code, 1);
    t.equal(big.stdout, '');
    t.match(big.stderr, /^Subscribed with ID [0-9a-f-]{36}-0000\nThe local agent can't offer 'cpus:100000': it has 'cpus:\d+; mem:\d+; disk:\d+; ports:\[[0-9-, ]+\]'\n$/);

    const rlimits = execute(['--name=rl', '--command=true', '--rlimits={"rlimits":[{"type":"RLMT_CPU","soft":1}]}']);
    t.equal(rlimits.code, 1);
    t.match(lastUpdate(rlimits.stderr), /^Received status update TASK_ERROR for task 'rl'\n  message: '.*Invalid rlimit values.*'\n  source: SOURCE_AGENT\n  reason: REASON_TASK_INVALID\n$/);

    const tty = execute(['--name=tty', '--command=true', '--tty']);
    t.equal(tty.code, 1);
    t.match(lastUpdate(tty.stderr), /TASK_FAILED for task 'tty'\n  message: 'Failed to launch container: a terminal is not supported by this agent'/);

    const network = execute(['--name=net', '--command=true', '--networks=net1']);
    t.equal(network.code, 1);
    t.match(lastUpdate(network.stderr), /TASK_FAILED for task 'net'\n  message: 'Failed to launch container: Unknown CNI network 'net1''/);

    const role = execute(['--name=role', '--command=true', '--role=web']);
    t.equal(role.code, 0, role.stderr);
  });
});

// ------------------------------------------------------------ containers

interface Leftovers {
  runtimeDirectories: string[];
  cgroups: string[];
  mounts: string;
  /** The host's hostname and the /etc files containers get their own of. */
  host: string;
}

function hostFiles(): string {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return '(missing)';
    }
  };
  return JSON.stringify([osHostname(), ...['/etc/hosts', '/etc/hostname', '/etc/resolv.conf'].map(read)]);
}

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** Directories named `prefix*` in the cgroup trees, a few levels down. */
function cgroupsNamed(prefix: string): string[] {
  const roots = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => / - cgroup2? /.test(line))
    .map((line) => line.split(' ')[4]!);
  const found: string[] = [];
  const walk = (directory: string, depth: number) => {
    let entries: string[];
    try {
      entries = readdirSync(directory, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name.startsWith(prefix)) found.push(join(directory, name));
      else if (depth < 4) walk(join(directory, name), depth + 1);
    }
  };
  for (const root of roots) walk(root, 0);
  return found;
}

/** The local clusters' fresh work directories. */
function clusterDirectories(): string[] {
  try {
    return readdirSync(join(tmpdir(), 'mesos', 'work')).map((name) => join('mesos', 'work', name));
  } catch {
    return [];
  }
}

function leftovers(): Leftovers {
  return {
    // The standalone library's runtime directories, and the local clusters' work directories.
    runtimeDirectories: [...readdirSync(tmpdir()).filter((name) => name.startsWith('mesos-execute-')), ...clusterDirectories()],
    cgroups: [...cgroupsNamed('mesos-execute-'), ...cgroupsNamed('mesos-agent-')],
    mounts: readFileSync('/proc/self/mountinfo', 'utf8'),
    host: hostFiles(),
  };
}

/**
 * Runs `body`, then checks that the machine is as it was before: the same
 * mounts for us, the same hostname and /etc files, and no runtime
 * directory or cgroup of ours. Whatever is left is removed, so one failure
 * does not spill into the next test.
 */
async function leavingNothingBehind(t: Test, body: () => Promise<void>): Promise<void> {
  const before = leftovers();
  try {
    await body();
  } finally {
    const after = leftovers();
    t.equal(after.mounts, before.mounts, 'our mount table is unchanged');
    t.equal(after.host, before.host, "the host's hostname, /etc/hosts, /etc/hostname and /etc/resolv.conf are unchanged");
    const newDirectories = after.runtimeDirectories.filter((name) => !before.runtimeDirectories.includes(name));
    t.same(newDirectories, [], 'no runtime directory is left');
    const newCgroups = after.cgroups.filter((path) => !before.cgroups.includes(path));
    t.same(newCgroups, [], 'no cgroup is left');
    for (const name of newDirectories) rmSync(join(tmpdir(), name), { recursive: true, force: true });
    for (const path of newCgroups) {
      try {
        rmdirSync(path);
      } catch {
        // Still busy: nothing more a test can do.
      }
    }
  }
}

/** The status update blocks of mesos-execute's lines, in order: "TASK_RUNNING", ... */
function states(lines: string): string[] {
  return [...lines.matchAll(/^Received status update (TASK_[A-Z_]+) for task '[^']*'$/gm)].map((match) => match[1]!);
}

/** The lines under the last status update. */
function lastUpdate(lines: string): string {
  const at = lines.lastIndexOf('Received status update');
  return at === -1 ? '' : lines.slice(at);
}

function haveMemoryController(): boolean {
  const own = readFileSync('/proc/self/cgroup', 'utf8');
  if (/^\d+:[^:]*\bmemory\b[^:]*:/m.test(own)) return true;
  try {
    const subtree = readFileSync('/sys/fs/cgroup/cgroup.subtree_control', 'utf8');
    return subtree.split(/\s+/).includes('memory');
  } catch {
    return false;
  }
}

const rootOnly = { skip: !isRoot && 'needs root (namespaces, mounts and cgroups)' };

t.test('a task runs isolated: its own pid 1, hostname, loopback-only network and mounts', rootOnly, async (t) => {
  await leavingNothingBehind(t, async () => {
    const ourPidNamespace = readlinkSync('/proc/self/ns/pid');
    const script = [
      'echo "pid=$$"',
      'echo "pidns=$(readlink /proc/self/ns/pid)"',
      'echo "hostname=$(hostname)"',
      'echo "etc_hostname=$(cat /etc/hostname)"',
      'echo "etc_hosts=$(tr "\\n" "," < /etc/hosts)"',
      'echo "etc_mounts=$(grep -E " /etc/(hosts|hostname) " /proc/self/mountinfo | grep -c " ro,")"',
      'echo "pid1=$(tr "\\0" " " < /proc/1/cmdline)"',
      'echo "links=$(ip -o link show | wc -l)"',
      'echo "lo=$(ip -o link show lo)"',
      'echo "procs=$(ls /proc | grep -c "^[0-9]")"',
      'echo "cwd=$(pwd)"',
      'echo "sandbox=$MESOS_SANDBOX"',
    ].join('; ');
    const result = execute(['--name=isolated', `--command=${script}`]);
    const ended = Date.now();
    t.equal(result.code, 0, result.stderr);
    const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(result.stdout)?.[1];
    t.match(result.stderr, /^Subscribed with ID [0-9a-f-]{36}-0000\nSubmitted task 'isolated' to agent '[0-9a-f-]{36}-S0'\n/);
    t.same(states(result.stderr), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
    t.equal(lastUpdate(result.stderr), "Received status update TASK_FINISHED for task 'isolated'\n  message: 'Command exited with status 0'\n  source: SOURCE_EXECUTOR\n");
    t.not(value('pidns'), ourPidNamespace, 'a pid namespace of its own');
    t.ok(Number(value('pid')) < 50, `a small pid in its namespace (${value('pid')})`);
    t.match(value('pid1'), /mesos-containerizer/, 'pid 1 is the helper that waits for the task');
    t.match(value('hostname'), /^[0-9a-f-]{36}$/, 'the container id as hostname');
    t.not(value('hostname'), osHostname());
    t.equal(value('etc_hostname'), value('hostname'), '/etc/hostname says the same');
    t.equal(
      value('etc_hosts'),
      `127.0.0.1 localhost,::1 localhost ip6-localhost ip6-loopback,127.0.1.1 ${value('hostname')},`,
      '/etc/hosts names the container',
    );
    t.equal(value('etc_mounts'), '2', '/etc/hosts and /etc/hostname are read-only binds');
    t.equal(value('links'), '1', 'only one network interface');
    t.match(value('lo'), /^1: lo: <[^>]*\bUP\b/, 'loopback, up');
    t.ok(Number(value('procs')) < 20, `only its own processes in /proc (${value('procs')})`);
    t.match(value('cwd'), /\/slaves\/[0-9a-f-]+-S0\/frameworks\/[0-9a-f-]+-0000\/executors\/isolated\/runs\/[0-9a-f-]{36}$/, 'the working directory is the sandbox');
    t.equal(value('sandbox'), value('cwd'), 'MESOS_SANDBOX names it');
    t.same(processesInNamespace(value('pidns')!, ended), [], 'no process of the container is left');
  });
});

t.test('exit codes and signals become task states', rootOnly, async (t) => {
  await leavingNothingBehind(t, async () => {
    const failed = execute(['--name=three', '--command=exit 3']);
    t.equal(failed.code, 1);
    t.same(states(failed.stderr), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FAILED']);
    t.equal(lastUpdate(failed.stderr), "Received status update TASK_FAILED for task 'three'\n  message: 'Command exited with status 3'\n  source: SOURCE_EXECUTOR\n");

    const signalled = execute(['--name=nine', '--command=kill -9 $$']);
    t.equal(signalled.code, 1);
    t.equal(lastUpdate(signalled.stderr), "Received status update TASK_FAILED for task 'nine'\n  message: 'Command terminated with signal Killed'\n  source: SOURCE_EXECUTOR\n");

    const env = execute(['--name=env', '--command=echo "FOO=$FOO TASK=$MESOS_EXECUTOR_ID"', '--env={"FOO":"bar baz"}']);
    t.equal(env.code, 0, env.stderr);
    t.match(env.stdout, /^FOO=bar baz TASK=env$/m);

    const noShell = execute(['--name=exec', '--no-shell', '--command=/bin/echo one  two']);
    t.equal(noShell.code, 0, noShell.stderr);
    t.match(noShell.stdout, /^one two$/m);

    const user = execute(['--name=user', '--user=nobody', '--command=id -u']);
    t.equal(user.code, 0, user.stderr);
    t.match(user.stdout, /^65534$/m);

    const limited = execute([
      '--name=limited',
      '--command=echo "nofile=$(ulimit -n)"; grep CapEff /proc/self/status',
      '--rlimits={"rlimits":[{"type":"RLMT_NOFILE","soft":64,"hard":64}]}',
      '--effective_capabilities={"capabilities":["NET_RAW"]}',
    ]);
    t.equal(limited.code, 0, limited.stderr);
    t.match(limited.stdout, /^nofile=64$/m, 'the rlimit is applied');
    t.match(limited.stdout, /^CapEff:\s+0000000000002000$/m, 'only CAP_NET_RAW is effective');

    const launchFailure = execute(['--name=nouser', '--user=no-such-user-here', '--command=true']);
    t.equal(launchFailure.code, 1);
    t.match(lastUpdate(launchFailure.stderr), /^Received status update TASK_DROPPED for task 'nouser'\n  message: 'Failed to create executor directory '.*': Failed to chown directory to 'no-such-user-here': No such user 'no-such-user-here''\n  source: SOURCE_AGENT\n  reason: REASON_EXECUTOR_TERMINATED\n$/);
  });
});

t.test('--kill_after kills the task: TASK_KILLING, then TASK_KILLED', rootOnly, async (t) => {
  await leavingNothingBehind(t, async () => {
    const started = Date.now();
    const result = execute(['--name=sleepy', '--command=echo "pidns=$(readlink /proc/self/ns/pid)"; exec sleep 60', '--kill_after=300ms']);
    const ended = Date.now();
    t.ok(Date.now() - started < 20_000, 'killed long before the sleep ends');
    t.equal(result.code, 1);
    t.same(states(result.stderr), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);
    t.match(result.stderr, /^Asked to kill task 'sleepy' on agent '[0-9a-f-]+-S0'$/m);
    t.equal(lastUpdate(result.stderr), "Received status update TASK_KILLED for task 'sleepy'\n  message: 'Command terminated with signal Terminated'\n  source: SOURCE_EXECUTOR\n");
    const namespace = /^pidns=(.*)$/m.exec(result.stdout)?.[1];
    t.ok(namespace, 'the task said where it ran');
    if (namespace !== undefined) t.same(processesInNamespace(namespace, ended), [], 'no process is left');

    // A task that ignores SIGTERM is killed after the grace period.
    const stubborn = execute(['--name=stubborn', '--command=trap "" TERM; while :; do sleep 0.1; done', '--kill_after=300ms']);
    t.equal(stubborn.code, 1);
    t.equal(lastUpdate(stubborn.stderr), "Received status update TASK_KILLED for task 'stubborn'\n  message: 'Command terminated with signal Killed'\n  source: SOURCE_EXECUTOR\n");
  });
});

t.test('Ctrl-C (SIGINT) kills the task and reports TASK_KILLED', rootOnly, async (t) => {
  await leavingNothingBehind(t, async () => {
    const child = spawn(EXECUTE, ['--name=interrupted', '--command=exec sleep 60'], { env: cleanEnv(), cwd: tmpdir() });
    t.teardown(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let lines = '';
    child.stderr.setEncoding('utf8');
    const running = new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: string) => {
        lines += chunk;
        if (lines.includes('TASK_RUNNING')) resolve();
      });
      child.once('close', () => reject(new Error(`mesos-execute ended before TASK_RUNNING: ${lines}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    await running;
    child.kill('SIGINT');
    const code = await exited;
    t.equal(code, 1);
    t.same(states(lines), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);
    t.match(lastUpdate(lines), /message: 'Command terminated with signal Terminated'/);
  });
});

t.test('a task over its memory limit is OOM-killed and reported as a limitation', { skip: rootOnly.skip || (!haveMemoryController() && 'no memory cgroup controller') }, async (t) => {
  await leavingNothingBehind(t, async () => {
    const result = execute(['--name=hungry', '--resources=cpus:0.5;mem:64', '--command=dd if=/dev/zero of=/dev/null bs=300M count=1']);
    t.equal(result.code, 1);
    t.same(states(result.stderr), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FAILED']);
    t.match(
      lastUpdate(result.stderr),
      /^Received status update TASK_FAILED for task 'hungry'\n  message: 'Memory limit exceeded: Requested: 64MB Maximum Used: \d+[KMG]?B'\n  source: SOURCE_AGENT\n  reason: REASON_CONTAINER_LIMITATION_MEMORY\n  resource limit violation: mem:\d+\n$/,
    );
    const within = execute(['--name=modest', '--resources=cpus:0.5;mem:64', '--command=dd if=/dev/zero of=/dev/null bs=8M count=1']);
    t.equal(within.code, 0, within.stderr);
  });
});

t.test('a task in a busybox rootfs sees only the rootfs', { skip: rootOnly.skip || ((findBusybox() === undefined || !isStatic(findBusybox()!)) && 'no static busybox') }, async (t) => {
  await leavingNothingBehind(t, async () => {
    const rootfs: Rootfs = makeBusyboxRootfs();
    t.teardown(() => rootfs.remove());
    const script = [
      'echo "pid=$$"',
      'echo "hostname=$(hostname)"',
      'echo "etc_hostname=$(cat /etc/hostname)"',
      'echo "etc_hosts=$(grep -c "^127.0.1.1 $(hostname)$" /etc/hosts)"',
      'echo "resolv=$(md5sum < /etc/resolv.conf | cut -d" " -f1)"',
      'echo "root=$(ls / | tr "\\n" " ")"',
      `echo "host_repo=$(test -e ${EXECUTE} && echo yes || echo no)"`,
      'echo "devnull=$(test -c /dev/null && echo yes)"',
      'echo "fd=$(readlink /dev/fd)"',
      'echo "proc_sys=$(grep " /proc/sys " /proc/self/mountinfo | grep -c " ro,")"',
      'echo "cwd=$(pwd)"',
    ].join('; ');
    const result = execute(['--name=boxed', `--rootfs=${rootfs.path}`, `--command=${script}`]);
    t.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const value = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(result.stdout)?.[1];
    t.same(states(result.stderr), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
    t.match(value('hostname'), /^[0-9a-f-]{36}$/);
    t.equal(value('etc_hostname'), value('hostname'), '/etc/hostname says the same');
    t.equal(value('etc_hosts'), '1', '/etc/hosts names the container');
    t.equal(value('resolv'), md5(readFileSync('/etc/resolv.conf')), "/etc/resolv.conf is the host's");
    t.match(value('root'), /\bbin\b.*\bdev\b.*\bproc\b/);
    t.equal(value('host_repo'), 'no', "the host's files are out of reach");
    t.equal(value('devnull'), 'yes', '/dev/null is a device');
    t.equal(value('fd'), '/proc/self/fd', '/dev/fd links to the process fds');
    t.equal(value('proc_sys'), '1', '/proc/sys is read-only');
    t.equal(value('cwd'), '/mnt/mesos/sandbox', 'the task starts in its sandbox, bound where Mesos binds it');
    t.same(readdirSync(join(rootfs.path, 'dev')), [], 'the /dev mounts stayed in the container');
    t.equal(readFileSync(join(rootfs.path, 'etc', 'hostname'), 'utf8'), 'rootfs\n', "the rootfs's own /etc/hostname is unchanged");
  });
});

t.test("a symlink at the rootfs's /etc/hosts is not followed, and stays in the rootfs", { skip: rootOnly.skip || ((findBusybox() === undefined || !isStatic(findBusybox()!)) && 'no static busybox') }, async (t) => {
  await leavingNothingBehind(t, async () => {
    const rootfs: Rootfs = makeBusyboxRootfs();
    t.teardown(() => rootfs.remove());
    const outside = testDir(t, 'execute-outside-');
    writeFileSync(join(outside, 'hosts'), 'host hosts\n');
    rmSync(join(rootfs.path, 'etc', 'hosts'));
    symlinkSync(join(outside, 'hosts'), join(rootfs.path, 'etc', 'hosts'));
    const result = execute(['--name=linked', `--rootfs=${rootfs.path}`, '--command=cat /etc/hosts']);
    t.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    t.match(result.stdout, /^127\.0\.1\.1 [0-9a-f-]{36}$/m, "the container's /etc/hosts");
    t.equal(readFileSync(join(outside, 'hosts'), 'utf8'), 'host hosts\n', 'the file the link led to is untouched');
    // A plain file took the link's place in the container's own writable layer; the rootfs is not written.
    t.equal(readlinkSync(join(rootfs.path, 'etc', 'hosts')), join(outside, 'hosts'), "the rootfs's link is as it was");
  });
});

t.test('the clone program: hostname and loopback in the new namespaces, one-line refusals', rootOnly, async (t) => {
  const clone = join(ROOT, 'native', 'build', 'clone');
  const NEWUTS = 0x04000000;
  const NEWNET = 0x40000000;
  const NEWNS = 0x00020000;
  const ourHostname = osHostname();
  const ok = run(clone, [String(NEWUTS | NEWNET), '3', '--hostname=box', '--', 'sh', '-c', 'hostname; ip -o link show lo'], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^box\n1: lo: <[^>]*\bUP\b/, 'the hostname is set and lo is up');
  t.equal(osHostname(), ourHostname, "the host's hostname is untouched");
  const cases: Array<[string[], RegExp]> = [
    [[String(NEWUTS), '3', `--hostname=${'a'.repeat(65)}`, '--', 'true'], /^clone: Invalid hostname: it must have 1 to 64 characters\n$/],
    [[String(NEWUTS), '3', '--hostname=', '--', 'true'], /^clone: Invalid hostname: /],
    [[String(NEWNS), '3', '--hostname=box', '--', 'true'], /^clone: --hostname needs a new UTS namespace/],
    [[String(NEWUTS), '3', '--hostname=box', 'true'], /^Usage: clone <clone-flags> <pid-fd> \[--hostname=NAME\] \[--cgroup=DIR\]\.\.\. \[--overlay=DIR --overlay-options=OPTIONS\] -- /],
    [[String(NEWUTS), '3', '--overlay=/x', '--overlay-options=lowerdir=/', '--', 'true'], /^clone: --overlay needs a new mount namespace/],
    [[String(NEWNS), '3', '--overlay=/x', '--', 'true'], /^clone: --overlay needs an absolute DIR and --overlay-options/],
    [[String(NEWNS), '3', '--overlay=x', '--overlay-options=lowerdir=/', '--', 'true'], /^clone: --overlay needs an absolute DIR/],
  ];
  for (const [args, message] of cases) {
    const result = run(clone, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    t.equal(result.code, 1, args.join(' '));
    t.equal(result.stderr.split('\n').length, 2, `${args.join(' ')}: one line`);
    t.match(result.stderr, message);
  }
  // A child that fails before its exec: no pid for the agent, and why on stderr.
  const failed = spawn(clone, [String(NEWUTS), '3', '--hostname=box', '--', '/no/such/program'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let pid = '';
  let errors = '';
  failed.stdio[3]!.on('data', (chunk: Buffer) => (pid += chunk.toString()));
  failed.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => failed.once('close', resolve));
  t.equal(code, 1);
  t.equal(pid, '', 'no pid reported');
  t.equal(errors, 'clone: /no/such/program: No such file or directory\n');

  // The clone program keeps none of the fds it hands on: one its child
  // closes is closed for good, while the child still runs.
  const handed = spawn(clone, [String(NEWUTS), '3', '--', 'sh', '-c', 'exec 4>&-; sleep 0.5'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
  });
  const closedAt = new Promise<number>((resolve) => handed.stdio[4]!.once('end', () => resolve(Date.now())));
  (handed.stdio[4] as NodeJS.ReadableStream).resume();
  const exitedAt = new Promise<number>((resolve) => handed.once('exit', () => resolve(Date.now())));
  t.ok((await exitedAt) - (await closedAt) > 200, 'end of file long before the program exits');

  // --cgroup: the child starts in the cgroups named.
  const unified = readFileSync('/proc/self/mountinfo', 'utf8').match(/^\S+ \S+ \S+ \/ (\S+) .* - cgroup2 /m)?.[1];
  const own = readFileSync('/proc/self/cgroup', 'utf8').match(/^0::(\S*)$/m)?.[1];
  if (unified !== undefined && own !== undefined) {
    const cgroup = join(unified, own, `clone-test-${process.pid}`);
    mkdirSync(cgroup);
    try {
      const joined = run(clone, [String(NEWUTS), '3', `--cgroup=${cgroup}`, '--', 'cat', '/proc/self/cgroup'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
      t.equal(joined.code, 0, joined.stderr);
      t.match(joined.stdout, new RegExp(`^0::${join(own, `clone-test-${process.pid}`).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), 'in the cgroup');
      const refused = run(clone, [String(NEWUTS), '3', `--cgroup=${cgroup}/nowhere`, '--', 'true'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
      t.equal(refused.code, 1);
      t.equal(refused.stderr, `clone: Failed to join cgroup '${cgroup}/nowhere': No such file or directory\n`);
    } finally {
      rmdirSync(cgroup);
    }
  }
});

// ------------------------------------------------------------ the TypeScript API

t.test('launchTask: status updates, piped output, kill', rootOnly, async (t) => {
  await leavingNothingBehind(t, async () => {
    const seen: TaskStatus[] = [];
    const finished = launchTask({
      name: 'api',
      command: 'echo "out=$GREETING"; echo "err" >&2',
      environment: { GREETING: 'hi' },
      stdout: 'pipe',
      stderr: 'pipe',
      onWarning: (message) => t.fail(message),
    });
    finished.on('status', (status) => seen.push(status));
    let output = '';
    finished.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    let errors = '';
    finished.stderr!.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));
    const final = await finished.done;
    t.equal(final.state, 'TASK_FINISHED');
    t.equal(final.message, 'Command exited with status 0');
    t.equal(final.waitStatus, 0);
    t.same(seen.map((status) => status.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
    t.ok(seen.every((status) => status.taskId === 'api' && status.containerId === finished.containerId));
    t.match(output, /^out=hi$/m);
    t.match(errors, /^err$/m);

    const sleeper = launchTask({ name: 'api-kill', command: 'exec sleep 60', stdout: 'ignore', network: 'host', killGracePeriodMs: 1000 });
    sleeper.on('status', (status) => {
      if (status.state === 'TASK_RUNNING') sleeper.kill();
    });
    const killed = await sleeper.done;
    t.equal(killed.state, 'TASK_KILLED');
    t.equal(killed.message, 'Command terminated with signal Terminated');

    const early = launchTask({ name: 'api-early', command: 'exec sleep 60' });
    early.kill();
    const earlyFinal = await early.done;
    t.equal(earlyFinal.state, 'TASK_KILLED');
    t.equal(earlyFinal.reason, 'REASON_TASK_KILLED_DURING_LAUNCH');

    const failed = await runTask({ name: 'api-fail', command: 'exit 7', stdout: 'ignore' });
    t.equal(failed.state, 'TASK_FAILED');
    t.equal(failed.waitStatus, 7 << 8);

    t.throws(() => launchTask({ name: 'bad', command: 'true', rootfs: '/no/such/dir' }), { message: "Root filesystem '/no/such/dir' does not exist" });
    t.throws(() => launchTask({ name: 'bad', command: 'true', effectiveCapabilities: ['NOPE'] }), /Failed to find enum for 'NOPE' in field 'task.effective_capabilities.capabilities\[0\]'/);
  });
});

t.test('--resources become cgroup limits, and the helper is in the cgroups before the task runs', rootOnly, async (t) => {
  await leavingNothingBehind(t, async () => {
    const warnings: string[] = [];
    const task = launchTask({
      name: 'limits',
      command: 'exec sleep 60',
      resources: { cpus: 0.5, mem: 96 },
      network: 'host',
      stdout: 'ignore',
      onWarning: (message) => warnings.push(message),
    });
    const running = new Promise<void>((resolve) => task.on('status', (status) => status.state === 'TASK_RUNNING' && resolve()));
    await running;
    const cgroups = cgroupsNamed(`mesos-execute-${task.containerId}`);
    const read = (file: string) => {
      for (const path of cgroups) {
        try {
          return readFileSync(join(path, file), 'utf8').trim();
        } catch {
          // Not this controller's directory.
        }
      }
      return undefined;
    };
    const memory = read('memory.max') ?? read('memory.limit_in_bytes');
    const cpu = read('cpu.max') ?? read('cpu.cfs_quota_us');
    if (memory === undefined) t.ok(warnings.some((line) => /memory limit/.test(line)), 'no memory controller: said so');
    else t.equal(memory, String(96 * 1024 * 1024), 'the memory limit');
    if (cpu === undefined) t.ok(warnings.some((line) => /cpu limit/.test(line)), 'no cpu controller: said so');
    else t.match(cpu, /^50000( 100000)?$/, 'half a cpu');
    const procs = cgroups.map((path) => readFileSync(join(path, 'cgroup.procs'), 'utf8'));
    t.ok(procs.every((list) => list.split('\n').includes(String(task.pid))), "the container's first process is in every cgroup");
    task.kill();
    t.equal((await task.done).state, 'TASK_KILLED');
  });
});

t.test('host networking keeps the host name and interfaces', rootOnly, async (t) => {
  await leavingNothingBehind(t, async () => {
    let output = '';
    const task = launchTask({ name: 'hostnet', command: 'hostname; readlink /proc/self/ns/net', network: 'host', stdout: 'pipe' });
    task.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const final = await task.done;
    t.equal(final.state, 'TASK_FINISHED');
    t.equal(output.split('\n')[0], osHostname());
    t.equal(output.split('\n')[1], readlinkSync('/proc/self/ns/net'), "the host's network namespace");
  });
});

t.test('the agent leaves nothing when launch itself fails', rootOnly, async (t) => {
  await leavingNothingBehind(t, async () => {
    // The helper can't chdir there: the launch fails after the pipe is released.
    const status = await runTask({ name: 'nowd', command: 'true', workingDirectory: '/etc/passwd/no-such-dir', stdout: 'ignore', stderr: 'ignore' });
    t.equal(status.state, 'TASK_FAILED');
    t.equal(status.source, 'SOURCE_AGENT');
    t.equal(status.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
    t.match(status.message, /^Failed to launch container: /);
  });
});
