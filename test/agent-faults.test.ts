// Faults the local agent must survive, each with real containers as root:
// a task that makes cgroups of its own, a root task that tries to leave
// its cgroups, a fork bomb, the agent's own process killed with SIGKILL, a
// runtime filesystem full when the task ends, and a command or variable
// past 64 KiB. Run `npm run build` first.
import t, { type Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { LocalAgent, type TaskView } from '../src/agent/local-agent';
import { findHierarchy, readMounts, readOwnCgroups } from '../src/agent/cgroups/hierarchies';
import { agentCgroups, cgroupsRootFor } from '../src/agent/work-dir';
import { launchTask, TaskOptionsError } from '../src/agent/standalone/task';
import { startAgent } from './helpers/local-agent';
import { commandTask, framework, MasterStub } from './helpers/master-stub';
import { sleep, testDir, waitFor } from './helpers/process';
import { cleanEnv, isRoot, ROOT } from './helpers/run';

const rootOnly = { skip: !isRoot && 'needs root (namespaces, mounts and cgroups)' };

function pidsIn(cgroup: string): number[] {
  try {
    return readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter((line) => line !== '').map(Number);
  } catch {
    return [];
  }
}

/** The container's cgroup of the hierarchy whose directory holds `file`. */
function cgroupWith(view: TaskView, file: string): string {
  const path = view.cgroups.find((directory) => existsSync(join(directory, file)));
  if (path === undefined) throw new Error(`no cgroup of the container has ${file}`);
  return path;
}

/** The waiter's child: the task's own process, as we see it. */
function taskPid(view: TaskView): number {
  const children = readFileSync(`/proc/${view.pid}/task/${view.pid}/children`, 'utf8').trim().split(' ');
  return Number(children[0]);
}

t.test('cgroups a task makes inside its own are removed with it, deepest first', rootOnly, async (t) => {
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub);
  // A fresh cgroup filesystem in the container is rooted at the container's cgroup (its cgroup namespace).
  const script = [
    'mkdir cg && mount -t cgroup -o pids none cg',
    'mkdir -p cg/child/grandchild',
    'echo $$ > cg/child/grandchild/cgroup.procs',
    '{ sleep 60 & echo $! > cg/child/cgroup.procs; }',
    'echo nested',
    'exec sleep 60',
  ].join(' && ');
  // Mounting needs CAP_SYS_ADMIN, which a task has only when it asks for it.
  agent.runTask(framework('F'), commandTask('nest', script, { container: { type: 'MESOS', linux_info: { effective_capabilities: { capabilities: ['SYS_ADMIN'] } } } }));
  await stub.waitForState('nest', 'TASK_RUNNING');
  const view = agent.taskView('F', 'nest')!;
  await waitFor('the nested cgroups', () => (readFileSync(join(view.sandbox, 'stdout'), 'utf8').includes('nested') ? true : undefined));
  const pids = cgroupWith(view, 'pids.max');
  t.ok(existsSync(join(pids, 'child', 'grandchild')), "the task's cgroups are under the container's");
  t.equal(pidsIn(join(pids, 'child', 'grandchild')).length, 1, 'with the task in the deepest');
  t.equal(pidsIn(join(pids, 'child')).length, 1, 'and its background sleep one up');
  agent.killTask('F', 'nest', { grace_period: { nanoseconds: 0 } });
  const final = await stub.waitForEnd('nest');
  t.equal(final.status.state, 'TASK_KILLED');
  await agent.taskEnded('F', 'nest');
  t.notOk(existsSync(pids), "the container's cgroup and everything nested in it are gone");
  t.ok(view.cgroups.every((path) => !existsSync(path)));
});

const cpu = isRoot ? findHierarchy('cpu', readMounts(), readOwnCgroups()) : undefined;

t.test("a root task can't leave its cgroups", { skip: rootOnly.skip || (cpu === undefined && 'no cpu controller') }, async (t) => {
  const cpu = findHierarchy('cpu', readMounts(), readOwnCgroups())!;
  const mount = readMounts().find((entry) => (entry.fsType === 'cgroup' || entry.fsType === 'cgroup2') && cpu.parent.startsWith(entry.mountPoint))!;
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub);
  const script = [
    `echo $$ > ${mount.mountPoint}/cgroup.procs 2>&1 && echo "host view: escaped" || echo "host view: refused"`,
    'mkdir fresh && mount -t cgroup -o cpu none fresh 2>/dev/null || mount -t cgroup2 none fresh',
    'echo $$ > fresh/cgroup.procs && echo "fresh mount: wrote"',
    'echo "fresh root pids: $(wc -l < fresh/cgroup.procs)"',
    'grep -E "^[0-9]+:([^:]*,)?cpu(,[^:]*)?:|^0::" /proc/self/cgroup | sed "s/^/own: /"',
    'echo done',
    'exec sleep 60',
  ].join('; ');
  agent.runTask(framework('F'), commandTask('escape', script));
  await stub.waitForState('escape', 'TASK_RUNNING');
  const view = agent.taskView('F', 'escape')!;
  const out = await waitFor('the attempts', () => {
    const text = readFileSync(join(view.sandbox, 'stdout'), 'utf8');
    return text.includes('done') ? text : undefined;
  });
  t.comment(out.trim().replace(/\n/g, ' | '));
  t.match(out, /^host view: refused$/m, "writing the host's cgroup.procs fails");
  t.match(readFileSync(join(view.sandbox, 'stdout'), 'utf8') + readFileSync(join(view.sandbox, 'stderr'), 'utf8'), /Read-only file system/);
  t.match(out, /^own: \d+:[^:]*cpu[^:]*:\/$/m, 'the cgroup namespace is rooted at its own cgroup');
  const own = cgroupWith(view, cpu.version === 2 ? 'cpu.max' : 'cpu.cfs_quota_us');
  t.ok(pidsIn(own).includes(taskPid(view)), "the task is still in the container's cpu cgroup");
  agent.killTask('F', 'escape', { grace_period: { nanoseconds: 0 } });
  await stub.waitForEnd('escape');
});

