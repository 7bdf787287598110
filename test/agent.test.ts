// The local agent with real containers through our helper, as root, and a
// stand-in for the master: registration with probed resources, a whole
// task's life, a launch that fails, kills with their grace periods, the
// status update manager's rules on the wire, shutdownFramework, and a
// container whose pid 1 is killed from outside. Run `npm run build` first.
import t from 'tap';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { startAgent } from './helpers/local-agent';
import { commandTask, framework, MasterStub } from './helpers/master-stub';
import { sleep } from './helpers/process';
import { isRoot } from './helpers/run';

const rootOnly = { skip: !isRoot && 'needs root (namespaces, mounts and cgroups)' };

/** Children of `pid` and their command lines. */
function childrenCommands(pid: number): string[] {
  const result: string[] = [];
  for (const task of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter((word) => word !== '')) {
    try {
      result.push(readFileSync(`/proc/${task}/cmdline`, 'utf8').split('\0').join(' ').trim());
    } catch {
      // Gone meanwhile.
    }
  }
  return result;
}

t.test('registration: hostname and resources, MESOS_RESOURCES overriding what it names', rootOnly, async (t) => {
  const stub = new MasterStub();
  const agent = await startAgent(t, stub, { resources: 'cpus:2;mem:1024;ports:[31000-31100]' });
  t.equal(stub.agent, agent);
  t.equal(agent.agentId, 'stub-master-S0');
  t.equal(stub.registration?.hostname, hostname());
  const resources = stub.registration!.resources;
  t.same(resources.slice(0, 3), [
    { name: 'cpus', type: 'SCALAR', scalar: { value: 2 } },
    { name: 'mem', type: 'SCALAR', scalar: { value: 1024 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31100 }] } },
  ]);
  t.match(resources[3], { name: 'disk', type: 'SCALAR' }, 'disk is probed');
  t.ok(resources[3]!.scalar!.value > 0);

  const other = new MasterStub();
  const saved = process.env['MESOS_RESOURCES'];
  process.env['MESOS_RESOURCES'] = 'cpus:3';
  try {
    await startAgent(t, other);
  } finally {
    if (saved === undefined) delete process.env['MESOS_RESOURCES'];
    else process.env['MESOS_RESOURCES'] = saved;
  }
  t.same(other.registration!.resources.map((resource) => resource.name), ['cpus', 'mem', 'disk', 'ports']);
  t.equal(other.registration!.resources[0]!.scalar!.value, 3, 'from MESOS_RESOURCES');
  const online = readFileSync('/sys/devices/system/cpu/online', 'utf8');
  t.ok(online.length > 0);
});

