// runTask against our master and an in-test agent: mesos-execute's
// framework, its offer policy (the first offer that fits gets the task,
// every other is declined, then SUPPRESS), acknowledgements, the terminal
// status, kills on demand and after a delay, and how a run ends otherwise.
import t from 'tap';
import { runTask, type TaskRun } from '../src/scheduler/index';
import type { CallType } from '../src/scheduler/types';
import { addTestAgent, sleep, testMaster } from './helpers/master';
import { scalar } from './helpers/scheduler-scenarios';
import { Scheduler } from '../src/scheduler/index';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A run of task `id` (0.5 cpus, 64 MB) on `master`, stopped at the end; the calls its client makes are recorded. */
function run(t: Teardown, master: string, id: string, extra: Partial<Parameters<typeof runTask>[0]> = {}) {
  const taskRun: TaskRun = runTask({
    master,
    framework: { user: 'tester' },
    task: { name: id, task_id: { value: id }, resources: [scalar('cpus', 0.5), scalar('mem', 64)], command: { value: 'true' } },
    ...extra,
  });
  const calls: CallType[] = [];
  const call = taskRun.scheduler.call.bind(taskRun.scheduler);
  taskRun.scheduler.call = (type, body) => {
    calls.push(type);
    return call(type, body);
  };
  t.teardown(() => taskRun.stop());
  return { run: taskRun, calls };
}

t.test("mesos-execute's framework; the task to the offer's agent; every update acknowledged; done with the terminal status", async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const { run: taskRun, calls } = run(t, master.url, 'demo');
  const statuses: string[] = [];
  taskRun.on('status', (s) => statuses.push(s.state));
  const submitted = new Promise<string>((resolve) => taskRun.once('submitted', resolve));
  const launched = await agent.waitFor('runTask');
  t.equal(launched.framework.name, 'mesos-execute instance');
  t.equal(launched.framework.user, 'tester');
  t.same(
    (launched.framework.capabilities ?? []).map((c) => c.type).sort(),
    ['PARTITION_AWARE', 'RESERVATION_REFINEMENT', 'REVOCABLE_RESOURCES', 'TASK_KILLING_STATE'],
  );
  t.equal(launched.task.agent_id.value, agent.link.agentId, "the offer's agent");
  t.equal(await submitted, agent.link.agentId);
  t.equal(launched.task.command?.value, 'true');

  const frameworkId = taskRun.scheduler.frameworkId!;
  const uuids = ['TASK_STARTING', 'TASK_RUNNING'].map((state) => agent.update(frameworkId, 'demo', state as 'TASK_RUNNING'));
  for (const uuid of uuids) await agent.waitFor('acknowledge', (c) => c.uuid === uuid);
  const last = agent.update(frameworkId, 'demo', 'TASK_FINISHED', { message: 'Command exited with status 0' });
  const final = await taskRun.done;
  t.equal(final.state, 'TASK_FINISHED');
  t.equal(final.message, 'Command exited with status 0');
  await agent.waitFor('acknowledge', (c) => c.uuid === last);
  t.same(statuses, ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
  t.same(calls, ['ACCEPT', 'ACKNOWLEDGE', 'ACKNOWLEDGE', 'ACKNOWLEDGE'], 'no filters, no TEARDOWN');
  t.equal(taskRun.scheduler.state, 'STOPPED');
});

t.test('the offer that fits gets the task; the other is declined, then SUPPRESS', async (t) => {
  const master = await testMaster(t);
  const small = addTestAgent(master, 'cpus:0.1;mem:32', 'small.local');
  const big = addTestAgent(master, 'cpus:4;mem:4096', 'big.local');
  const { run: taskRun, calls } = run(t, master.url, 'fit');
  const declined: string[] = [];
  taskRun.on('declined', (offer) => declined.push(offer.agent_id.value));
  const launched = await big.waitFor('runTask');
  t.equal(launched.task.agent_id.value, big.link.agentId);
  const deadline = Date.now() + 2000;
  while (declined.length === 0 && Date.now() < deadline) await sleep(20);
  t.same(declined, [small.link.agentId]);
  await sleep(100);
  t.same(calls.slice().sort(), ['ACCEPT', 'DECLINE', 'SUPPRESS']);
  t.ok(calls.indexOf('DECLINE') < calls.indexOf('SUPPRESS'), 'SUPPRESS after the DECLINE');
  t.equal(small.calls.length, 0);
});

t.test('an offer too small alone: declined and suppressed; the run waits, as mesos-execute does', async (t) => {
  const master = await testMaster(t);
  addTestAgent(master, 'cpus:0.1;mem:32');
  const { run: taskRun, calls } = run(t, master.url, 'waits');
  await new Promise((resolve) => taskRun.once('declined', resolve));
  await sleep(400);
  t.same(calls, ['DECLINE', 'SUPPRESS']);
  taskRun.stop();
  await t.rejects(taskRun.done, { message: "Stopped before task 'waits' finished" });
});

t.test('killAfterMs: a KILL that long after TASK_RUNNING, and done with TASK_KILLED', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const { run: taskRun } = run(t, master.url, 'slow', { killAfterMs: 200 });
  const killing = new Promise<[string, string]>((resolve) => taskRun.once('killing', (...args) => resolve(args)));
  await agent.waitFor('runTask');
  const frameworkId = taskRun.scheduler.frameworkId!;
  agent.update(frameworkId, 'slow', 'TASK_RUNNING');
  const runningAt = Date.now();
  const kill = await agent.waitFor('killTask');
  const after = Date.now() - runningAt;
  t.ok(after >= 190, `killed ${after} ms after TASK_RUNNING`);
  t.equal(kill.taskId, 'slow');
  t.same(await killing, ['slow', agent.link.agentId]);
  agent.update(frameworkId, 'slow', 'TASK_KILLED', { message: 'Command terminated with signal Terminated' });
  t.equal((await taskRun.done).state, 'TASK_KILLED');
});

t.test('kill() on demand; kill() before the launch cancels the run', async (t) => {
  const master = await testMaster(t);
  const agent = addTestAgent(master);
  const { run: taskRun } = run(t, master.url, 'k');
  await agent.waitFor('runTask');
  agent.update(taskRun.scheduler.frameworkId!, 'k', 'TASK_RUNNING');
  await new Promise((resolve) => taskRun.once('status', resolve));
  await taskRun.kill();
  await agent.waitFor('killTask');
  agent.update(taskRun.scheduler.frameworkId!, 'k', 'TASK_KILLED');
  t.equal((await taskRun.done).state, 'TASK_KILLED');

  const empty = await testMaster(t);
  const { run: early } = run(t, empty.url, 'early');
  await new Promise((resolve) => early.once('subscribed', resolve));
  await early.kill();
  await t.rejects(early.done, { message: "Task 'early' was killed before it was launched" });
  t.equal(early.scheduler.state, 'STOPPED');
});

t.test('an ERROR event ends the run in the words of mesos-execute', async (t) => {
  const master = await testMaster(t);
  addTestAgent(master);
  const { run: taskRun } = run(t, master.url, 'e', { framework: { user: 'tester', failover_timeout: 60 } });
  const frameworkId = await new Promise<string>((resolve) => taskRun.once('subscribed', resolve));
  const other = new Scheduler({
    master: master.url,
    framework: { user: 'tester', name: 'other', failover_timeout: 60, id: { value: frameworkId } },
  });
  t.teardown(() => other.stop());
  await other.start();
  await t.rejects(taskRun.done, { message: 'Received an ERROR event: Framework failed over' });
});