t.test('a fork bomb stays within the pids limit', rootOnly, async (t) => {
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub, { pidsLimit: 32 });
  agent.runTask(
    framework('F'),
    commandTask('bomb', '(bomb() { bomb | bomb & }; bomb) 2>/dev/null & exec sleep 60', {
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 0.2 } }],
    }),
  );
  await stub.waitForState('bomb', 'TASK_RUNNING');
  const view = agent.taskView('F', 'bomb')!;
  const pids = cgroupWith(view, 'pids.max');
  t.equal(readFileSync(join(pids, 'pids.max'), 'utf8').trim(), '32');
  let most = 0;
  for (let sample = 0; sample < 30; sample++) {
    most = Math.max(most, Number(readFileSync(join(pids, 'pids.current'), 'utf8')));
    await sleep(50);
  }
  const refused = Number(/^max (\d+)$/m.exec(readFileSync(join(pids, 'pids.events'), 'utf8'))?.[1] ?? 0);
  t.ok(most <= 32, `at most 32 processes in the container (${most})`);
  t.ok(refused > 0, `the bomb hit the limit (${refused} forks refused)`);
  agent.killTask('F', 'bomb', { grace_period: { nanoseconds: 0 } });
  t.equal((await stub.waitForEnd('bomb')).status.state, 'TASK_KILLED');
  await agent.taskEnded('F', 'bomb');
  t.notOk(existsSync(pids), 'its cgroups are gone');
});

/** The agent child bundled in a tree that mirrors the package, so that it finds bin/ and native/build/. */
function bundleAgentChild(t: Test): string {
  const root = testDir(t, 'agent-child-');
  mkdirSync(join(root, 'dist'));
  symlinkSync(join(ROOT, 'bin'), join(root, 'bin'));
  symlinkSync(join(ROOT, 'native'), join(root, 'native'));
  symlinkSync(join(ROOT, 'seccomp'), join(root, 'seccomp'));
  const bundle = join(root, 'dist', 'agent-child.js');
  buildSync({ entryPoints: [join(ROOT, 'test', 'helpers', 'agent-child.ts')], outfile: bundle, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
  return bundle;
}

t.test('an agent killed with SIGKILL: the next start on its work directory removes what it left', rootOnly, async (t) => {
  const workDir = testDir(t, 'agent-killed-');
  const child = spawn(process.execPath, [bundleAgentChild(t), workDir], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let out = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_, signal) => resolve(signal)));
  const line = await waitFor('the child agent to run its task', () => (out.includes('\n') ? out.split('\n')[0] : undefined), 20_000).catch((error: Error) => {
    throw new Error(`${error.message}: ${errors}`);
  });
  const view = JSON.parse(line!) as TaskView;
  t.ok(existsSync(view.runtimeDirectory), 'the container has its runtime directory');
  t.ok(view.cgroups.length > 0 && view.cgroups.every((path) => existsSync(path)), 'and its cgroups');

  child.kill('SIGKILL');
  t.equal(await exited, 'SIGKILL');
  // The clone program takes the container down with the agent; what it can't remove stays.
  await waitFor('the container to die with its agent', () => (existsSync(`/proc/${view.pid}`) ? undefined : true));
  t.ok(existsSync(view.runtimeDirectory), 'the runtime directory is left behind');
  t.ok(view.cgroups.every((path) => existsSync(path)), 'so are the cgroups');

  // Something still running in a cgroup nested in the container's, as a task could leave it.
  const pids = view.cgroups.find((path) => existsSync(join(path, 'pids.max')))!;
  mkdirSync(join(pids, 'left'));
  const straggler = spawn('sleep', ['600'], { stdio: 'ignore' });
  const stragglerEnd = new Promise<NodeJS.Signals | null>((resolve) => straggler.once('exit', (_, signal) => resolve(signal)));
  writeFileSync(join(pids, 'left', 'cgroup.procs'), String(straggler.pid));

  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub, { workDir });
  t.equal(await stragglerEnd, 'SIGKILL', 'what ran in its cgroups was killed');
  t.ok(view.cgroups.every((path) => !existsSync(path)), 'no cgroup of the old container is left');
  t.notOk(existsSync(view.runtimeDirectory), 'nor its runtime directory');
  t.notOk(existsSync(view.sandbox), 'nor its sandbox');
  t.same(readdirSync(join(workDir, 'run')), [], 'the runtime directories are empty');
  t.notOk(existsSync(`/proc/${view.pid}`), 'no process of the old container is left');
  t.same(agentCgroups(cgroupsRootFor(workDir)).filter((path) => existsSync(path)), [], "nor the old agent's own cgroups");
  await t.rejects(LocalAgent.start({ workDir, warn: () => undefined }, new MasterStub().register), {
    message: `The work directory '${workDir}' is in use by the agent with pid ${process.pid}`,
  });
  agent.runTask(framework('F'), commandTask('after', 'true'));
  t.equal((await stub.waitForEnd('after')).status.state, 'TASK_FINISHED', 'the new agent runs tasks');
});