t.test("a task's whole life: STARTING, RUNNING once exec'd, FINISHED in the command executor's words", rootOnly, async (t) => {
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub);
  agent.runTask(framework('F'), commandTask('life', 'echo "out $MESOS_SANDBOX"; echo err >&2; sleep 0.3'));
  const runningUpdate = await stub.waitForState('life', 'TASK_RUNNING');
  const view = agent.taskView('F', 'life')!;
  const atRunning = childrenCommands(view.pid!);
  const final = await stub.waitForEnd('life');
  t.same(stub.states('life'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
  t.match(atRunning, [/^sh -c echo "out/], "at TASK_RUNNING the waiter's child is the task itself");
  t.equal(runningUpdate.status.message, undefined, 'TASK_RUNNING has no message');
  t.match(final.status, {
    state: 'TASK_FINISHED',
    source: 'SOURCE_EXECUTOR',
    message: 'Command exited with status 0',
    agent_id: { value: 'stub-master-S0' },
    executor_id: { value: 'life' },
    container_status: { container_id: { value: view.containerId } },
  });
  const uuids = stub.of('life').map((update) => update.status.uuid!);
  t.equal(new Set(uuids).size, uuids.length, 'every update has a uuid of its own');
  t.ok(uuids.every((uuid) => Buffer.from(uuid, 'base64').length === 16));
  t.ok(stub.of('life').every((update) => update.status.source === 'SOURCE_EXECUTOR' && update.framework_id === 'F'));
  await agent.taskEnded('F', 'life');
  t.equal(readFileSync(join(view.sandbox, 'stdout'), 'utf8'), `out ${view.sandbox}\n`, 'stdout in the sandbox, the sandbox as MESOS_SANDBOX');
  t.match(readFileSync(join(view.sandbox, 'stderr'), 'utf8'), /^err$/m);
  t.notOk(existsSync(view.runtimeDirectory), 'the runtime directory is gone');
  t.ok(view.cgroups.length > 0, 'the container had cgroups');
  t.ok(view.cgroups.every((path) => !existsSync(path)), 'they are gone');
  await sleep(20);
  t.equal(agent.taskView('F', 'life'), undefined, 'the task is forgotten once its terminal update is acknowledged');
});

t.test("a program that doesn't exist: no TASK_RUNNING, TASK_FAILED with the launch failure", rootOnly, async (t) => {
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub);
  agent.runTask(framework('F'), commandTask('missing', '', { command: { shell: false, value: '/no/such/program' } }));
  const final = await stub.waitForEnd('missing');
  t.same(stub.states('missing'), ['TASK_STARTING', 'TASK_FAILED']);
  t.match(final.status, {
    state: 'TASK_FAILED',
    source: 'SOURCE_AGENT',
    reason: 'REASON_CONTAINER_LAUNCH_FAILED',
    message: /^Failed to launch container: .*'\/no\/such\/program'.*No such file or directory$/,
  });
  t.comment(final.status.message);
  // A user the machine lacks: as Mesos's agent, its sandbox can't be given
  // to it, and the task is lost (dropped, for a partition-aware framework)
  // before anything starts.
  agent.runTask(framework('F'), commandTask('nouser', 'true', { command: { value: 'true', user: 'no-such-user-here' } }));
  const nouser = await stub.waitForEnd('nouser');
  t.same(stub.states('nouser'), ['TASK_LOST']);
  t.match(nouser.status, {
    source: 'SOURCE_AGENT',
    reason: 'REASON_EXECUTOR_TERMINATED',
    message: /^Failed to create executor directory '.*\/runs\/[0-9a-f-]{36}': Failed to chown directory to 'no-such-user-here': No such user 'no-such-user-here'$/,
  });
  agent.runTask(framework('G', ['PARTITION_AWARE']), commandTask('nouser-aware', 'true', { command: { value: 'true', user: 'no-such-user-here' } }));
  t.match((await stub.waitForEnd('nouser-aware')).status, { state: 'TASK_DROPPED', reason: 'REASON_EXECUTOR_TERMINATED' });
});

t.test('kill: SIGTERM, SIGKILL after the grace period; TASK_KILLING only for frameworks that take it', rootOnly, async (t) => {
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub);
  agent.runTask(framework('F'), commandTask('polite', 'exec sleep 60'));
  agent.runTask(
    framework('F'),
    commandTask('stubborn', 'trap "" TERM; while :; do sleep 0.05; done', { kill_policy: { grace_period: { nanoseconds: 5e9 } } }),
  );
  agent.runTask(framework('G', []), commandTask('quiet', 'exec sleep 60'));
  await Promise.all(['polite', 'stubborn', 'quiet'].map((id) => stub.waitForState(id, 'TASK_RUNNING')));

  // A task the agent doesn't know, of a framework it does.
  agent.killTask('F', 'unknown');
  const unknown = await stub.waitForEnd('unknown');
  t.match(unknown.status, { state: 'TASK_LOST', source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED', message: 'Cannot find executor' });

  agent.killTask('F', 'polite');
  const polite = await stub.waitForEnd('polite');
  t.same(stub.states('polite'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLING', 'TASK_KILLED']);
  t.match(polite.status, { state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR', message: 'Command terminated with signal Terminated' });

  // The kill's own policy overrides the task's 5 s.
  const killedAt = Date.now();
  agent.killTask('F', 'stubborn', { grace_period: { nanoseconds: 400e6 } });
  const stubborn = await stub.waitForEnd('stubborn');
  const took = Date.now() - killedAt;
  t.match(stubborn.status, { state: 'TASK_KILLED', message: 'Command terminated with signal Killed' });
  t.ok(took >= 400 && took < 3000, `SIGKILL came after the 400 ms grace period (${took} ms)`);

  agent.killTask('G', 'quiet', { grace_period: { nanoseconds: 0 } });
  await stub.waitForEnd('quiet');
  t.same(stub.states('quiet'), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLED'], 'no TASK_KILLING without TASK_KILLING_STATE');
});

t.test("the wire: one update in flight, resent with backoff, the next only after the acknowledgement", rootOnly, async (t) => {
  const stub = new MasterStub(false);
  const agent = await startAgent(t, stub, { statusUpdateRetryIntervalMinMs: 100, statusUpdateRetryIntervalMaxMs: 400 });
  agent.runTask(framework('F'), commandTask('acks', 'true'));
  await agent.taskEnded('F', 'acks');
  // The task is over, its three updates queued; only the first has gone out.
  await sleep(1300);
  const sent = stub.of('acks');
  t.ok(sent.every((update) => update.status.state === 'TASK_STARTING'), 'only TASK_STARTING went out');
  const gaps = sent.slice(1).map((update, index) => update.at - sent[index]!.at);
  t.ok(gaps.length >= 4, `resent (${gaps.join(', ')} ms apart)`);
  const expected = [100, 200, 400, 400];
  for (const [index, wanted] of expected.entries()) {
    const gap = gaps[index] ?? 0;
    t.ok(gap >= wanted - 5 && gap < wanted + 150, `resend ${index + 1} after ${gap} ms (wanted ${wanted})`);
  }
  t.equal(sent[sent.length - 1]!.latest_state, 'TASK_FINISHED', 'resends carry the latest state');
  t.equal(new Set(sent.map((update) => update.status.uuid)).size, 1, 'the same update each time');

  stub.ack(sent[0]!);
  const running = await stub.waitForState('acks', 'TASK_RUNNING');
  await sleep(50);
  t.equal(stub.of('acks').filter((update) => update.status.state === 'TASK_FINISHED').length, 0, 'nothing after TASK_RUNNING until it is acknowledged');
  stub.ack(running);
  const finished = await stub.waitForState('acks', 'TASK_FINISHED');
  stub.ack(finished);
  await sleep(250);
  const after = stub.of('acks').length;
  await sleep(300);
  t.equal(stub.of('acks').length, after, 'nothing is resent once everything is acknowledged');
  t.equal(agent.taskView('F', 'acks'), undefined);
});

t.test('shutdownFramework kills its tasks and sends nothing more of them', rootOnly, async (t) => {
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub);
  agent.runTask(framework('A'), commandTask('a1', 'exec sleep 60'));
  agent.runTask(framework('A'), commandTask('a2', 'trap "" TERM; while :; do sleep 0.05; done', { kill_policy: { grace_period: { nanoseconds: 200e6 } } }));
  agent.runTask(framework('B'), commandTask('b1', 'exec sleep 60'));
  await Promise.all(['a1', 'a2', 'b1'].map((id) => stub.waitForState(id, 'TASK_RUNNING')));
  const pids = ['a1', 'a2'].map((id) => agent.taskView('A', id)!.pid!);
  const before = stub.updates.length;
  agent.shutdownFramework('A');
  await Promise.all(['a1', 'a2'].map((id) => agent.taskEnded('A', id)));
  await sleep(50);
  t.same(stub.updates.slice(before).map((update) => update.status.task_id.value), [], 'no update of the framework once it is shut down');
  t.ok(pids.every((pid) => !existsSync(`/proc/${pid}`)), 'its containers are gone');
  t.equal(agent.taskView('A', 'a1'), undefined, 'and forgotten');
  t.equal(agent.taskView('B', 'b1')?.state, 'TASK_RUNNING', "the other framework's task runs on");
  agent.killTask('B', 'b1');
  await stub.waitForEnd('b1');
});

t.test("the container's pid 1 killed from outside: TASK_FAILED, Executor terminated", rootOnly, async (t) => {
  const stub = new MasterStub(true);
  const agent = await startAgent(t, stub);
  agent.runTask(framework('F'), commandTask('victim', 'exec sleep 60'));
  await stub.waitForState('victim', 'TASK_RUNNING');
  const view = agent.taskView('F', 'victim')!;
  const namespace = readlinkSync(`/proc/${view.pid}/ns/pid`);
  process.kill(view.pid!, 'SIGKILL');
  const final = await stub.waitForEnd('victim');
  t.same(final.status.state, 'TASK_FAILED');
  t.match(final.status, { source: 'SOURCE_AGENT', reason: 'REASON_EXECUTOR_TERMINATED', message: 'Executor terminated' });
  t.ok(namespace.startsWith('pid:'));
});
