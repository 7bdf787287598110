// The scheduler client against our master, end to end, written once for
// both content types: test/scheduler.test.ts runs them in JSON,
// test/scheduler-protobuf.test.ts in protobuf.
import type { Test } from 'tap';
import { CallError, type ContentType } from '../../src/scheduler/index';
import type { Offer, Resource, TaskInfo } from '../../src/scheduler/types';
import { addTestAgent, sleep, testMaster } from './master';
import { testFramework, testScheduler } from './scheduler';

export function scalar(name: string, value: number): Resource {
  return { name, type: 'SCALAR', scalar: { value } };
}

export function task(id: string, offer: Offer, resources: Resource[] = [scalar('cpus', 1), scalar('mem', 128)]): TaskInfo {
  return {
    name: id,
    task_id: { value: id },
    agent_id: { value: offer.agent_id.value },
    resources,
    command: { value: 'true' },
  };
}

function b64(bytes: Uint8Array | undefined): string {
  return Buffer.from(bytes ?? []).toString('base64');
}

export function scenarios(t: Test, contentType: ContentType): void {
  const setup = async (t: Test, options: Parameters<typeof testScheduler>[2] = {}) => {
    const master = await testMaster(t);
    const agent = addTestAgent(master);
    const { scheduler, events } = testScheduler(t, master.url, { contentType, ...options });
    return { master, agent, scheduler, events };
  };

  t.test('subscribes: SUBSCRIBED with a new framework id, a stream id, heartbeats', async (t) => {
    const { master, scheduler, events } = await setup(t);
    t.equal(scheduler.state, 'STOPPED');
    const subscribed = await scheduler.start();
    t.equal(subscribed.framework_id.value, `${master.masterId}-0000`);
    t.equal(subscribed.heartbeat_interval_seconds, 0.2);
    t.equal(subscribed.master_info?.id, master.masterId);
    t.equal(subscribed.master_info?.port, master.port);
    t.equal(scheduler.state, 'SUBSCRIBED');
    t.equal(scheduler.frameworkId, subscribed.framework_id.value);
    t.match(scheduler.streamId, /^[0-9a-f-]{36}$/);
    await events.next('heartbeat');
    t.same(events.all('subscribed'), [subscribed]);
    const framework = master.master.frameworks.get(subscribed.framework_id.value)!;
    t.equal(framework.info.name, 'scheduler test');
  });

  t.test('offers, a launch, updates with uuids as bytes, acknowledgements the agent gets', async (t) => {
    const { agent, scheduler, events } = await setup(t);
    await scheduler.start();
    const offers = await events.next('offers');
    t.equal(offers.length, 1);
    const offer = offers[0]!;
    t.equal(offer.agent_id.value, agent.link.agentId);
    const ports = offer.resources!.find((r) => r.name === 'ports')!;
    t.same(ports.ranges!.range, [{ begin: 31000n, end: 32000n }], 'ranges are 64-bit: bigint');

    t.same(await scheduler.launch([offer.id], [task('t1', offer)]), { status: 202 });
    const run = await agent.waitFor('runTask');
    t.equal(run.task.task_id.value, 't1');
    t.equal(run.framework.id?.value, scheduler.frameworkId);

    const uuid = agent.update(scheduler.frameworkId!, 't1', 'TASK_RUNNING');
    const running = await events.next('update', (s) => s.state === 'TASK_RUNNING');
    t.type(running.uuid, Uint8Array);
    t.equal(b64(running.uuid), uuid);
    t.equal(running.source, 'SOURCE_EXECUTOR');
    t.same(await scheduler.acknowledge(running), { status: 202 });
    t.equal((await agent.waitFor('acknowledge', (c) => c.uuid === uuid)).taskId, 't1');

    const last = agent.update(scheduler.frameworkId!, 't1', 'TASK_FINISHED', { message: 'Command exited with status 0' });
    const finished = await events.next('update', (s) => s.state === 'TASK_FINISHED');
    t.equal(finished.message, 'Command exited with status 0');
    await scheduler.acknowledge(finished);
    await agent.waitFor('acknowledge', (c) => c.uuid === last);
  });

  t.test('kill: the agent is asked, and TASK_KILLED comes back', async (t) => {
    const { agent, scheduler, events } = await setup(t);
    await scheduler.start();
    const [offer] = await events.next('offers');
    await scheduler.launch([offer!.id], [task('k1', offer!)]);
    await agent.waitFor('runTask');
    agent.update(scheduler.frameworkId!, 'k1', 'TASK_RUNNING');
    await scheduler.acknowledge(await events.next('update'));
    t.same(await scheduler.kill('k1', offer!.agent_id, { grace_period: { nanoseconds: 1_000_000_000n } }), { status: 202 });
    const kill = await agent.waitFor('killTask');
    t.equal(kill.taskId, 'k1');
    t.ok(kill.killPolicy, 'the kill policy reaches the agent');
    agent.update(scheduler.frameworkId!, 'k1', 'TASK_KILLED', { message: 'Command terminated with signal Terminated' });
    const killed = await events.next('update', (s) => s.state === 'TASK_KILLED');
    t.equal(killed.message, 'Command terminated with signal Terminated');
  });

  t.test('reconcile: the latest state of a known task, an unknown one lost, neither with a uuid', async (t) => {
    const { agent, scheduler, events } = await setup(t);
    await scheduler.start();
    const [offer] = await events.next('offers');
    await scheduler.launch([offer!.id], [task('r1', offer!)]);
    await agent.waitFor('runTask');
    agent.update(scheduler.frameworkId!, 'r1', 'TASK_RUNNING');
    await scheduler.acknowledge(await events.next('update'));

    await scheduler.reconcile([{ task_id: 'r1', agent_id: offer!.agent_id }]);
    const known = await events.next('update', (s) => s.reason === 'REASON_RECONCILIATION');
    t.equal(known.state, 'TASK_RUNNING');
    t.equal(known.source, 'SOURCE_MASTER');
    t.equal(known.uuid, undefined);
    t.equal(await scheduler.acknowledge(known), undefined, 'no uuid: nothing to acknowledge');

    await scheduler.reconcile([{ task_id: { value: 'nobody' } }]);
    const unknown = await events.next('update', (s) => s.task_id.value === 'nobody');
    t.equal(unknown.state, 'TASK_LOST');
    t.equal(unknown.message, 'Reconciliation: Task is unknown');

    await scheduler.reconcile();
    const all = await events.next('update', (s) => s.task_id.value === 'r1' && s.reason === 'REASON_RECONCILIATION');
    t.equal(all.state, 'TASK_RUNNING', 'an empty RECONCILE asks for every task');
  });

  t.test('decline with a filter holds offers back; revive brings them at once', async (t) => {
    const { scheduler, events } = await setup(t);
    await scheduler.start();
    const [offer] = await events.next('offers');
    await scheduler.decline([offer!.id], { refuse_seconds: 60 });
    await sleep(400);
    t.equal(events.all('offers').length, 1, 'no offer while the filter stands');
    await scheduler.revive();
    const [again] = await events.next('offers', () => true, 2000);
    t.equal(again!.agent_id.value, offer!.agent_id.value);
    t.not(again!.id.value, offer!.id.value);
  });

  t.test('suppress stops offers; revive of the role restarts them', async (t) => {
    const { scheduler, events } = await setup(t);
    await scheduler.start();
    const [offer] = await events.next('offers');
    await scheduler.suppress();
    await scheduler.decline([offer!.id], { refuse_seconds: 0 });
    await sleep(400);
    t.equal(events.all('offers').length, 1, 'suppressed: no offers');
    await scheduler.revive(['*']);
    await events.next('offers', () => true, 2000);
  });

  t.test('message, request and update_framework are taken', async (t) => {
    const { agent, scheduler, events } = await setup(t);
    await scheduler.start();
    const [offer] = await events.next('offers');
    await scheduler.launch([offer!.id], [task('m1', offer!)]);
    await agent.waitFor('runTask');
    agent.update(scheduler.frameworkId!, 'm1', 'TASK_RUNNING');
    await scheduler.acknowledge(await events.next('update'));
    t.same(await scheduler.message(offer!.agent_id, 'm1', 'hello'), { status: 202 });
    const sent = await agent.waitFor('frameworkMessage');
    t.equal(Buffer.from(sent.data, 'base64').toString(), 'hello');
    t.same(await scheduler.request([{ agent_id: offer!.agent_id, resources: [scalar('cpus', 1)] }]), { status: 202 });
    t.same(await scheduler.updateFramework(testFramework({ name: 'renamed' })), { status: 200 });
    t.equal(scheduler.frameworkId !== undefined, true);
  });

  t.test("an answer other than 202 rejects with Mesos's status and body in one line", async (t) => {
    const { scheduler } = await setup(t);
    await t.rejects(scheduler.kill('x'), {
      name: 'CallError',
      message: 'Cannot perform calls until subscribed. Current state: STOPPED',
    });
    await scheduler.start();
    const error = await scheduler.updateFramework(testFramework({ user: 'someone else' })).catch((e: unknown) => e);
    t.type(error, CallError);
    const callError = error as CallError;
    t.equal(callError.status, 400);
    t.equal(callError.callType, 'UPDATE_FRAMEWORK');
    t.match(callError.message, /^Received unexpected '400 Bad Request' \(.+\) for UPDATE_FRAMEWORK$/);
    t.notMatch(callError.message, /\n/);
    await t.rejects(scheduler.call('SUBSCRIBE', {}), { message: "This method doesn't support SUBSCRIBE calls" });
    await t.rejects(scheduler.call('SHUTDOWN', {}), { message: /^Failed to encode SHUTDOWN: Missing required fields/ });
    t.equal(scheduler.state, 'SUBSCRIBED', 'a refused call leaves the subscription alone');
  });

  t.test('teardown: the agent shuts the framework down, the client stops and stays stopped', async (t) => {
    const { master, agent, scheduler, events } = await setup(t);
    await scheduler.start();
    const id = scheduler.frameworkId!;
    t.same(await scheduler.teardown(), { status: 202 });
    t.equal(scheduler.state, 'STOPPED');
    await agent.waitFor('shutdownFramework');
    t.notOk(master.master.frameworks.has(id));
    t.ok(master.master.completedFrameworks.has(id));
    await sleep(700);
    t.equal(events.all('subscribed').length, 1, 'no resubscription after a teardown');
    t.equal(events.all('disconnected').length, 0);
  });

  t.test('failover: a second client with the framework id takes over; the first gets ERROR and stops', async (t) => {
    const master = await testMaster(t);
    addTestAgent(master);
    const first = testScheduler(t, master.url, { contentType, framework: testFramework({ failover_timeout: 60 }) });
    const { framework_id } = await first.scheduler.start();
    const second = testScheduler(t, master.url, {
      contentType,
      framework: testFramework({ failover_timeout: 60, id: framework_id }),
    });
    const again = await second.scheduler.start();
    t.equal(again.framework_id.value, framework_id.value);
    const error = await first.events.next('error');
    t.equal(error.message, 'Framework failed over');
    t.equal(error.fromMaster, true);
    t.equal(error.fatal, true);
    t.equal(first.scheduler.state, 'STOPPED');
    await second.events.next('offers');
    await sleep(700);
    t.equal(first.events.all('subscribed').length, 1, 'the first does not take the framework back');
    t.equal(second.scheduler.state, 'SUBSCRIBED');
  });

  t.test('a refused subscription (ERROR, then the stream ends) rejects start()', async (t) => {
    const master = await testMaster(t, { rootSubmissions: false });
    const { scheduler } = testScheduler(t, master.url, { contentType, framework: testFramework({ user: 'root' }) });
    await t.rejects(scheduler.start(), {
      name: 'SchedulerError',
      message: "User 'root' is not allowed to run frameworks without --root_submissions set",
      fromMaster: true,
    });
    t.equal(scheduler.state, 'STOPPED');
  });
}