t.test('a runtime filesystem full at the end: how the task ended, and that the checkpoint failed', rootOnly, async (t) => {
  const workDir = testDir(t, 'agent-full-');
  const run = join(workDir, 'run');
  mkdirSync(run);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', run]);
  t.equal(mounted.status, 0, String(mounted.stderr));
  t.teardown(() => void spawnSync('umount', ['-l', run]));
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub, { workDir });
  const fill = `cat /dev/zero > ${run}/fill 2>/dev/null`;
  agent.runTask(framework('F'), commandTask('full3', `${fill}; exit 3`));
  const failed = await stub.waitForEnd('full3');
  t.same(stub.states('full3'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FAILED']);
  t.match(failed.status, {
    state: 'TASK_FAILED',
    source: 'SOURCE_EXECUTOR',
    message: "Command exited with status 3; Failed to checkpoint the container's status: No space left on device",
  });
  await agent.taskEnded('F', 'full3');
  rmSync(join(run, 'fill'));
  agent.runTask(framework('F'), commandTask('full0', `${fill}; exit 0`));
  const finished = await stub.waitForEnd('full0');
  t.match(finished.status, {
    state: 'TASK_FINISHED',
    message: "Command exited with status 0; Failed to checkpoint the container's status: No space left on device",
  });
  t.notMatch(finished.status.message, /Failed to launch container/);
  await agent.taskEnded('F', 'full0');
  rmSync(join(run, 'fill'));
  t.same(readdirSync(run), [], 'the runtime directories went all the same');
});

t.test('a command or variable past 64 KiB runs; past what the kernel takes, it is refused before anything starts', rootOnly, async (t) => {
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub);
  const big = 'x'.repeat(100 * 1024);
  const command = `: ${big}; echo "ran \${#BIG}"; sleep 0.3`;
  agent.runTask(framework('F'), commandTask('bigcommand', command, {
    command: { shell: true, value: command, environment: { variables: [{ name: 'BIG', value: big }] } },
  }));
  await stub.waitForState('bigcommand', 'TASK_RUNNING');
  const view = agent.taskView('F', 'bigcommand')!;
  const ran = await stub.waitForEnd('bigcommand');
  t.match(ran.status, { state: 'TASK_FINISHED', message: 'Command exited with status 0' });
  t.equal(readFileSync(join(view.sandbox, 'stdout'), 'utf8'), `ran ${big.length}\n`, 'with its 100 KiB variable');

  const huge = 'x'.repeat(200 * 1024);
  agent.runTask(framework('F'), commandTask('hugecommand', `: ${huge}`));
  const refused = await stub.waitForEnd('hugecommand');
  t.same(stub.states('hugecommand'), ['TASK_ERROR'], 'nothing started');
  t.match(refused.status, {
    state: 'TASK_ERROR',
    source: 'SOURCE_AGENT',
    reason: 'REASON_TASK_INVALID',
    message: 'The command is 204802 bytes: the kernel takes at most 131071 bytes in one argument (MAX_ARG_STRLEN)',
  });
  agent.runTask(framework('F'), commandTask('hugevariable', 'true', {
    command: { value: 'true', environment: { variables: [{ name: 'HUGE', value: huge }] } },
  }));
  t.match((await stub.waitForEnd('hugevariable')).status, { state: 'TASK_ERROR', message: /^The environment variable 'HUGE' is 204805 bytes with its name: / });

  // mesos-execute's library refuses it before anything starts, too.
  t.throws(() => launchTask({ name: 'huge', command: `: ${huge}` }), { message: /^The command is 204802 bytes: / });
  t.ok(
    (() => {
      try {
        launchTask({ name: 'huge', command: `: ${huge}` });
      } catch (error) {
        return error instanceof TaskOptionsError;
      }
      return false;
    })(),
    'as a TaskOptionsError',
  );
  let output = '';
  const embedded = launchTask({ name: 'big', command: `: ${big}; echo ok`, stdout: 'pipe', onWarning: (message) => t.fail(message) });
  embedded.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  t.equal((await embedded.done).state, 'TASK_FINISHED');
  t.equal(output, 'ok\n');
});
